/**
 * Applies the handler's plan to Odoo for a set of targets (distinct keys): one `search_read` per
 * chunk of ≤ batchSize deals, then creates and writes of ≤ batchSize records a call, all through one
 * concurrency limit. A validation error in a multi-record call is narrowed down record by record,
 * so only the offending deal is dead-lettered. Any other failure throws: the caller retries the
 * whole set, which re-reads Odoo first (so a create whose reply was lost is found, not repeated).
 */
import pLimit from 'p-limit';
import type { Kysely } from '../../shared/db/db';
import type { Database } from '../../shared/db/schema';
import type { Logger } from '../../shared/logger';
import type { AppliedStore } from './applied';
import { isStale, planTarget, toCalls, type Action, type Call, type Target } from './handler';
import { DECIMAL_FIELDS, ODOO_FIELDS, type OdooDiscountValues, type OdooRecord } from './mapping';
import { OdooError, type OdooClient } from './odoo-client';
import type { StoreDirectory } from './stores';

export const MODEL = 'mint.discount';

export interface SinkDeps {
  odoo: OdooClient;
  stores: StoreDirectory;
  applied: AppliedStore;
  logger: Logger;
  now: () => number;
  batchSize: number;
  concurrency: number;
}

export interface DeadDeal { target: Target; error: string; odooName?: string }
export const OUTCOMES = ['created', 'written', 'removed', 'unchanged', 'skipped', 'stale', 'dead'] as const;
export type Outcome = (typeof OUTCOMES)[number];
export interface ApplyResult { dead: DeadDeal[]; counts: Record<Outcome, number> }

/** Odoo's wire form: decimals as JSON numbers (Odoo float fields), many2many as a replace command. */
export function toWire(values: Partial<OdooDiscountValues>): Record<string, unknown> {
  const out: Record<string, unknown> = { ...values };
  for (const f of DECIMAL_FIELDS) if (typeof values[f] === 'string') out[f] = Number(values[f]);
  if (values.store_ids) out.store_ids = [[6, 0, values.store_ids]];
  return out;
}

function chunks<T>(items: readonly T[], size: number): T[][] {
  const out: T[][] = [];
  for (let i = 0; i < items.length; i += size) out.push(items.slice(i, i + size));
  return out;
}

export function createSink(deps: SinkDeps) {
  const { odoo, stores, applied, now, batchSize } = deps;
  const limit = pLimit(deps.concurrency);

  async function existing(targets: readonly Target[], storeIds: readonly number[]): Promise<OdooRecord[]> {
    if (storeIds.length === 0) return [];
    const domain = [['source', '=', 'dutchie'], ['dutchie_discount_id', 'in', [...new Set(targets.map((t) => t.discountId))]], ['store_ids', 'in', [...new Set(storeIds)]]];
    return limit(() => odoo.executeKw<OdooRecord[]>(MODEL, 'search_read', [domain], { fields: ODOO_FIELDS }));
  }

  /** Runs one call; narrows a validation error down to the deals that cause it. */
  async function run(call: Call): Promise<DeadDeal[]> {
    try {
      if (call.kind === 'create') {
        // Never retried by the client: a lost reply may have created them (the caller re-reads Odoo).
        await limit(() => odoo.executeKw(MODEL, 'create', [call.actions.map((a) => toWire(a.values))], {}, { retryable: false }));
      } else {
        await limit(() => odoo.executeKw(MODEL, 'write', [call.ids, toWire(call.values)]));
      }
      return [];
    } catch (e) {
      if (!(e instanceof OdooError) || !e.isValidation) throw e;
      if (call.actions.length === 1) return [{ target: call.actions[0]!.target, error: e.message, odooName: e.odooName }];
      const singles: Call[] = call.kind === 'create'
        ? call.actions.map((a) => ({ kind: 'create', actions: [a] }))
        : call.actions.map((a) => ({ kind: 'write', ids: a.ids, values: a.values, actions: [a] }));
      return (await Promise.all(singles.map(run))).flat();
    }
  }

  async function applyChunk(targets: readonly Target[], storeOf: Map<string, number>): Promise<{ actions: Action[]; dead: DeadDeal[] }> {
    const records = await existing(targets, targets.flatMap((t) => { const s = storeOf.get(t.locationId); return s === undefined ? [] : [s]; }));
    const at = now();
    const actions = targets.flatMap((t) => planTarget(t, storeOf.get(t.locationId), records, at));
    const rejected = actions.flatMap((a) => (a.kind === 'reject' ? [{ target: a.target, error: a.error }] : []));
    const failed = (await Promise.all(toCalls(actions, batchSize).map(run))).flat();
    return { actions, dead: [...rejected, ...failed] };
  }

  /**
   * Brings Odoo in line with the targets (distinct keys). Throws when Odoo could not be reached or failed otherwise.
   * `fence` (several instances, shared/fencing.ts): `before` runs before any Odoo call, `inSave` in the
   * transaction that records what Odoo accepted; either throws once the partition is another instance's.
   */
  async function apply(all: readonly Target[], fence?: { before: () => Promise<void>; inSave: (tx: Kysely<Database>) => Promise<void> }): Promise<ApplyResult> {
    const counts: Record<Outcome, number> = { created: 0, written: 0, removed: 0, unchanged: 0, skipped: 0, stale: 0, dead: 0 };
    if (all.length === 0) return { dead: [], counts };
    const seen = await applied.load(all.map((t) => t.key));
    const targets = all.filter((t) => !isStale(t.version, seen.get(t.key)));
    counts.stale = all.length - targets.length;
    const storeOf = await stores.resolve([...new Set(targets.map((t) => t.locationId))]);
    await fence?.before();
    const results = await Promise.all(chunks(targets, batchSize).map((c) => applyChunk(c, storeOf)));
    const dead = results.flatMap((r) => r.dead);
    const deadKeys = new Set(dead.map((d) => d.target.key));
    const done = new Map<string, Target>();
    for (const a of results.flatMap((r) => r.actions)) {
      if (deadKeys.has(a.target.key) || a.kind === 'reject') continue;
      if (a.kind === 'create') counts.created++;
      else if (a.kind === 'write') { if (a.why === 'changed') counts.written++; else if (a.why === 'removed') counts.removed++; }
      else if (a.kind === 'unchanged') counts.unchanged++;
      else counts.skipped++;
      if (a.kind !== 'skip') done.set(a.target.key, a.target);
    }
    counts.dead = deadKeys.size;
    await applied.save([...done.values()].map((t) => ({ key: t.key, version: t.version, removed: t.deal === null })), fence?.inSave);
    return { dead, counts };
  }

  return { apply };
}
export type Sink = ReturnType<typeof createSink>;
