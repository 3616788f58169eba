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
import type { PartitionFence } from '../../shared/fencing';
import { createProducer, ensureTopics } from '../../shared/kafka';
import type { Logger } from '../../shared/logger';
import type { AvroSerde } from '../../shared/serde';
import { TOPICS, topicName } from '../../shared/topics';
import { tombstoneVersion } from '../../shared/versioned';
import { parseDeal } from './deal-schema';
import { selectTargets, type Origin, type SinkMessage, type Target } from './handler';
import { backoffMs } from './odoo-client';
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
}

interface DeadLetter { key: Buffer | null; value: Buffer | null; headers?: KafkaMessage['headers']; origin: Origin; reason: 'undecodable' | 'invalid' | 'odoo_validation' | 'unmappable'; error: string; odooName?: string }

export function dlqHeaders(d: Omit<DeadLetter, 'key' | 'value'>): Record<string, string> {
  return sharedDlqHeaders(d.origin, d.reason, 'odoo-sink', {
    'dlq-error': d.error.slice(0, 2000),
    ...(d.odooName ? { 'dlq-odoo-error': d.odooName } : {}),
  });
}

function isTransient(e: unknown): boolean {
  if (!(e instanceof Error)) return false;
  const code = (e as { code?: unknown }).code;
  const text = `${e.message} ${typeof code === 'string' ? code : ''} ${e.cause instanceof Error ? e.cause.message : ''}`;
  return /ECONNREFUSED|ECONNRESET|ETIMEDOUT|socket|fetch failed|timeout|EAI_AGAIN|5\d\d/i.test(text);
}

export function createOdooSinkConsumer({ kafka, serde, sink, logger, settings, metrics, fence }: ConsumerDeps) {
  const log = logger.child({ component: 'odoo-sink-consumer' });
  const inTopic = topicName(settings.topicPrefix, TOPICS.discounts);
  const dlqTopic = topicName(settings.topicPrefix, TOPICS.dlq);
  const registers = metrics ? [metrics] : [];
  const deals = new Counter({ name: 'odoo_sink_deals_total', help: 'deals handled, by outcome', labelNames: ['outcome'], registers });
  const retries = new Counter({ name: 'odoo_sink_batch_retries_total', help: 'slices retried because Odoo failed', registers });
  const odooUp = new Gauge({ name: 'odoo_sink_odoo_up', help: '1 when the last Odoo call of the sink succeeded', registers });
  for (const o of [...OUTCOMES, 'ptl', 'superseded', 'bad_key']) deals.inc({ outcome: o }, 0);

  let consumer: Consumer | undefined;
  let running = false;
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
        if (isTransient(e)) throw e;
        poison.push({ key: m.key, value: m.value, headers: m.headers, origin, reason: 'undecodable', error: e instanceof Error ? e.message : 'decode failed' });
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
    await c.connect();
    await c.subscribe({ topic: inTopic, fromBeginning: true });
    c.on(c.events.CRASH, () => { running = false; });
    c.on(c.events.STOP, () => { running = false; });
    // After a rebalance the partitions may be someone else's: their failures are no longer ours to report.
    c.on(c.events.GROUP_JOIN, () => { failing.clear(); });
    fence?.watch(c);
    await c.run({
      autoCommit: false,
      partitionsConsumedConcurrently: settings.partitionsConcurrently,
      eachBatchAutoResolve: false,
      eachBatch: async (payload) => {
        const { batch } = payload;
        let rebalancing = false;
        const beat = setInterval(() => { payload.heartbeat().catch(() => { rebalancing = true; }); }, 2_000);
        const gone = () => rebalancing || !payload.isRunning() || payload.isStale();
        const pause = async (ms: number) => { for (let left = ms; left > 0 && !gone(); left -= 200) await new Promise((r) => setTimeout(r, Math.min(200, left))); };
        // several instances: claim the partition on first sight; a partition refused to us is left to its owner
        const own = await fence?.acquire(batch.topic, batch.partition);
        if (fence && own === undefined) { await pause(500); clearInterval(beat); return; }
        const fenced = fence && own ? { before: () => fence.verify(own), inSave: (tx: Parameters<PartitionFence['check']>[0]) => fence.check(tx, own) } : undefined;
        try {
          for (let i = 0; i < batch.messages.length; i += settings.sliceSize) {
            if (gone()) return;
            const slice = batch.messages.slice(i, i + settings.sliceSize);
            for (let attempt = 0; ; attempt++) {
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
                break;
              } catch (e) {
                if (fence?.refused(e, batch.topic, batch.partition)) return; // nothing committed: the owner redoes it
                odooUp.set(0);
                failing.add(batch.partition);
                retries.inc();
                const delay = backoffMs(Math.min(attempt, 10), settings.retryBaseMs, settings.retryCapMs);
                log.warn({ error: e instanceof Error ? e.message : String(e), attempt: attempt + 1, delayMs: delay, partition: batch.partition }, 'slice failed; retrying, offsets not committed');
                await pause(delay);
                if (gone()) return;
              }
            }
            const last = slice[slice.length - 1]!.offset;
            payload.resolveOffset(last);
            await c.commitOffsets([{ topic: batch.topic, partition: batch.partition, offset: (BigInt(last) + 1n).toString() }]);
          }
        } finally {
          clearInterval(beat);
        }
      },
    });
    running = true;
  }

  async function stop(): Promise<void> {
    running = false;
    await consumer?.disconnect();
    await producer?.disconnect();
  }

  return {
    start, stop, topics: { in: inTopic, dlq: dlqTopic },
    /** For /health: the consumer runs, and Odoo accepts what it is sent. */
    health: { consumer: () => Promise.resolve(running), odoo: () => Promise.resolve(failing.size === 0) },
  };
}
