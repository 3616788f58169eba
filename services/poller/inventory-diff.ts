/**
 * Change-only inventory publishing (pure): compares a location's freshly fetched inventory with
 * the content hashes published last time and returns the raw events to publish — upserts for new
 * or changed packages, removes for packages that disappeared — and the hashes to remember once
 * they are published. The feed has one record per inventory package (`inventoryId`); several
 * packages may share a product, so the package is the unit of change.
 *
 * A failed, unreadable or truncated fetch is NOT an empty inventory: the caller passes
 * {ok: false} and gets no events and unchanged hashes (deal-semantics.md §15).
 */
import { createHash, randomUUID } from 'node:crypto';
import type { InventoryRawEvent } from '../../shared/events';

export type InventoryFetch =
  | { ok: true; records: readonly Record<string, unknown>[] }
  | { ok: false; reason: string; rejected?: true };

export interface InventoryDiffInput {
  api: 'pos' | 'backoffice';
  locationId: string;
  fetchedAt: number;
  fetch: InventoryFetch;
  /** inventoryId -> content hash published last time */
  previous: ReadonlyMap<string, string>;
  /** event ids (a parameter so tests are deterministic) */
  newId?: () => string;
}

export type InventoryDiff =
  | { kind: 'changes'; events: InventoryRawEvent[]; hashes: Map<string, string> }
  | { kind: 'skip'; reason: string };

/** JSON with sorted keys, so a hash does not depend on key order. */
export function canonicalJson(v: unknown): string {
  if (Array.isArray(v)) return `[${v.map(canonicalJson).join(',')}]`;
  if (v !== null && typeof v === 'object') {
    return `{${Object.keys(v).sort().map((k) => `${JSON.stringify(k)}:${canonicalJson((v as Record<string, unknown>)[k])}`).join(',')}}`;
  }
  return JSON.stringify(v);
}

const inventoryIdOf = (api: 'pos' | 'backoffice', r: Record<string, unknown>): string | null => {
  const id = api === 'pos' ? r.inventoryId : r.InventoryId;
  return typeof id === 'number' || (typeof id === 'string' && id !== '') ? String(id) : null;
};

export function diffInventory(input: InventoryDiffInput): InventoryDiff {
  if (!input.fetch.ok) return { kind: 'skip', reason: input.fetch.reason };
  const newId = input.newId ?? randomUUID;
  const hashes = new Map<string, string>();
  const events: InventoryRawEvent[] = [];
  for (const record of input.fetch.records) {
    const inventoryId = inventoryIdOf(input.api, record);
    if (inventoryId === null) return { kind: 'skip', reason: 'a record without an inventory id: the feed is not trusted' };
    if (hashes.has(inventoryId)) return { kind: 'skip', reason: `inventory id ${inventoryId} twice in one feed: the feed is not trusted` };
    const json = canonicalJson(record);
    const hash = createHash('sha256').update(json).digest('hex');
    hashes.set(inventoryId, hash);
    if (input.previous.get(inventoryId) !== hash) {
      events.push({ eventId: newId(), api: input.api, locationId: input.locationId, inventoryId, op: 'upsert', fetchedAt: input.fetchedAt, contentHash: hash, record: json });
    }
  }
  for (const inventoryId of input.previous.keys()) {
    if (!hashes.has(inventoryId)) {
      events.push({ eventId: newId(), api: input.api, locationId: input.locationId, inventoryId, op: 'remove', fetchedAt: input.fetchedAt, contentHash: null, record: null });
    }
  }
  return { kind: 'changes', events, hashes };
}
