/**
 * The normaliser's decision for one raw deal event, pure: no Kafka, no clock. The consumer
 * publishes `emit` as the canonical deal, `tombstone` as a null value under the deal key
 * (compaction then forgets the deal), and sends `reject` to the dead-letter topic.
 */
import { z } from 'zod';
import type { Deal, DealRawEvent } from '../../shared/events';
import { dealKey } from '../../shared/topics';
import { mapBackoffice } from './map-backoffice';
import { mapPos } from './map-pos';
import { mapPtl } from './map-ptl';
import type { MapResult } from './mapping';
import { MappingError } from './rules';

export type Outcome =
  | { kind: 'emit'; key: string; deal: Deal }
  /** `version`: the fetch time of the raw event that removed it (shared/versioned.ts) */
  | { kind: 'tombstone'; key: string; reason: string; version: number }
  | { kind: 'reject'; error: string };

const LOCATION_PART = /^[^_]+$/;
const MARKET = /^[A-Z]{2}$/;
const isString = (v: unknown): v is string => typeof v === 'string';
const isNonEmpty = (v: unknown): v is string => typeof v === 'string' && v.length > 0;
const isInt = (v: unknown): v is number => typeof v === 'number' && Number.isInteger(v);

/**
 * The raw event as the normaliser trusts it (Avro gave the types; this adds the invariants), checked
 * by hand: it runs per event, and a zod object parse cost a tenth of the normaliser's CPU. Each
 * problem reads `path: message`; the value itself is used as it is (no copy).
 */
export function rawEventIssues(input: unknown): string[] {
  if (typeof input !== 'object' || input === null || Array.isArray(input)) return ['(root): expected a raw deal event'];
  const v = input as Record<string, unknown>;
  const issues: string[] = [];
  const want = (field: string, ok: boolean, message: string): void => { if (!ok) issues.push(`${field}: ${message}`); };
  want('eventId', isNonEmpty(v.eventId), 'expected a non-empty string');
  want('source', v.source === 'dutchie' || v.source === 'ptl', 'expected "dutchie" or "ptl"');
  want('api', v.api === 'pos' || v.api === 'backoffice' || v.api === 'odoo', 'expected "pos", "backoffice" or "odoo"');
  // The key's location part ends at the first '_' (partitioning depends on it).
  want('locationId', isNonEmpty(v.locationId) && LOCATION_PART.test(v.locationId), 'must not contain "_"');
  want('discountId', isNonEmpty(v.discountId), 'expected a non-empty string');
  want('op', v.op === 'upsert' || v.op === 'remove', 'expected "upsert" or "remove"');
  want('fetchedAt', isInt(v.fetchedAt) && v.fetchedAt >= 0, 'expected a non-negative integer');
  want('contentHash', v.contentHash === null || isString(v.contentHash), 'expected a string or null');
  want('record', v.record === null || isString(v.record), 'expected a string or null');
  want('market', isString(v.market) && MARKET.test(v.market), 'must be a two-letter market');
  want('timeZone', isNonEmpty(v.timeZone), 'expected a non-empty string');
  want('posLocId', v.posLocId === null || isInt(v.posLocId), 'expected an integer or null');
  return issues;
}

export function describeError(e: unknown): string {
  if (e instanceof z.ZodError) {
    return `invalid record: ${e.issues.slice(0, 5).map((i) => `${i.path.join('.') || '(root)'}: ${i.message}`).join('; ')}`;
  }
  if (e instanceof MappingError) return e.message;
  return `unexpected mapping failure: ${e instanceof Error ? e.message : String(e)}`;
}

function mapRecord(event: DealRawEvent, recordText: string, json: unknown): MapResult {
  switch (event.api) {
    case 'pos': return mapPos(event, recordText, json);
    case 'backoffice': return mapBackoffice(event, recordText, json);
    case 'odoo': return mapPtl(event, recordText, json);
    default: {
      const _exhaustive: never = event.api;
      throw new MappingError(`unknown api ${String(_exhaustive)}`);
    }
  }
}

export function handle(input: unknown): Outcome {
  const issues = rawEventIssues(input);
  if (issues.length > 0) return { kind: 'reject', error: `invalid raw event: invalid record: ${issues.slice(0, 5).join('; ')}` };
  const event = input as DealRawEvent;
  if ((event.source === 'ptl') !== (event.api === 'odoo')) return { kind: 'reject', error: `source ${event.source} cannot come from api ${event.api}` };
  const key = dealKey(event.locationId, event.discountId);
  if (event.op === 'remove') return { kind: 'tombstone', key, reason: 'removed at the source', version: event.fetchedAt };
  if (event.record === null) return { kind: 'reject', error: 'upsert without a record' };

  let json: unknown;
  try {
    json = JSON.parse(event.record);
  } catch {
    return { kind: 'reject', error: 'record is not valid JSON' };
  }
  try {
    const result = mapRecord(event, event.record, json);
    switch (result.kind) {
      case 'deal': {
        const { validFrom, validUntil } = result.deal;
        // An empty window (end at or before the start) is never live: withdrawn, like a deal with no day.
        if (validFrom !== null && validUntil !== null && validUntil <= validFrom) return { kind: 'tombstone', key, reason: 'empty validity window (end at or before start)', version: event.fetchedAt };
        return { kind: 'emit', key, deal: result.deal };
      }
      case 'absent': return { kind: 'tombstone', key, reason: result.reason, version: event.fetchedAt };
      default: {
        const _exhaustive: never = result;
        return _exhaustive;
      }
    }
  } catch (e) {
    return { kind: 'reject', error: describeError(e) };
  }
}
