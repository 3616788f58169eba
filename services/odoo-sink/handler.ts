/**
 * The sink's decisions, pure: which messages of a batch matter, and for each deal whether Odoo
 * needs a create, a write of the changed fields only, a deactivation, or nothing. No kafkajs, no
 * HTTP, no clock: `now` and Odoo's current records are parameters. The consumer applies the plan.
 */
import type { Deal } from '../../shared/events';
import { locationOfKey } from '../../shared/topics';
import { applies } from '../../shared/versioned';
import {
  MappingError, diffValues, removalValues, toOdooValues, type OdooDiscountValues, type OdooRecord,
} from './mapping';

export interface Origin { topic: string; partition: number; offset: string }

/**
 * A decoded message of `deals.discounts.v1`: a deal, or null for a tombstone (removed). `version`:
 * the deal's, or the removal's (shared/versioned.ts).
 */
export interface SinkMessage { key: string; deal: Deal | null; version: number; origin: Origin }

/** The one deal of one store a key names. */
export interface Target { key: string; locationId: string; discountId: string; deal: Deal | null; version: number; origin: Origin }

export type Selection =
  | { kind: 'target'; target: Target }
  | { kind: 'skip'; key: string; origin: Origin; reason: 'ptl' | 'superseded' | 'bad_key' };

/** PTL deals come from Odoo and are never written back (their discount id is `ptl_{id}`). */
export function isPtl(discountId: string, deal: Deal | null): boolean {
  return deal?.source === 'ptl' || discountId.startsWith('ptl_');
}

/**
 * Keeps the last message of each key (a compacted topic: only the latest state counts) unless it is
 * older than the one before it (shared/versioned.ts), and drops PTL deals. Everything else becomes a
 * target. Order of the input is the partition order.
 */
export function selectTargets(messages: readonly SinkMessage[]): Selection[] {
  const last = new Map<string, number>();
  messages.forEach((m, i) => {
    const prev = last.get(m.key);
    if (prev === undefined || applies(m.version, { version: messages[prev]!.version, removed: messages[prev]!.deal === null })) last.set(m.key, i);
  });
  return messages.map((m, i): Selection => {
    if (last.get(m.key) !== i) return { kind: 'skip', key: m.key, origin: m.origin, reason: 'superseded' };
    const locationId = locationOfKey(m.key);
    const discountId = m.key.slice(locationId.length + 1);
    if (!discountId || locationId === m.key) return { kind: 'skip', key: m.key, origin: m.origin, reason: 'bad_key' };
    if (isPtl(discountId, m.deal)) return { kind: 'skip', key: m.key, origin: m.origin, reason: 'ptl' };
    return { kind: 'target', target: { key: m.key, locationId, discountId, deal: m.deal, version: m.version, origin: m.origin } };
  });
}

/** What the sink last applied for a key (odoo_sink_applied). */
export interface Applied { version: number; removed: boolean }

/**
 * A change older than what Odoo already holds (a replay) is stale and skipped: a deal or a removal
 * alike (shared/versioned.ts), so a replayed old removal never deactivates a deal that was re-added
 * since, and an equal-version re-add after a removal is applied.
 */
export function isStale(version: number, applied: Applied | undefined): boolean {
  return !applies(version, applied);
}

export type Action =
  | { kind: 'create'; target: Target; values: OdooDiscountValues }
  | { kind: 'write'; target: Target; ids: number[]; values: Partial<OdooDiscountValues>; why: 'changed' | 'removed' | 'duplicate' }
  | { kind: 'unchanged'; target: Target }
  | { kind: 'skip'; target: Target; reason: 'removal_of_unknown_deal' }
  | { kind: 'reject'; target: Target; error: string };

/** Records that already hold the deal of this store (several only after an earlier crash mid-create). */
export function recordsFor(target: Target, storeId: number, records: readonly OdooRecord[]): OdooRecord[] {
  return records
    .filter((r) => r.dutchie_discount_id === target.discountId && Array.isArray(r.store_ids) && (r.store_ids as unknown[]).includes(storeId))
    .sort((a, b) => a.id - b.id);
}

/**
 * The actions for one target. `storeId` undefined = Odoo has no store for the location.
 * Existing duplicates (left by a create whose reply was lost) are deactivated; the oldest record is kept.
 */
export function planTarget(target: Target, storeId: number | undefined, records: readonly OdooRecord[], nowMs: number): Action[] {
  const mine = storeId === undefined ? [] : recordsFor(target, storeId, records);
  const [keep, ...extra] = mine;
  const actions: Action[] = [];
  const removal = removalValues(nowMs);
  const dupes = extra.filter((r) => Object.keys(diffValues(removal, r)).length > 0);
  if (dupes.length) actions.push({ kind: 'write', target, ids: dupes.map((r) => r.id), values: removal, why: 'duplicate' });

  if (target.deal === null) {
    if (!keep) return [...actions, { kind: 'skip', target, reason: 'removal_of_unknown_deal' }];
    const changed = diffValues(removal, keep);
    if (Object.keys(changed).length === 0) return [...actions, { kind: 'unchanged', target }];
    return [...actions, { kind: 'write', target, ids: [keep.id], values: removal, why: 'removed' }];
  }
  if (storeId === undefined) return [{ kind: 'reject', target, error: `no Odoo store for location ${target.locationId}` }];

  let values: OdooDiscountValues;
  try {
    values = toOdooValues(target.deal, storeId, nowMs);
  } catch (e) {
    if (e instanceof MappingError) return [{ kind: 'reject', target, error: e.message }];
    throw e;
  }
  if (!keep) return [...actions, { kind: 'create', target, values }];
  const changed = diffValues(values, keep);
  if (Object.keys(changed).length === 0) return [...actions, { kind: 'unchanged', target }];
  return [...actions, { kind: 'write', target, ids: [keep.id], values: { ...changed, synced_at: values.synced_at }, why: 'changed' }];
}

/** The Odoo calls of a plan: creates in chunks, writes grouped by identical values in chunks (≤ batchSize records a call). */
export type Call =
  | { kind: 'create'; actions: Array<Extract<Action, { kind: 'create' }>> }
  | { kind: 'write'; ids: number[]; values: Partial<OdooDiscountValues>; actions: Array<Extract<Action, { kind: 'write' }>> };

export function toCalls(actions: readonly Action[], batchSize: number): Call[] {
  const calls: Call[] = [];
  const creates = actions.filter((a): a is Extract<Action, { kind: 'create' }> => a.kind === 'create');
  for (let i = 0; i < creates.length; i += batchSize) calls.push({ kind: 'create', actions: creates.slice(i, i + batchSize) });

  const groups = new Map<string, Array<Extract<Action, { kind: 'write' }>>>();
  for (const a of actions) {
    if (a.kind !== 'write') continue;
    const sig = JSON.stringify(Object.entries(a.values).sort(([x], [y]) => x.localeCompare(y)));
    groups.set(sig, [...(groups.get(sig) ?? []), a]);
  }
  for (const group of groups.values()) {
    let chunk: Array<Extract<Action, { kind: 'write' }>> = [];
    let ids: number[] = [];
    const flush = () => { if (chunk.length) calls.push({ kind: 'write', ids, values: chunk[0]!.values, actions: chunk }); chunk = []; ids = []; };
    for (const a of group) {
      if (ids.length + a.ids.length > batchSize) flush();
      chunk = [...chunk, a];
      ids = [...ids, ...a.ids];
    }
    flush();
  }
  return calls;
}
