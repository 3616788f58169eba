/**
 * The services' own per-event work, in this process, without Kafka, Postgres or Redis (bench:pipeline
 * reports it beside kafkajs's own cost): what is left of the services' CPU once the clients are taken
 * away, on the pipeline's events.
 *
 * - normaliser: Avro decode of the raw event, the mapping (handler.ts), Avro encode of the canonical
 *   deal, both with the services' own codec (shared/avro-codec.ts, schemas loaded from the registry);
 * - projector: Avro decode of the deal, the decision (handler.ts), the slice plan and its ONE
 *   JSON.stringify of the rows (store.ts), each deal's storefront fragment (location-cache.ts), and each
 *   location's value and its sha1 built ONCE (the running projector rebuilds a location once per batch
 *   that touches it, so this is its least).
 *
 * Each part runs three times over the same events and the least counts: a lower bound, with
 * less garbage-collection pressure than a service under load.
 */
import { handle } from '../services/normaliser/handler';
import { decideDeal, planBatch } from '../services/projector/handler';
import { fragmentOfRow } from '../services/projector/location-cache';
import type { BatchAvroCodec } from '../shared/avro-codec';
import type { DealRawEvent } from '../shared/events';
import { locationValue, valueVersion } from '../shared/storefront';

/** The projector's slice (services/projector/projector.ts). */
const SLICE = 500;

/** CPU microseconds per event of `run` over `events` events: the least of three runs (the first warms up). */
function cpuUsPerEvent(events: number, run: () => void): number {
  let us = Infinity;
  for (let i = 0; i < 3; i++) {
    const before = process.cpuUsage();
    run();
    const used = process.cpuUsage(before);
    us = Math.min(us, (used.user + used.system) / events);
  }
  return Math.round(us * 10) / 10;
}

export interface OwnWork { normaliser: number; projector: number; events: number }

/** `codec` has the raw event's (`rawId`) and the canonical deal's (`dealId`) schemas loaded. */
export function measureOwnWork(codec: BatchAvroCodec, rawId: number, dealId: number, rawEvents: readonly DealRawEvent[]): OwnWork {
  const raw = rawEvents.map((e) => codec.encode(rawId, e));
  const deals: Array<{ key: string; value: Buffer }> = [];

  const normaliser = cpuUsPerEvent(raw.length, () => {
    deals.length = 0;
    for (const b of raw) {
      const outcome = handle(codec.decode(b));
      if (outcome.kind === 'emit') deals.push({ key: outcome.key, value: codec.encode(dealId, outcome.deal) });
    }
  });

  const projector = cpuUsPerEvent(deals.length, () => {
    const byLocation = new Map<string, string[]>();
    for (let i = 0; i < deals.length; i += SLICE) {
      const plan = planBatch(deals.slice(i, i + SLICE).map((m) => decideDeal(m.key, codec.decode(m.value))));
      JSON.stringify(plan.upserts);
      for (const row of plan.upserts) {
        const fragments = byLocation.get(row.location_id) ?? [];
        byLocation.set(row.location_id, fragments);
        const f = fragmentOfRow(row);
        if (f !== undefined) fragments.push(f);
      }
    }
    for (const fragments of byLocation.values()) valueVersion(locationValue(fragments));
  });

  return { normaliser, projector, events: raw.length };
}
