/**
 * The sink's consumer (a reactor: side effects in Odoo, made idempotent by reading Odoo first).
 * eachBatch, in slices: decode → select (last state per key, PTL skipped) → sink.apply → dead letters
 * → commit. While Odoo is down the slice is retried with backoff, heartbeating, and nothing is
 * committed or dropped; offsets move only after Odoo accepted the slice.
 */
import { dlqHeaders as sharedDlqHeaders } from '../../shared/dlq';
import type { Consumer, Kafka, KafkaMessage, Producer } from 'kafkajs';
import type { Registry } from 'prom-client';
import { Counter, Gauge } from 'prom-client';
import { isStaleOwner, type PartitionFence } from '../../shared/fencing';
import { createProducer, ensureTopics } from '../../shared/kafka';
import type { Logger } from '../../shared/logger';
import type { AvroSerde } from '../../shared/serde';
import { TOPICS, topicName } from '../../shared/topics';
import { tombstoneVersion } from '../../shared/versioned';
import { parseDeal } from './deal-schema';
import { selectTargets, type Origin, type SinkMessage, type Target } from './handler';
import { createConsumerHealth, type ConsumerHealth, type WatchedConsumer } from '../../shared/consumer-health';
import { classifyFailure, errorText, withOutageRetry } from '../../shared/failure';
import { OUTCOMES, type DeadDeal, type Sink } from './sink';

export interface ConsumerSettings {
  topicPrefix: string;
  groupId: string;
  partitions: number;
  /** Messages applied (and committed) together; several Odoo calls of ≤ batchSize records each. */
  sliceSize: number;
  /** Partitions processed at once (a location lives on one partition, so they never share a key). */
  partitionsConcurrently: number;
  retryBaseMs: number;
  retryCapMs: number;
}

export interface ConsumerDeps {
  kafka: Kafka; serde: AvroSerde; sink: Sink; logger: Logger; settings: ConsumerSettings; metrics?: Registry;
  /** Several instances in one group: Odoo calls and the applied rows only while the partition is ours (shared/fencing.ts). */
  fence?: PartitionFence;
  /** The service's consumer health (/health): the consumer is watched there as `odoo-sink`. */
  health?: ConsumerHealth;
}

interface DeadLetter { key: Buffer | null; value: Buffer | null; headers?: KafkaMessage['headers']; origin: Origin; reason: 'undecodable' | 'invalid' | 'odoo_validation' | 'unmappable'; error: string; odooName?: string }

export function dlqHeaders(d: Omit<DeadLetter, 'key' | 'value'>): Record<string, string> {
  return sharedDlqHeaders(d.origin, d.reason, 'odoo-sink', {
    'dlq-error': d.error.slice(0, 2000),
    ...(d.odooName ? { 'dlq-odoo-error': d.odooName } : {}),
  });
}

export function createOdooSinkConsumer({ kafka, serde, sink, logger, settings, metrics, health, fence }: ConsumerDeps) {
  const log = logger.child({ component: 'odoo-sink-consumer' });
  const inTopic = topicName(settings.topicPrefix, TOPICS.discounts);
  const dlqTopic = topicName(settings.topicPrefix, TOPICS.dlq);
  const registers = metrics ? [metrics] : [];
  const deals = new Counter({ name: 'odoo_sink_deals_total', help: 'deals handled, by outcome', labelNames: ['outcome'], registers });
  const retries = new Counter({ name: 'odoo_sink_batch_retries_total', help: 'slices retried because Odoo failed', registers });
  const odooUp = new Gauge({ name: 'odoo_sink_odoo_up', help: '1 when the last Odoo call of the sink succeeded', registers });
  for (const o of [...OUTCOMES, 'ptl', 'superseded', 'bad_key']) deals.inc({ outcome: o }, 0);

  let consumer: Consumer | undefined;
  let watch: WatchedConsumer | undefined;
  /** Partitions whose current slice is failing (Odoo down or erroring): /health is degraded meanwhile. */
  const failing = new Set<number>();
  let producer: Producer | undefined;

  /** Decodes a slice; undecodable/invalid messages become dead letters at once. Registry outages throw. */
  async function decode(topic: string, partition: number, messages: KafkaMessage[]): Promise<{ ok: SinkMessage[]; poison: DeadLetter[]; raw: Map<string, KafkaMessage> }> {
    const ok: SinkMessage[] = [];
    const poison: DeadLetter[] = [];
    const raw = new Map<string, KafkaMessage>();
    for (const m of messages) {
      const origin = { topic, partition, offset: m.offset };
      raw.set(m.offset, m);
      const key = m.key?.toString() ?? '';
      if (m.value === null) { ok.push({ key, deal: null, version: tombstoneVersion(m.headers, m.timestamp), origin }); continue; }
      if (m.value.length < 5 || m.value[0] !== 0) { poison.push({ key: m.key, value: m.value, headers: m.headers, origin, reason: 'undecodable', error: 'not Confluent-framed Avro' }); continue; }
      let decoded: unknown;
      try {
        decoded = await serde.decode(m.value);
      } catch (e) {
        if (classifyFailure(e) !== 'bad-message') throw e; // a registry outage is not the message's fault: the slice is retried
        poison.push({ key: m.key, value: m.value, headers: m.headers, origin, reason: 'undecodable', error: errorText(e) });
        continue;
      }
      const parsed = parseDeal(decoded);
      if (!parsed.ok) { poison.push({ key: m.key, value: m.value, headers: m.headers, origin, reason: 'invalid', error: parsed.error }); continue; }
      ok.push({ key, deal: parsed.deal, version: parsed.deal.version, origin });
    }
    return { ok, poison, raw };
  }

  async function deadLetter(letters: DeadLetter[]): Promise<void> {
    if (letters.length === 0 || !producer) return;
    await producer.send({ topic: dlqTopic, messages: letters.map((d) => ({ key: d.key, value: d.value, headers: { ...d.headers, ...dlqHeaders(d) } })) });
    for (const d of letters) log.warn({ origin: d.origin, reason: d.reason, error: d.error }, 'deal sent to the DLQ');
  }

  const asLetter = (d: DeadDeal, raw: Map<string, KafkaMessage>): DeadLetter => {
    const m = raw.get(d.target.origin.offset);
    return {
      key: m?.key ?? Buffer.from(d.target.key), value: m?.value ?? null, headers: m?.headers, origin: d.target.origin,
      reason: d.odooName ? 'odoo_validation' : 'unmappable', error: d.error, odooName: d.odooName,
    };
  };

  async function start(): Promise<void> {
    const admin = kafka.admin();
    await admin.connect();
    try { await ensureTopics(admin, settings.topicPrefix, [TOPICS.discounts, TOPICS.dlq], settings.partitions); } finally { await admin.disconnect(); }
    producer = createProducer(kafka);
    await producer.connect();
    const c = kafka.consumer({ groupId: `${settings.topicPrefix}${settings.groupId}` });
    consumer = c;
    watch = (health ?? createConsumerHealth({ logger })).watch('odoo-sink', c);
    const w = watch;
    await c.connect();
    await c.subscribe({ topic: inTopic, fromBeginning: true });
    // After a rebalance the partitions may be someone else's: their failures are no longer ours to report.
    c.on(c.events.GROUP_JOIN, () => { failing.clear(); });
    fence?.watch(c);
    await c.run({
      autoCommit: false,
      partitionsConsumedConcurrently: settings.partitionsConcurrently,
      eachBatchAutoResolve: false,
      eachBatch: async (payload) => {
        const { batch } = payload;
        // several instances: claim the partition on first sight; a partition refused to us is left to its owner
        const own = await fence?.acquire(batch.topic, batch.partition);
        if (fence && own === undefined) { await new Promise((r) => setTimeout(r, 500)); return; }
        const fenced = fence && own ? { before: () => fence.verify(own), inSave: (tx: Parameters<PartitionFence['check']>[0]) => fence.check(tx, own) } : undefined;
        const beat = setInterval(() => { payload.heartbeat().catch(() => undefined); }, 2_000);
        const applySlice = async (slice: KafkaMessage[]): Promise<void> => {
          try {
            const { ok, poison, raw } = await decode(batch.topic, batch.partition, slice);
            const selected = selectTargets(ok);
            const targets = selected.flatMap((s): Target[] => (s.kind === 'target' ? [s.target] : []));
            const result = await sink.apply(targets, fenced);
            await deadLetter([...poison, ...result.dead.map((d) => asLetter(d, raw))]);
            odooUp.set(1);
            failing.delete(batch.partition);
            for (const [outcome, n] of Object.entries(result.counts)) deals.inc({ outcome }, n);
            for (const s of selected) if (s.kind === 'skip') deals.inc({ outcome: s.reason });
          } catch (e) {
            if (isStaleOwner(e)) throw e; // not Odoo's failure
            odooUp.set(0);
            failing.add(batch.partition);
            retries.inc();
            throw e;
          }
        };
        try {
          for (let i = 0; i < batch.messages.length; i += settings.sliceSize) {
            if (!payload.isRunning() || payload.isStale()) return;
            const slice = batch.messages.slice(i, i + settings.sliceSize);
            // Odoo, the registry, the broker or Postgres failing: the slice is retried with backoff, heartbeating,
            // nothing committed or dropped (every failure of a slice: a poison message was dead-lettered inside)
            let r: Awaited<ReturnType<typeof withOutageRetry>>;
            try {
              r = await withOutageRetry(() => applySlice(slice), {
                what: `odoo-sink ${batch.topic}[${batch.partition}]`, key: `${batch.topic}:${batch.partition}`, logger: log, reporter: w,
                backoff: { baseMs: settings.retryBaseMs, capMs: settings.retryCapMs }, retryable: (e) => !isStaleOwner(e),
                active: () => payload.isRunning() && !payload.isStale(), heartbeat: () => payload.heartbeat(),
              });
            } catch (e) {
              if (fence?.refused(e, batch.topic, batch.partition)) return; // nothing committed: the owner redoes it
              throw e;
            }
            if (!r.done) return;
            const last = slice[slice.length - 1]!.offset;
            payload.resolveOffset(last);
            await c.commitOffsets([{ topic: batch.topic, partition: batch.partition, offset: (BigInt(last) + 1n).toString() }]);
          }
        } finally {
          clearInterval(beat);
        }
      },
    });
  }

  async function stop(): Promise<void> {
    await consumer?.disconnect();
    await producer?.disconnect();
  }

  return {
    start, stop, topics: { in: inTopic, dlq: dlqTopic },
    /** For /health: the consumer runs, and Odoo accepts what it is sent. */
    health: { consumer: () => Promise.resolve(watch !== undefined && watch.live() && watch.state() !== 'stopped'), odoo: () => Promise.resolve(failing.size === 0) },
  };
}
