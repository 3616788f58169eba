/** The odoo_sink_applied table: which version of each deal Odoo already holds (see migration 0005). */
import { sql, type Kysely } from 'kysely';
import type { Database } from '../../shared/db/schema';
import { applies, notOlderSql } from '../../shared/versioned';
import type { Applied } from './handler';

export interface AppliedStore {
  load(keys: readonly string[]): Promise<Map<string, Applied>>;
  /**
   * Records what Odoo accepted: a deal's version, or a removal's (removed). `guard` runs first in the
   * same transaction (the partition fence, shared/fencing.ts) and aborts it by throwing.
   */
  save(entries: ReadonlyArray<{ key: string; version: number; removed: boolean }>, guard?: (tx: Kysely<Database>) => Promise<void>): Promise<void>;
}

export function createAppliedStore(db: Kysely<Database>): AppliedStore {
  return {
    async load(keys) {
      if (keys.length === 0) return new Map();
      const rows = await db.selectFrom('odoo_sink_applied').select(['deal_key', 'version', 'removed']).where('deal_key', 'in', [...keys]).execute();
      return new Map(rows.map((r) => [r.deal_key, { version: Number(r.version), removed: r.removed }]));
    },
    async save(entries, guard) {
      if (entries.length === 0) return;
      const rows = entries.map((e) => ({ deal_key: e.key, version: e.version, removed: e.removed }));
      const insert = (tx: Kysely<Database>) => tx.insertInto('odoo_sink_applied').values(rows).onConflict((oc) => oc.column('deal_key').doUpdateSet({
        // never moves backwards: the rule of shared/versioned.ts
        version: sql`excluded.version`, removed: sql`excluded.removed`, applied_at: sql`now()`,
      }).where(notOlderSql('odoo_sink_applied'))).execute();
      if (!guard) { await insert(db); return; }
      await db.transaction().execute(async (tx) => { await guard(tx); await insert(tx); });
    },
  };
}

/** For tests and the in-memory case: the same contract without Postgres. */
export function memoryAppliedStore(): AppliedStore {
  const rows = new Map<string, Applied>();
  return {
    load: (keys) => Promise.resolve(new Map(keys.flatMap((k) => { const r = rows.get(k); return r ? [[k, r] as const] : []; }))),
    save(entries) {
      for (const e of entries) if (applies(e.version, rows.get(e.key))) rows.set(e.key, { version: e.version, removed: e.removed });
      return Promise.resolve();
    },
  };
}
