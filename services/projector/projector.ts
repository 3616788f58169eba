/**
 * The projector's consumer: decode a batch, decide (handler.ts), write Postgres, rebuild each touched
 * location's Redis key once, and only then commit the batch's offsets. An outage of the registry,
 * Postgres, Redis or the broker is waited out with backoff and the batch re-applied (idempotent by
 * version), nothing committed meanwhile; any other failure throws, kafkajs restarts the consumer and
 * the batch is redelivered (shared/failure.ts).
 */
import type { Consumer, EachBatchPayload, Kafka, KafkaMessage, Producer } from 'kafkajs';
import { Counter, Histogram, type Registry } from 'prom-client';
import type { Kysely } from '../../shared/db/db';
import type { Database } from '../../shared/db/schema';
import { createProducer, ensureTopics } from '../../shared/kafka';
import type { Logger } from '../../shared/logger';
import type { Redis } from '../../shared/redis';
import { BatchAvroCodec, UndecodableError } from '../../shared/avro-codec';
import type { AvroSerde } from '../../shared/serde';
import { TOPICS, locationOfKey, topicName } from '../../shared/topics';
import { tombstoneVersion } from '../../shared/versioned';
import type { Ownership, PartitionFence } from '../../shared/fencing';
import { sendToDlq, type DeadLetter } from './dlq';
import { decideDeal, planBatch, type DealOutcome } from './handler';
import { LocationCache } from './location-cache';
import { applyToPostgres, rebuildLocation } from './store';
import type { SwitchLock } from './switch-lock';
import { createConsumerHealth, type ConsumerHealth } from '../../shared/consumer-health';
import { withOutageRetry } from '../../shared/failure';

export interface ProjectorDeps {
  kafka: Kafka;
  serde: AvroSerde;
  db: Kysely<Database>;
  redis: Redis;
  logger: Logger;
  topicPrefix: string;
  redisPrefix: string;
  groupId: string;
  concurrency?: number;
  partitions?: number;
  now?: () => Date;
  metrics?: Registry;
  /** Replay of one location: events of other locations are passed over (offsets still committed). */
  onlyLocation?: string;
  /** false in replays: poison messages were dead-lettered by the live projector already. */
  deadLetter?: boolean;
  /** Called after a location's deals were rebuilt, before the commit (the inventory snapshot's recompute). */
  onLocationRebuilt?: (locationId: string) => Promise<void>;
  /** Called after each committed batch (replay's progress bar, tests). `nextOffset`: where the partition stands. */
  onBatch?: (info: { topic: string; partition: number; nextOffset: string; highWatermark: string; events: number; locations: number }) => void;
  /** The live projector's side of a rebuild's switch (switch-lock.ts): each batch holds it shared. */
  switchLock?: SwitchLock;
  /** A rebuild reads each partition only up to an end offset (exclusive) that may move on: the rest waits, unresolved. */
  until?: (partition: number) => bigint | undefined;
  /** Every slice's decided outcomes (a rebuild's expected state, to verify the shadow against the topic). */
  onOutcomes?: (outcomes: readonly DealOutcome[]) => void;
  /** Several instances in one group: each write checks the partition is still this instance's (shared/fencing.ts). */
  fence?: PartitionFence;
  /** Bytes of storefront fragments kept in memory (location-cache.ts; default 32 MB; 0: none, every value read back). */
  cacheBytes?: number;
  /** The service's consumer health (/health): the consumer is watched there as `projector`. */
  health?: ConsumerHealth;
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

export interface Projector { start(): Promise<void>; stop(): Promise<void> }

/** Messages decoded and written to Postgres together (see eachBatch). */
const SLICE = 500;

/** What one message means; a value that is not Avro of a known schema is a reject (poison). */
function outcomeOf(codec: BatchAvroCodec, m: KafkaMessage): DealOutcome {
  const key = m.key?.toString() ?? null;
  if (m.value === null) return decideDeal(key, null, tombstoneVersion(m.headers, m.timestamp));
  let value: unknown;
  try {
    value = codec.decode(m.value);
  } catch (e) {
    if (e instanceof UndecodableError) return { kind: 'reject', reason: `undecodable: ${e.message}` };
    throw e;
  }
  return decideDeal(key, value);
}

export function createProjector(deps: ProjectorDeps): Projector {
  const { kafka, db, redis, logger } = deps;
  const codec = new BatchAvroCodec(deps.serde);
  const now = deps.now ?? (() => new Date());
  const topic = topicName(deps.topicPrefix, TOPICS.discounts);
  const dlqTopic = topicName(deps.topicPrefix, TOPICS.dlq);
  const registers = deps.metrics ? [deps.metrics] : [];
  const events = new Counter({ name: 'projector_events_total', help: 'events consumed', labelNames: ['outcome'], registers });
  const rebuilds = new Counter({ name: 'projector_location_rebuilds_total', help: 'Redis location values rebuilt', registers });
  const batchSeconds = new Histogram({ name: 'projector_batch_seconds', help: 'batch processing time', registers, buckets: [0.01, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10] });

  let consumer: Consumer | undefined;
  let producer: Producer | undefined;
  // the owned locations' deals in memory: Redis values built without reading the rows back (location-cache.ts)
  const cache = new LocationCache(deps.cacheBytes);

  async function projectBatch(payload: EachBatchPayload, inBound: KafkaMessage[], boundReached: string | undefined, own: Ownership | undefined): Promise<void> {
    const { batch } = payload;
    const fence = deps.fence;
    const guard = fence && own ? (tx: Kysely<Database>) => fence.check(tx, own) : undefined;
    const write = fence && own ? (pairs: ReadonlyArray<readonly [string, string]>) => fence.redisSet(own, pairs) : undefined;
    const last = inBound[inBound.length - 1]!.offset;
    const end = batchSeconds.startTimer();
    const only = deps.onlyLocation;
    const messages = only === undefined ? inBound : inBound.filter((m) => m.key !== null && locationOfKey(m.key.toString()) === only);
    // Slices of a batch go to Postgres one after another (each upsert idempotent by version, so a
    // redelivered batch re-applies safely); only each slice's objects are alive at a time, which
    // keeps memory flat with several partitions in flight. Redis is rebuilt once per batch.
    const touched = new Set<string>();
    let rejected = 0;
    let firstReason: string | undefined;
    await cache.checkTable(db); // under the switch lock: a rebuild's switch swaps the table between batches
    for (let i = 0; i < messages.length; i += SLICE) {
      const slice = messages.slice(i, i + SLICE);
      // The slice's writer schemas are looked up once (a registry failure throws: the batch is
      // retried; a schema the registry does not have makes its messages poison), then every
      // message is decoded without an await.
      await codec.prepare(slice.map((m) => m.value));
      const outcomes: DealOutcome[] = [];
      const letters: DeadLetter[] = [];
      for (const m of slice) {
        const out = outcomeOf(codec, m);
        if (out.kind === 'reject') {
          letters.push({ key: m.key, value: m.value, headers: m.headers, reason: out.reason, origin: { topic: batch.topic, partition: batch.partition, offset: m.offset } });
        }
        outcomes.push(out);
      }
      const plan = planBatch(outcomes);
      if (deps.deadLetter !== false) await sendToDlq(producer!, dlqTopic, 'projector', letters);
      await cache.load(db, plan.locations); // the state before this slice, for locations not in memory yet
      await applyToPostgres(db, plan, guard);
      cache.apply(plan); // committed: memory follows
      deps.onOutcomes?.(outcomes);
      await payload.heartbeat();
      for (const location of plan.locations) touched.add(location);
      rejected += plan.rejected;
      firstReason ??= letters[0]?.reason;
    }
    const at = now();
    const locations = [...touched].sort();
    for (const location of locations) {
      await rebuildLocation(db, redis, deps.redisPrefix, location, at, cache.value(location), write);
      await deps.onLocationRebuilt?.(location);
    }
    const nextOffset = (BigInt(last) + 1n).toString();
    payload.resolveOffset(last); // kafkajs's fetch position
    await consumer!.commitOffsets([{ topic: batch.topic, partition: batch.partition, offset: nextOffset }]);
    events.inc({ outcome: 'projected' }, messages.length - rejected);
    if (rejected) {
      events.inc({ outcome: 'dead_lettered' }, rejected);
      logger.warn({ count: rejected, partition: batch.partition, reason: firstReason }, 'dead-lettered poison messages');
    }
    rebuilds.inc(locations.length);
    end();
    deps.onBatch?.({ topic: batch.topic, partition: batch.partition, nextOffset: boundReached ?? nextOffset, highWatermark: batch.highWatermark, events: inBound.length, locations: locations.length });
  }

  return {
    async start() {
      const admin = kafka.admin();
      await admin.connect();
      try { await ensureTopics(admin, deps.topicPrefix, [TOPICS.discounts, TOPICS.dlq], deps.partitions ?? 3); } finally { await admin.disconnect(); }
      producer = createProducer(kafka);
      await producer.connect();
      const c = kafka.consumer({
        groupId: `${deps.topicPrefix}${deps.groupId}`, allowAutoTopicCreation: false,
        // Bounded batches; each still touches few locations (a store's deals arrive together).
        maxBytesPerPartition: 4 * 1024 * 1024, maxBytes: 12 * 1024 * 1024, maxWaitTimeInMs: 50,
      });
      consumer = c;
      deps.fence?.watch(c);
      c.on(c.events.GROUP_JOIN, () => cache.invalidate()); // a rebalance: another instance may have written our locations meanwhile
      const watch = (deps.health ?? createConsumerHealth({ logger })).watch('projector', c);
      await c.connect();
      await c.subscribe({ topic, fromBeginning: true });
      await c.run({
        autoCommit: false,
        eachBatchAutoResolve: false,
        partitionsConsumedConcurrently: deps.concurrency ?? 3,
        eachBatch: async (payload) => {
          const { batch } = payload;
          if (batch.messages.length === 0 || !payload.isRunning() || payload.isStale()) return;
          // A rebuild's bound: messages at or past it wait (unresolved, so they are fetched again once it moves).
          const bound = deps.until?.(batch.partition);
          const cut = bound === undefined ? -1 : batch.messages.findIndex((m) => BigInt(m.offset) >= bound);
          const inBound = cut < 0 ? batch.messages : batch.messages.slice(0, cut);
          if (inBound.length === 0) {
            deps.onBatch?.({ topic: batch.topic, partition: batch.partition, nextOffset: String(bound), highWatermark: batch.highWatermark, events: 0, locations: 0 });
            await sleep(100); // idle at the bound without spinning on refetches
            await payload.heartbeat();
            return;
          }
          // several instances: claim the partition on first sight, and drop the batch (uncommitted) once another instance owns it
          const own = await deps.fence?.acquire(batch.topic, batch.partition);
          if (deps.fence && own === undefined) { await sleep(500); await payload.heartbeat(); return; }
          // a failed batch (an outage: retried) leaves memory to be reloaded from Postgres, whatever it committed
          const run = (): Promise<void> => projectBatch(payload, inBound, cut >= 0 ? String(bound) : undefined, own).catch((e: unknown) => { cache.invalidate(); throw e; });
          try {
            await withOutageRetry(() => (deps.switchLock ? deps.switchLock.shared(run) : run()), {
              what: `projector ${batch.topic}[${batch.partition}]`, key: `${batch.topic}:${batch.partition}`, logger, reporter: watch,
              active: () => payload.isRunning() && !payload.isStale(), heartbeat: () => payload.heartbeat(),
            });
          } catch (e) {
            if (!deps.fence?.refused(e, batch.topic, batch.partition)) throw e;
          }
        },
      });
    },
    async stop() {
      await consumer?.disconnect();
      await producer?.disconnect();
    },
  };
}
