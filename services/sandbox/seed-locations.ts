/**
 * `npm run sandbox:seed`: reads a running sandbox's stores (GET {SANDBOX_ADMIN_URL}/stores), migrates
 * DATABASE_URL and upserts them into `locations`. With `--write-env <path>` it also writes the
 * poller's environment for that sandbox (URLs, the sandbox's fake POS keys and logins) to that file
 * (mode 600); nothing secret is printed.
 */
import fs from 'node:fs';
import { z } from 'zod';
import { LOCAL_STACK, devDefault, loadConfig } from '../../shared/config';
import { createDb } from '../../shared/db/db';
import { ensureDatabase, migrateToLatest } from '../../shared/db/migrate';
import { upsertSandboxLocations } from './locations';
import { pollerEnvFrom, type SandboxDirectory } from './sandbox';

async function main(): Promise<void> {
  const cfg = loadConfig('sandbox-seed', z.object({
    DATABASE_URL: devDefault(process.env, z.string().url(), LOCAL_STACK.DATABASE_URL),
    SANDBOX_POS_URL: z.string().url().default('http://127.0.0.1:7001'),
    SANDBOX_BACKOFFICE_URL: z.string().url().default('http://127.0.0.1:7002'),
    SANDBOX_ODOO_URL: z.string().url().default('http://127.0.0.1:7003'),
  }));
  const res = await fetch(`${cfg.SANDBOX_POS_URL}/admin/stores`);
  if (!res.ok) throw new Error(`sandbox answered ${res.status} on /admin/stores`);
  const dir = (await res.json()) as SandboxDirectory;
  await ensureDatabase(cfg.DATABASE_URL);
  const db = createDb(cfg.DATABASE_URL, 1);
  try {
    await migrateToLatest(db);
    await upsertSandboxLocations(db, dir);
  } finally {
    await db.destroy();
  }
  const i = process.argv.indexOf('--write-env');
  if (i !== -1 && process.argv[i + 1]) {
    const env = pollerEnvFrom(dir, { pos: cfg.SANDBOX_POS_URL, backoffice: cfg.SANDBOX_BACKOFFICE_URL, odoo: cfg.SANDBOX_ODOO_URL });
    fs.writeFileSync(process.argv[i + 1]!, Object.entries(env).map(([k, v]) => `${k}=${v ?? ''}`).join('\n') + '\n', { mode: 0o600 });
    console.log(`poller environment written to ${process.argv[i + 1]}`);
  }
  console.log(`${dir.locations.length} sandbox stores upserted into locations`);
}

main().catch((e: unknown) => { console.error(e instanceof Error ? e.message : e); process.exit(1); });
