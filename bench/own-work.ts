/**
 * The services' own per-event work, in this process, without Kafka, Postgres or Redis (bench:pipeline
 * reports it beside kafkajs's own cost): what is left of the services' CPU once the clients are taken
 * away, on the pipeline's events.
 *
 * - normaliser: Avro decode of the raw event, the mapping (handler.ts), Avro encode of the canonical
 *   deal into a scratch buffer and one copy out (as shared/avro-codec.ts does);
 * - projector: Avro decode of the deal, the decision (handler.ts), the slice plan and its ONE
 *   JSON.stringify of the rows (store.ts), each deal's storefront fragment (location-cache.ts), and each
 *   location's value and its sha1 built ONCE (the running projector rebuilds a location once per batch
 *   that touches it, so this is its least).
 *
 * Each part runs three times over the same events and the least counts: a lower bound, with
 * less garbage-collection pressure than a service under load.
 */
import avro from 'avsc';
import { handle } from '../services/normaliser/handler';
import { decideDeal, planBatch } from '../services/projector/handler';
import { fragmentOfRow } from '../services/projector/location-cache';
import type { DealRawEvent } from '../shared/events';
import { loadSchemas } from '../shared/serde';
import { locationValue, valueVersion } from '../shared/storefront';
import { TOPICS } from '../shared/topics';

/** The projector's slice (services/projector/projector.ts). */
const SLICE = 500;

interface AvroType { fromBuffer(b: Buffer): unknown; toBuffer(v: unknown): Buffer; encode(v: unknown, b: Buffer, pos: number): number }

function typeOf(name: string): AvroType {
  const schema = loadSchemas().get(name);
  if (!schema) throw new Error(`no schema ${name}`);
  return avro.Type.forSchema(JSON.parse(schema) as avro.Schema, { wrapUnions: false });
}

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

export interface OwnWork { normaliser: number; projector: number; services: number; events: number }

export function measureOwnWork(rawEvents: readonly DealRawEvent[]): OwnWork {
  const rawType = typeOf(TOPICS.rawDutchie.schema);
  const dealType = typeOf(TOPICS.discounts.schema);
  const raw = rawEvents.map((e) => rawType.toBuffer(e));
  let scratch = Buffer.allocUnsafe(64 * 1024);
  const deals: Array<{ key: string; value: Buffer }> = [];

  const normaliser = cpuUsPerEvent(raw.length, () => {
    deals.length = 0;
    for (const b of raw) {
      const outcome = handle(rawType.fromBuffer(b));
      if (outcome.kind !== 'emit') continue;
      let end = dealType.encode(outcome.deal, scratch, 5);
      if (end < 0) { scratch = Buffer.allocUnsafe(scratch.length * 2 - end); end = dealType.encode(outcome.deal, scratch, 5); }
      deals.push({ key: outcome.key, value: Buffer.from(scratch.subarray(5, end)) });
    }
  });

  const projector = cpuUsPerEvent(deals.length, () => {
    const byLocation = new Map<string, string[]>();
    for (let i = 0; i < deals.length; i += SLICE) {
      const plan = planBatch(deals.slice(i, i + SLICE).map((m) => decideDeal(m.key, dealType.fromBuffer(m.value))));
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

  return { normaliser, projector, services: Math.round((normaliser + projector) * 10) / 10, events: raw.length };
}
