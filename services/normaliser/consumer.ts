/**
 * The normaliser's Kafka side (a transformer): raw deal events in, canonical deals out.
 * Per consumer batch: load the batch's schemas once, decode + map + encode without awaits,
 * send ONE producer batch (deals, tombstones and dead letters together), then resolve the
 * batch's offsets. A failed send throws, so the batch is consumed again (at-least-once; the
 * output is keyed and idempotent). A message that cannot be decoded or mapped goes to the DLQ
 * and the consumer goes on.
 */
import type { Consumer, EachBatchPayload, Kafka, Message, Producer } from 'kafkajs';
import { Counter, Histogram, type Registry } from 'prom-client';
import type { Logger } from '../../shared/logger';
import { createProducer, ensureTopics } from '../../shared/kafka';
import type { AvroSerde } from '../../shared/serde';
import { TOPICS, topicName } from '../../shared/topics';
import { BatchAvroCodec, UndecodableError } from '../../shared/avro-codec';
import { dlqMessage } from '../../shared/dlq';
import { tombstoneHeaders } from '../../shared/versioned';
import { createConsumerHealth, type ConsumerHealth, type WatchedConsumer } from '../../shared/consumer-health';
import { withOutageRetry } from '../../shared/failure';
import { handle, type Outcome } from './handler';

export const SERVICE = 'normaliser';

export interface NormaliserOptions {
  kafka: Kafka;
  serde: AvroSerde;
  logger: Logger;
  topicPrefix: string;
  /** Full consumer group id (already prefixed). */
  groupId: string;
  /** Where a group without committed offsets starts (the live normaliser too: a new group reads the whole raw topics). */
  fromBeginning: boolean;
  /** Replay mode: refuse a group that already has committed offsets (it would not start from the beginning). */
  requireFreshGroup?: boolean;
  partitions: number;
  registry?: Registry;
  /** Bytes fetched per partition per batch: keeps one output batch under the broker's 1 MB. */
  maxBytesPerPartition?: number;
  partitionsConsumedConcurrently?: number;
  /** Called when the consumer crashed for good (kafkajs will not restart it): main exits so the process is restarted. */
  onFatal?: (err: unknown) => void;
  /** The service's consumer health (/health); the normaliser watches its consumer there. */
  health?: ConsumerHealth;
  /** The mapping (handler.ts's `handle`); a parameter so a test can run a fixed mapping against a dead letter. */
  decide?: (input: unknown) => Outcome;
}

/**
 * Retries a retriable Kafka error with a growing pause: right after topics are created the
 * broker may briefly answer "not the leader" for them.
 */
async function retrying<T>(op: () => Promise<T>, attempts = 10): Promise<T> {
  for (let i = 1; ; i++) {
    try {
      return await op();
    } catch (e) {
      if (i >= attempts || !(e as { retriable?: boolean }).retriable) throw e;
      await new Promise((r) => setTimeout(r, 100 * i));
    }
  }
}

export interface Normaliser {
  start(): Promise<void>;
  stop(): Promise<void>;
  healthy(): boolean;
  /** Resolves once every raw partition has been consumed up to its end offset at start (replay mode). */
  caughtUp(): Promise<void>;
  readonly counts: Record<'emit' | 'tombstone' | 'reject' | 'batches', number>;
  /** performance.now() of the first batch's start and the last batch's end (benchmarks). */
  readonly timing: { firstBatchAt: number | null; lastBatchAt: number | null };
}

export function createNormaliser(opts: NormaliserOptions): Normaliser {
  const { kafka, serde, logger, topicPrefix } = opts;
  const names = {
    rawDutchie: topicName(topicPrefix, TOPICS.rawDutchie),
    rawPtl: topicName(topicPrefix, TOPICS.rawPtl),
    discounts: topicName(topicPrefix, TOPICS.discounts),
    dlq: topicName(topicPrefix, TOPICS.dlq),
  };
  const codec = new BatchAvroCodec(serde);
  const decide = opts.decide ?? handle;
  const counts = { emit: 0, tombstone: 0, reject: 0, batches: 0 };
  const timing: Normaliser['timing'] = { firstBatchAt: null, lastBatchAt: null };
  const metrics = opts.registry ? {
    messages: new Counter({ name: 'normaliser_messages_total', help: 'raw deal events by outcome', labelNames: ['outcome'], registers: [opts.registry] }),
    batchSeconds: new Histogram({ name: 'normaliser_batch_seconds', help: 'time to map and publish one consumer batch', buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5], registers: [opts.registry] }),
  } : undefined;

  let consumer: Consumer | undefined;
  let producer: Producer | undefined;
  let dealSchemaId = 0;
  let watch: WatchedConsumer | undefined;
  const health = opts.health ?? createConsumerHealth({ logger, onFatal: (_name, err) => opts.onFatal?.(err) });
  /** topic:partition -> end offset to reach (replay mode's "caught up"). */
  const targets = new Map<string, bigint>();
  let resolveCaughtUp: () => void = () => undefined;
  const caughtUpPromise = new Promise<void>((resolve) => { resolveCaughtUp = resolve; });

  function markProgress(topic: string, partition: number, nextOffset: bigint): void {
    const key = `${topic}:${partition}`;
    const target = targets.get(key);
    if (target !== undefined && nextOffset >= target) targets.delete(key);
    if (targets.size === 0) resolveCaughtUp();
  }

  async function eachBatch(payload: EachBatchPayload): Promise<void> {
    const { batch } = payload;
    if (batch.messages.length === 0 || !payload.isRunning() || payload.isStale()) return;
    timing.firstBatchAt ??= performance.now();
    const endTimer = metrics?.batchSeconds.startTimer();
    // A registry or broker outage is waited out here (nothing dead-lettered, nothing committed); a
    // message's own fault is dead-lettered inside; anything else goes to kafkajs (shared/failure.ts).
    const r = await withOutageRetry(() => mapAndSend(payload), {
      what: `normaliser ${batch.topic}[${batch.partition}]`, key: `${batch.topic}:${batch.partition}`, logger, reporter: watch,
      active: () => payload.isRunning() && !payload.isStale(), heartbeat: () => payload.heartbeat(),
    });
    if (!r.done || r.value === undefined) return; // no longer ours: not resolved, consumed again by the owner
    const tally = r.value;

    const last = batch.lastOffset();
    payload.resolveOffset(last);
    await payload.commitOffsetsIfNecessary();
    await payload.heartbeat();

    counts.emit += tally.emit; counts.tombstone += tally.tombstone; counts.reject += tally.reject; counts.batches++;
    metrics?.messages.inc({ outcome: 'emit' }, tally.emit);
    metrics?.messages.inc({ outcome: 'tombstone' }, tally.tombstone);
    metrics?.messages.inc({ outcome: 'reject' }, tally.reject);
    endTimer?.();
    timing.lastBatchAt = performance.now();
    markProgress(batch.topic, batch.partition, BigInt(last) + 1n);
  }

  /** Decodes, maps and encodes the batch, then sends ONE producer batch; returns the tally. */
  /** undefined: the partition was lost before the send (nothing sent, see the fencing note below). */
  async function mapAndSend(payload: EachBatchPayload): Promise<{ emit: number; tombstone: number; reject: number } | undefined> {
    const { batch } = payload;
    await codec.prepare(batch.messages.map((m) => m.value));

    const deals: Message[] = [];
    const dead: Message[] = [];
    const tally = { emit: 0, tombstone: 0, reject: 0 };
    for (const m of batch.messages) {
      const origin = { topic: batch.topic, partition: batch.partition, offset: m.offset };
      let reason: string;
      try {
        const outcome = decide(codec.decode(m.value));
        switch (outcome.kind) {
          case 'emit': {
            let value: Buffer;
            try {
              value = codec.encode(dealSchemaId, outcome.deal);
            } catch (e) {
              reason = `canonical deal does not fit the Deal schema: ${e instanceof Error ? e.message : String(e)}`;
              break;
            }
            deals.push({ key: outcome.key, value });
            tally.emit++;
            continue;
          }
          case 'tombstone':
            deals.push({ key: outcome.key, value: null, headers: tombstoneHeaders(outcome.version) });
            tally.tombstone++;
            continue;
          case 'reject':
            reason = outcome.error;
            break;
          default: {
            const _exhaustive: never = outcome;
            throw new Error(`unknown outcome ${JSON.stringify(_exhaustive)}`);
          }
        }
      } catch (e) {
        if (!(e instanceof UndecodableError)) throw e; // not about this message (a bug): retry the batch, never dead-letter it
        reason = `undecodable: ${e.message}`;
      }
      tally.reject++;
      dead.push(dlqMessage({ key: m.key, value: m.value, headers: m.headers }, origin, reason, SERVICE));
    }

    const topicMessages = [];
    if (deals.length) topicMessages.push({ topic: names.discounts, messages: deals });
    if (dead.length) topicMessages.push({ topic: names.dlq, messages: dead });
    // Fencing (several instances): a batch of a partition lost in a rebalance meanwhile is not sent; its
    // new owner maps it again from the last commit (the output is keyed and versioned: a copy is absorbed).
    if (!payload.isRunning() || payload.isStale()) return undefined;
    if (topicMessages.length) await producer!.sendBatch({ topicMessages }); // set in start(), before run()
    for (const d of dead) logger.warn({ topic: batch.topic, partition: batch.partition, offset: d.headers?.['dlq-origin-offset']?.toString(), reason: d.headers?.['dlq-reason']?.toString() }, 'dead-lettered a raw deal event');
    return tally;
  }

  return {
    counts,
    timing,
    healthy: () => watch?.state() === 'running',
    caughtUp: () => caughtUpPromise,

    async start() {
      const admin = kafka.admin();
      await admin.connect();
      try {
        await ensureTopics(admin, topicPrefix, [TOPICS.rawDutchie, TOPICS.rawPtl, TOPICS.discounts, TOPICS.dlq], opts.partitions);
        if (opts.requireFreshGroup) {
          const committed = await admin.fetchOffsets({ groupId: opts.groupId, topics: [names.rawDutchie, names.rawPtl] });
          if (committed.some((t) => t.partitions.some((p) => Number(p.offset) >= 0))) {
            throw new Error(`consumer group ${opts.groupId} already has committed offsets: a replay needs a fresh group`);
          }
        }
        for (const topic of [names.rawDutchie, names.rawPtl]) {
          for (const p of await retrying(() => admin.fetchTopicOffsets(topic))) {
            if (BigInt(p.high) > BigInt(p.low)) targets.set(`${topic}:${p.partition}`, BigInt(p.high));
          }
        }
      } finally {
        await admin.disconnect();
      }
      if (targets.size === 0) resolveCaughtUp();
      dealSchemaId = await serde.register(names.discounts, TOPICS.discounts.schema);
      await codec.load(dealSchemaId);

      producer = createProducer(kafka);
      await producer.connect();
      consumer = kafka.consumer({
        groupId: opts.groupId,
        allowAutoTopicCreation: false,
        maxBytesPerPartition: opts.maxBytesPerPartition ?? 512 * 1024,
      });
      watch = health.watch('normaliser', consumer);
      await consumer.connect();
      await consumer.subscribe({ topics: [names.rawDutchie, names.rawPtl], fromBeginning: opts.fromBeginning });
      await consumer.run({
        // Offsets are resolved only after the batch's send succeeded; kafkajs commits them after the batch.
        eachBatchAutoResolve: false,
        partitionsConsumedConcurrently: opts.partitionsConsumedConcurrently ?? opts.partitions,
        eachBatch,
      });
      logger.info({ groupId: opts.groupId, fromBeginning: opts.fromBeginning, topics: [names.rawDutchie, names.rawPtl] }, 'normaliser consuming');
    },

    async stop() {
      // disconnect() lets the batch in flight finish and commit before leaving the group.
      await consumer?.disconnect();
      await producer?.disconnect();
    },
  };
}
