/**
 * Transactional outbox relay: claims unpublished outbox rows (FOR UPDATE SKIP LOCKED, so several
 * relays share the work without publishing a row twice), publishes them as registered Avro with
 * the event id in a header, and marks them published in the same transaction. A crash after the
 * publish but before the commit leaves the rows unmarked: they are published again with the SAME
 * event id, and consumers dedupe on it (at-least-once, exactly-once per event id after dedupe).
 */
import { Partitioners, type Kafka, type Producer, type TopicMessages } from 'kafkajs';
import { sql, type Kysely, type Transaction } from 'kysely';
import { z } from 'zod';
import type { Database } from '../../shared/db/schema';
import { DURABLE_PRODUCER } from '../../shared/kafka';
import type { Logger } from '../../shared/logger';
import type { AvroSerde } from '../../shared/serde';
import { TOPICS, topicName } from '../../shared/topics';
import { DEFAULT_BACKOFF, backoffDelay, classifyFailure, errorText, type OutageReporter } from '../../shared/failure';

/** The topics the outbox may name (the `topic` column holds the key of TOPICS). */
export const OUTBOX_TOPICS = ['discountApplications', 'promotionDiscountApplied'] as const;
const outboxTopic = z.enum(OUTBOX_TOPICS);

export const EVENT_ID_HEADER = 'event-id';

/** A row that failed to encode this many times is left aside (logged) instead of being retried forever. */
export const MAX_ATTEMPTS = 5;

/**
 * Outbox keys are per entity (`sale:{uuid}`) or per promotion, not deal keys: the plain
 * Java-compatible murmur2 partitioner keeps one key on one partition.
 */
export function createOutboxProducer(kafka: Kafka): Producer {
  return kafka.producer({ ...DURABLE_PRODUCER, createPartitioner: Partitioners.DefaultPartitioner, allowAutoTopicCreation: false });
}

export interface RelayDeps {
  db: Kysely<Database>;
  producer: Producer;
  serde: AvroSerde;
  topicPrefix: string;
  logger: Logger;
  batchSize?: number;
  pollMs?: number;
  /**
   * After a batch that was not full, wait this long before the next one, so that under steady load
   * rows gather into batches instead of each costing a claim, a Kafka round trip and a mark.
   */
  lingerMs?: number;
  /** Test seam: runs once rows are claimed, before anything is published. */
  beforePublish?: (eventIds: string[]) => Promise<void> | void;
  /** Test seam: runs after the broker acknowledged the batch and before the rows are marked. */
  afterPublish?: (eventIds: string[]) => Promise<void> | void;
  /** Where the relay says it is waiting out a failure (the service's health: degraded meanwhile). */
  reporter?: OutageReporter;
}

export function createRelay(deps: RelayDeps) {
  const { db, producer, serde, topicPrefix, logger } = deps;
  const batchSize = deps.batchSize ?? 500;
  const pollMs = deps.pollMs ?? 100;
  const lingerMs = deps.lingerMs ?? 0;
  const physical = (t: (typeof OUTBOX_TOPICS)[number]): string => topicName(topicPrefix, TOPICS[t]);
  let running = false;
  let loop: Promise<void> | undefined;

  async function registerSchemas(): Promise<void> {
    for (const t of OUTBOX_TOPICS) await serde.register(physical(t), TOPICS[t].schema);
  }

  /**
   * Per-key order with several relays: SKIP LOCKED lets this relay claim rows of a key while
   * another relay holds other rows of it, and those held rows need not come before ours: relay C
   * may claim row 1 of a key and leave it (its own earlier row was held elsewhere), relay A skips
   * row 1 (locked) and claims row 2, C commits, then relay B claims rows 1 and 3, skipping row 2
   * (locked by A). Checking only for rows before a key's FIRST claimed row lets B publish 1 and 3
   * while 2 is still pending, so 3 reaches the topic before 2. So for each key, only the claimed
   * rows before the key's earliest unpublished row that this relay did NOT claim are published;
   * the rest stay for a later batch. The check runs after the claim (its own READ COMMITTED
   * snapshot): a row another relay published is committed only after the broker acknowledged it.
   */
  async function inKeyOrder<R extends { seq: string; id: string; key: string }>(trx: Transaction<Database>, claimed: R[]): Promise<R[]> {
    const lastSeq = new Map<string, string>();
    for (const r of claimed) lastSeq.set(r.key, r.seq); // claimed in seq order: the last one wins
    const { rows } = await sql<{ key: string; blocked_from: string }>`
      select o.key, min(o.seq)::text as blocked_from from discount_outbox o
      join (values ${sql.join([...lastSeq].map(([key, seq]) => sql`(${key}, ${seq}::bigint)`))}) as c(key, last_seq) on o.key = c.key
      where o.published_at is null and o.attempts < ${MAX_ATTEMPTS} and o.seq < c.last_seq
        and o.id not in (${sql.join(claimed.map((r) => sql`${r.id}::uuid`))})
      group by o.key`.execute(trx);
    if (rows.length === 0) return claimed;
    const blockedFrom = new Map(rows.map((r) => [r.key, BigInt(r.blocked_from)]));
    return claimed.filter((r) => { const b = blockedFrom.get(r.key); return b === undefined || BigInt(r.seq) < b; });
  }

  /** Publishes one batch; returns how many rows it published. */
  async function relayOnce(): Promise<number> {
    return db.transaction().execute(async (trx) => {
      const claimed = await trx.selectFrom('discount_outbox').select(['seq', 'id', 'topic', 'key', 'payload'])
        .where('published_at', 'is', null).where('attempts', '<', MAX_ATTEMPTS).orderBy('seq').limit(batchSize).forUpdate().skipLocked().execute();
      if (claimed.length === 0) return 0;
      const rows = await inKeyOrder(trx, claimed);
      if (rows.length === 0) return 0;
      await deps.beforePublish?.(rows.map((r) => r.id));
      const byTopic = new Map<string, TopicMessages>();
      const sent: string[] = [];
      const poison: string[] = [];
      for (const r of rows) {
        const t = outboxTopic.safeParse(r.topic);
        const value = t.success ? await serde.encode(physical(t.data), r.payload).catch((err: unknown) => {
          // the registry away is no fault of the row: the whole claim rolls back and is retried with backoff
          if (classifyFailure(err) !== 'bad-message') throw err;
          logger.error({ err: errorText(err), eventId: r.id }, 'outbox row does not encode');
          return null;
        }) : null;
        if (!t.success || value === null) { poison.push(r.id); continue; }
        const topic = physical(t.data);
        const batch = byTopic.get(topic) ?? { topic, messages: [] };
        batch.messages.push({ key: r.key, value, headers: { [EVENT_ID_HEADER]: r.id, 'event-type': TOPICS[t.data].schema } });
        byTopic.set(topic, batch);
        sent.push(r.id);
      }
      if (byTopic.size) await producer.sendBatch({ topicMessages: [...byTopic.values()] });
      await deps.afterPublish?.(rows.map((r) => r.id));
      if (sent.length) await trx.updateTable('discount_outbox').set({ published_at: sql<Date>`now()`, attempts: sql<number>`attempts + 1` }).where('id', 'in', sent).execute();
      // A row that cannot be encoded is a bug: it stays unpublished (counted) rather than blocking the rest.
      if (poison.length) await trx.updateTable('discount_outbox').set({ attempts: sql<number>`attempts + 1` }).where('id', 'in', poison).execute();
      return sent.length;
    });
  }

  return {
    registerSchemas,
    relayOnce,
    /** Relays until stopped: at once after a full batch, lingerMs after a partial one, every pollMs when idle, backing off on errors. */
    start(): void {
      if (running) return;
      running = true;
      loop = (async () => {
        let failures = 0;
        while (running) {
          try {
            const n = await relayOnce();
            if (failures > 0) { deps.reporter?.recovered('relay'); logger.info({ attempts: failures + 1 }, 'outbox relay back'); }
            failures = 0;
            if (n === 0) await sleep(pollMs);
            else if (n < batchSize && lingerMs > 0) await sleep(lingerMs);
          } catch (err) {
            // every failure is retried (nothing is lost: the rows stay unpublished); capped backoff with jitter
            failures++;
            deps.reporter?.outage('relay', err);
            const delay = backoffDelay(failures, { baseMs: Math.max(pollMs, 100), capMs: Math.min(DEFAULT_BACKOFF.capMs, 10_000) });
            logger.error({ err: errorText(err), kind: classifyFailure(err), attempt: failures, delayMs: delay }, 'outbox relay failed; retrying');
            await sleep(delay);
          }
        }
      })();
    },
    async stop(): Promise<void> {
      running = false;
      await loop;
    },
  };
}

const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));

export type Relay = ReturnType<typeof createRelay>;
