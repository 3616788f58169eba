/** `npm run migrate`: creates the database when missing and applies every pending migration. */
import { z } from 'zod';
import { LOCAL_STACK, devDefault, loadConfig } from '../config';
import { safeUrl } from '../logger';
import { createDb } from './db';
import { ensureDatabase, migrateToLatest } from './migrate';

async function main(): Promise<void> {
  const cfg = loadConfig('migrate', z.object({ DATABASE_URL: devDefault(process.env, z.string().url(), LOCAL_STACK.DATABASE_URL) }));
  await ensureDatabase(cfg.DATABASE_URL);
  const db = createDb(cfg.DATABASE_URL, 1);
  try {
    const { results } = await migrateToLatest(db);
    for (const r of results ?? []) console.log(`migration ${r.migrationName}: ${r.status}`);
    console.log(`database ${safeUrl(cfg.DATABASE_URL)} is at the latest migration`);
  } finally {
    await db.destroy();
  }
}

main().catch((e: unknown) => { console.error(e instanceof Error ? e.message : e); process.exit(1); });
