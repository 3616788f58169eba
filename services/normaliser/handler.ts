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

/** The raw event as the normaliser trusts it (Avro gave the types; this adds the invariants). */
export const rawEventSchema = z.object({
  eventId: z.string().min(1),
  source: z.enum(['dutchie', 'ptl']),
  api: z.enum(['pos', 'backoffice', 'odoo']),
  // The key's location part ends at the first '_' (partitioning depends on it).
  locationId: z.string().min(1).regex(/^[^_]+$/, 'must not contain "_"'),
  discountId: z.string().min(1),
  op: z.enum(['upsert', 'remove']),
  fetchedAt: z.number().int().nonnegative(),
  contentHash: z.string().nullable(),
  record: z.string().nullable(),
  market: z.string().regex(/^[A-Z]{2}$/, 'must be a two-letter market'),
  timeZone: z.string().min(1),
  posLocId: z.number().int().nullable(),
}) satisfies z.ZodType<DealRawEvent>;

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
  const parsed = rawEventSchema.safeParse(input);
  if (!parsed.success) return { kind: 'reject', error: `invalid raw event: ${describeError(parsed.error)}` };
  const event = parsed.data;
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
