/**
 * The poller's decisions, pure: which records of a feed belong to a store, their content hashes,
 * and the changes to publish against what was published before. A failed fetch yields a `skip`
 * (never removals); a genuinely empty list removes everything that was there.
 */
import { hash } from 'node:crypto';
import type { DealRawEvent } from '../../shared/events';
import { dealKey } from '../../shared/topics';

export type Source = DealRawEvent['source'];
export type Api = DealRawEvent['api'];

export interface PollLocation {
  id: string;
  state: string;
  timeZone: string;
  lspId: number;
  posLocId: number;
  api: 'pos' | 'backoffice';
  orgId: number | null;
  odooStoreId: number | null;
  /** the store directory gave the store its own POS key (source-choice.ts) */
  hasStoreKey?: boolean;
}

/**
 * A record of a feed as the poller keeps it: the id the raw event carries, the exact text it
 * publishes and hashes, and (Dutchie) the LocIds the deal is limited to. Not the parsed record:
 * 100k of those a cycle would live until published; this way they die as soon as they are read.
 */
export interface SourceRecord { discountId: string; text: string; locationRestrictions?: readonly unknown[] }

export type FetchOutcome = { kind: 'ok'; records: SourceRecord[] } | { kind: 'failed'; reason: string };

export type Plan =
  | { kind: 'skip'; reason: string }
  | { kind: 'publish'; events: Array<{ key: string; value: DealRawEvent }>; upserts: number; removals: number; hashes: Map<string, string> };

/**
 * sha256 of the record's JSON text as published (the source's own bytes when known). The text is both
 * the hashed content and the event's `record`; a source that re-spaced or reordered keys would cause
 * one harmless upsert.
 */
// One-shot crypto.hash: no Hash object per call (two hashes per deal, 100k deals a cycle).
const sha256Hex = (text: string): string => hash('sha256', text, 'hex');
export const hashText = sha256Hex;
export const contentHash = (record: unknown): string => hashText(JSON.stringify(record));

/** A stable event id for one change (the same change planned twice gets the same id). */
export function eventId(key: string, op: string, contentHash: string | null, fetchedAt: number): string {
  const h = sha256Hex(`${key}|${op}|${contentHash ?? ''}|${fetchedAt}`);
  return `${h.slice(0, 8)}-${h.slice(8, 12)}-5${h.slice(13, 16)}-a${h.slice(17, 20)}-${h.slice(20, 32)}`;
}

/** The id field of a Dutchie record (POS `id`, Backoffice `Id`), as text; undefined when missing. */
export function dutchieId(record: unknown, api: 'pos' | 'backoffice'): string | undefined {
  if (record === null || typeof record !== 'object') return undefined;
  const id = (record as Record<string, unknown>)[api === 'pos' ? 'id' : 'Id'];
  return typeof id === 'number' && Number.isInteger(id) ? String(id) : undefined;
}

/** A parsed Dutchie record and its text as a SourceRecord; undefined when it has no integer id. */
export function dutchieSourceRecord(record: unknown, text: string, api: 'pos' | 'backoffice'): SourceRecord | undefined {
  const discountId = dutchieId(record, api);
  if (discountId === undefined) return undefined;
  const list = (record as Record<string, unknown>)[api === 'pos' ? 'locationRestrictions' : 'LocationRestrictions'];
  return Array.isArray(list) && list.length > 0 ? { discountId, text, locationRestrictions: list } : { discountId, text };
}

/**
 * Whether a Dutchie record applies to a store: an empty `locationRestrictions` means every store of
 * the LSP; otherwise the store's POS LocId must be listed (Backoffice: `LocationRestrictions`).
 */
export function appliesToStore(record: SourceRecord, posLocId: number): boolean {
  return record.locationRestrictions === undefined || record.locationRestrictions.includes(posLocId);
}

export interface PtlRecordInfo { record: Record<string, unknown>; market: string | undefined }

/**
 * PTL `mint.discount` records that apply to a store: same market always (a deal of one market
 * never reaches another's stores), and either no `store_ids` (every store of the market) or the
 * store's Odoo id listed.
 */
export function ptlForStore(records: readonly PtlRecordInfo[], location: PollLocation): SourceRecord[] {
  return records
    .filter(({ record, market }) => {
      if (market !== location.state) return false;
      const stores = Array.isArray(record.store_ids) ? record.store_ids : [];
      return stores.length === 0 || (location.odooStoreId !== null && stores.includes(location.odooStoreId));
    })
    .map(({ record }) => ({ discountId: `ptl_${String(record.id)}`, text: JSON.stringify(record) }));
}

/** The changes for one (store, source): upserts for new/changed hashes, removals for vanished ids. */
export function planChanges(input: {
  location: PollLocation;
  source: Source;
  api: Api;
  fetch: FetchOutcome;
  previous: ReadonlyMap<string, string>;
  fetchedAt: number;
}): Plan {
  const { location, source, api, fetch, previous, fetchedAt } = input;
  if (fetch.kind === 'failed') return { kind: 'skip', reason: fetch.reason };
  const hashes = new Map<string, string>();
  const events: Array<{ key: string; value: DealRawEvent }> = [];
  const base = { source, api, locationId: location.id, market: location.state, timeZone: location.timeZone, posLocId: location.posLocId, fetchedAt };
  let upserts = 0;
  for (const { discountId, text } of fetch.records) {
    if (hashes.has(discountId)) continue; // a feed listing an id twice: the first wins
    const hash = hashText(text);
    hashes.set(discountId, hash);
    if (previous.get(discountId) === hash) continue;
    const key = dealKey(location.id, discountId);
    events.push({ key, value: { ...base, eventId: eventId(key, 'upsert', hash, fetchedAt), discountId, op: 'upsert', contentHash: hash, record: text } });
    upserts++;
  }
  let removals = 0;
  for (const discountId of previous.keys()) {
    if (hashes.has(discountId)) continue;
    const key = dealKey(location.id, discountId);
    events.push({ key, value: { ...base, eventId: eventId(key, 'remove', null, fetchedAt), discountId, op: 'remove', contentHash: null, record: null } });
    removals++;
  }
  return { kind: 'publish', events, upserts, removals, hashes };
}

/**
 * Whether a feed's deal count fell suspiciously in one cycle: to zero, or by more than `maxShare` of
 * what was published (a well-formed but empty or truncated reply looks exactly like that). Such a
 * drop's removals are held until the next cycle sees it too (poller.ts).
 */
export function isSuspiciousDrop(previous: number, current: number, maxShare: number): boolean {
  if (previous === 0 || current >= previous) return false;
  return current === 0 || (previous - current) / previous > maxShare;
}

/** The plan without its removals (a held drop: upserts still go out). */
export function withoutRemovals(plan: Extract<Plan, { kind: 'publish' }>): Extract<Plan, { kind: 'publish' }> {
  return { ...plan, events: plan.events.filter((e) => e.value.op !== 'remove'), removals: 0 };
}
