/** The odoo_sink_applied table: which version of each deal Odoo already holds (see migration 0005). */
import { sql, type Kysely } from 'kysely';
import type { Database } from '../../shared/db/schema';
import type { Applied } from './handler';

export interface AppliedStore {
  load(keys: readonly string[]): Promise<Map<string, Applied>>;
  /** Records what Odoo accepted: a deal's version, or (version null) that the deal was removed. */
  save(entries: ReadonlyArray<{ key: string; version: number | null }>): Promise<void>;
}

export function createAppliedStore(db: Kysely<Database>): AppliedStore {
  return {
    async load(keys) {
      if (keys.length === 0) return new Map();
      const rows = await db.selectFrom('odoo_sink_applied').select(['deal_key', 'version', 'removed']).where('deal_key', 'in', [...keys]).execute();
      return new Map(rows.map((r) => [r.deal_key, { version: Number(r.version), removed: r.removed }]));
    },
    async save(entries) {
      const upserts = entries.flatMap((e) => (e.version === null ? [] : [{ deal_key: e.key, version: e.version, removed: false }]));
      const removals = entries.flatMap((e) => (e.version === null ? [e.key] : []));
      if (upserts.length) {
        await db.insertInto('odoo_sink_applied').values(upserts).onConflict((oc) => oc.column('deal_key').doUpdateSet({
          // Never move backwards: the newest applied version wins.
          version: sql`greatest(odoo_sink_applied.version, excluded.version)`,
          removed: sql`case when excluded.version >= odoo_sink_applied.version then false else odoo_sink_applied.removed end`,
          applied_at: sql`now()`,
        })).execute();
      }
      if (removals.length) {
        await db.updateTable('odoo_sink_applied').set({ removed: true, applied_at: sql`now()` }).where('deal_key', 'in', removals).execute();
      }
    },
  };
}

/** For tests and the in-memory case: the same contract without Postgres. */
export function memoryAppliedStore(): AppliedStore {
  const rows = new Map<string, Applied>();
  return {
    load: (keys) => Promise.resolve(new Map(keys.flatMap((k) => { const r = rows.get(k); return r ? [[k, r] as const] : []; }))),
    save(entries) {
      for (const e of entries) {
        const cur = rows.get(e.key);
        if (e.version === null) { if (cur) rows.set(e.key, { ...cur, removed: true }); continue; }
        if (!cur || e.version >= cur.version) rows.set(e.key, { version: e.version, removed: false });
      }
      return Promise.resolve();
    },
  };
}
