/**
 * The store directory, applied: every deal cycle (under its lock) reads the directory, places keyed
 * stores with /whoami (remembered per key, asked again only for a new key or after a failure), then in
 * one transaction upserts the listed stores into `locations`, cancels the pending withdrawal of a store
 * listed again, and moves each store marked inactive from `locations` to `store_withdrawals` (its deals
 * and inventory are then removed by the cycles: withdrawals.ts). The per-store POS keys go to memory.
 * A failed or empty read changes nothing.
 */
import { sql } from 'kysely';
import pLimit from 'p-limit';
import { Counter, Gauge, type Registry } from 'prom-client';
import type { Kysely } from '../../shared/db/db';
import type { Database } from '../../shared/db/schema';
import type { Logger } from '../../shared/logger';
import { keysToResolve, planDirectory, type DirectoryPlan, type WhoamiResult } from './directory';
import type { DirectoryRead } from './directory-source';
import type { PosKeys } from './source-choice';
import type { Fetched, Whoami } from './sources';

export interface StoreDirectoryDeps {
  db: Kysely<Database>;
  read: () => Promise<DirectoryRead>;
  whoami: (key: string, keyName: string) => Promise<Fetched<Whoami>>;
  keys: PosKeys;
  defaults: { lspId?: number; orgId?: number };
  logger: Logger;
  metrics: Registry;
  now: () => number;
}

export type DirectoryOutcome =
  | { kind: 'failed'; reason: string }
  | { kind: 'applied'; listed: number; added: number; withdrawn: string[]; skipped: number; unlisted: number };

export function createStoreDirectory(deps: StoreDirectoryDeps) {
  const { db, logger } = deps;
  const reads = new Counter({ name: 'poller_directory_reads_total', help: 'store directory reads by result', labelNames: ['result'], registers: [deps.metrics] });
  const stores = new Gauge({ name: 'poller_directory_stores', help: 'stores of the last directory read by outcome', labelNames: ['outcome'], registers: [deps.metrics] });
  const withdrawn = new Counter({ name: 'poller_stores_withdrawn_total', help: 'stores withdrawn because the directory marked them inactive', registers: [deps.metrics] });
  const whoamiOf = new Map<string, WhoamiResult>();
  let loaded = false;
  let inFlight: Promise<DirectoryOutcome> | undefined;

  async function place(toResolve: Map<string, string>): Promise<Map<string, WhoamiResult>> {
    const limit = pLimit(4);
    await Promise.all([...toResolve].map(([storeId, key]) => limit(async () => {
      if (whoamiOf.get(key)?.kind === 'ok') return;
      const r = await deps.whoami(key, `the POS key of store ${storeId}`);
      whoamiOf.set(key, r.kind === 'ok' ? { kind: 'ok', who: r.records[0]! } : { kind: 'failed', reason: r.reason });
    })));
    return new Map([...toResolve].flatMap(([storeId, key]) => { const w = whoamiOf.get(key); return w ? [[storeId, w] as const] : []; }));
  }

  async function apply(plan: DirectoryPlan): Promise<number> {
    const at = new Date(deps.now());
    return db.transaction().execute(async (tx) => {
      const before = new Set((await tx.selectFrom('locations').select('id').execute()).map((r) => r.id));
      for (const row of plan.rows) {
        const { id: _id, ...owned } = row;
        await tx.insertInto('locations').values({ ...row, directory_seen_at: at })
          .onConflict((oc) => oc.column('id').doUpdateSet({ ...owned, directory_seen_at: at })).execute();
      }
      if (plan.rows.length) await tx.deleteFrom('store_withdrawals').where('location_id', 'in', plan.rows.map((r) => r.id)).execute();
      for (const w of plan.withdrawals) {
        await tx.deleteFrom('locations').where('id', '=', w.id).execute();
        const row = { location_id: w.id, name: w.name, state: w.state, time_zone: w.timeZone, pos_loc_id: w.posLocId, reason: w.reason, requested_at: at, deals_done_at: null, inventory_done_at: null };
        await tx.insertInto('store_withdrawals').values(row).onConflict((oc) => oc.column('location_id').doUpdateSet(row)).execute();
      }
      return plan.rows.filter((r) => !before.has(r.id)).length;
    });
  }

  async function refreshOnce(): Promise<DirectoryOutcome> {
    const read = await deps.read();
    if (read.kind === 'failed') {
      reads.inc({ result: 'failed' });
      logger.warn({ reason: read.reason }, 'store directory not read: nothing changed');
      return read;
    }
    const whoami = await place(keysToResolve(read.entries));
    const current = await db.selectFrom('locations').select(['id', 'name', 'state', 'time_zone', 'pos_loc_id', 'lsp_id', 'org_id', 'city']).execute();
    const plan = planDirectory({ entries: read.entries, current, whoami, defaults: deps.defaults });
    const added = await apply(plan);
    deps.keys.setStoreKeys(plan.keys);
    loaded = true;
    reads.inc({ result: 'applied' });
    stores.set({ outcome: 'listed' }, plan.rows.length);
    stores.set({ outcome: 'skipped' }, plan.skipped.length);
    withdrawn.inc(plan.withdrawals.length);
    for (const w of plan.withdrawals) logger.warn({ locationId: w.id, name: w.name, reason: w.reason }, 'store withdrawn: its deals and inventory are being removed');
    if (plan.skipped.length) logger.warn({ count: plan.skipped.length, skipped: plan.skipped.slice(0, 20) }, 'store directory entries not used');
    if (plan.unlisted.length) logger.info({ count: plan.unlisted.length, ids: plan.unlisted.slice(0, 20) }, 'stores not in the directory listing are kept (only is_active false withdraws)');
    if (added) logger.info({ added }, 'new stores from the directory');
    return { kind: 'applied', listed: plan.rows.length, added, withdrawn: plan.withdrawals.map((w) => w.id), skipped: plan.skipped.length, unlisted: plan.unlisted.length };
  }

  return {
    /** One read and apply (concurrent callers share it). */
    refresh(): Promise<DirectoryOutcome> {
      inFlight ??= refreshOnce().finally(() => { inFlight = undefined; });
      return inFlight;
    },
    /** Whether a read was applied since this process started (the per-store keys are known). */
    get loaded(): boolean { return loaded; },
    /** Counts rows of `locations` the directory has never written (seeded by hand), for the start-up log. */
    async unmanaged(): Promise<number> {
      const r = await sql<{ n: string }>`select count(*) as n from locations where directory_seen_at is null`.execute(db);
      return Number(r.rows[0]?.n ?? 0);
    },
  };
}
export type StoreDirectory = ReturnType<typeof createStoreDirectory>;
