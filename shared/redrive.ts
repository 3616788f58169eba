/**
 * Dead-letter redrive: after a fix (a mapping change, a missing store added), matching dead letters
 * go back to the topic they came from, as they were (key, bytes, original headers) plus a redrive
 * count and the run's id, so their consumer meets them again. Each letter goes back once: the
 * redriven ones are remembered in Postgres (`dlq_redriven`) and skipped unless asked (`again`).
 * The report says how many went back and how many were dead-lettered again (the new letters that
 * carry this run's id, counted once the origin's consumers have read past them).
 */
import { randomUUID } from 'node:crypto';
import type { IHeaders, Kafka } from 'kafkajs';
import { sql } from 'kysely';
import type { Kysely } from './db/db';
import type { Database } from './db/schema';
import { DLQ_HEADERS } from './dlq';
import { createProducer } from './kafka';

export const REDRIVE_HEADERS = { count: 'dlq-redrive-count', run: 'dlq-redrive-id' } as const;

export interface RedriveFilter {
  /** case-insensitive text the letter's reason (or error) contains */
  reason?: string;
  /** only letters dead-lettered at or after this instant (ms) */
  sinceMs?: number;
  /** redrive letters that went back before too */
  again?: boolean;
}

export interface Letter { partition: number; offset: string; timestamp: number; key: Buffer | null; value: Buffer | null; headers: IHeaders }

const text = (v: IHeaders[string] | undefined): string | undefined => {
  const first = Array.isArray(v) ? v[0] : v;
  return first === undefined ? undefined : first.toString();
};

/** Whether a dead letter matches the filter (pure). */
export function matches(letter: Letter, filter: RedriveFilter): boolean {
  if (filter.sinceMs !== undefined && letter.timestamp < filter.sinceMs) return false;
  if (filter.reason !== undefined) {
    const said = `${text(letter.headers[DLQ_HEADERS.reason]) ?? ''} ${text(letter.headers['dlq-error']) ?? ''}`.toLowerCase();
    if (!said.includes(filter.reason.toLowerCase())) return false;
  }
  return text(letter.headers[DLQ_HEADERS.topic]) !== undefined;
}

/** The message that goes back: the original headers (without the dead-letter ones), the redrive count one up. */
export function redriveMessage(letter: Letter, runId: string): { key: Buffer | null; value: Buffer | null; headers: Record<string, string | Buffer> } {
  const headers: Record<string, string | Buffer> = {};
  for (const [k, v] of Object.entries(letter.headers)) {
    if (k.startsWith('dlq-') || v === undefined) continue;
    const first = Array.isArray(v) ? v[0] : v;
    if (first !== undefined) headers[k] = first;
  }
  const count = Number(text(letter.headers[REDRIVE_HEADERS.count]) ?? '0');
  headers[REDRIVE_HEADERS.count] = String((Number.isFinite(count) ? count : 0) + 1);
  headers[REDRIVE_HEADERS.run] = runId;
  return { key: letter.key, value: letter.value, headers };
}

async function endOffsets(kafka: Kafka, topic: string): Promise<Map<number, bigint>> {
  const admin = kafka.admin();
  await admin.connect();
  try {
    if (!(await admin.listTopics()).includes(topic)) throw new Error(`topic ${topic} does not exist`);
    return new Map((await admin.fetchTopicOffsets(topic)).map((o) => [o.partition, BigInt(o.high)]));
  } finally { await admin.disconnect(); }
}

/** Every message of `topic` from `from` (per partition; default the beginning) up to `to` (exclusive). */
export async function readRange(kafka: Kafka, topic: string, to: Map<number, bigint>, from?: Map<number, bigint>): Promise<Letter[]> {
  const pending = [...to].filter(([p, end]) => end > (from?.get(p) ?? 0n));
  if (pending.length === 0) return [];
  const groupId = `redrive-read-${randomUUID()}`;
  const consumer = kafka.consumer({ groupId, allowAutoTopicCreation: false });
  const out: Letter[] = [];
  const position = new Map<number, bigint>();
  await consumer.connect();
  try {
    await consumer.subscribe({ topic, fromBeginning: true });
    await new Promise<void>((resolve, reject) => {
      const done = () => pending.every(([p, end]) => (position.get(p) ?? from?.get(p) ?? 0n) >= end);
      const timer = setTimeout(() => reject(new Error(`could not read ${topic} to its end offsets`)), 120_000);
      consumer.on(consumer.events.GROUP_JOIN, () => {
        for (const [p, start] of from ?? []) consumer.seek({ topic, partition: p, offset: start.toString() });
      });
      void consumer.run({
        eachBatch: ({ batch }) => {
          const end = to.get(batch.partition) ?? 0n;
          for (const m of batch.messages) {
            if (BigInt(m.offset) >= end) break;
            if (BigInt(m.offset) < (from?.get(batch.partition) ?? 0n)) continue;
            out.push({ partition: batch.partition, offset: m.offset, timestamp: Number(m.timestamp), key: m.key, value: m.value, headers: m.headers ?? {} });
          }
          const last = batch.messages.at(-1);
          if (last) position.set(batch.partition, BigInt(last.offset) + 1n);
          if (done()) { clearTimeout(timer); resolve(); }
          return Promise.resolve();
        },
      }).catch(reject);
    });
  } finally {
    await consumer.disconnect();
    const admin = kafka.admin();
    await admin.connect();
    await admin.deleteGroups([groupId]).catch(() => undefined);
    await admin.disconnect();
  }
  return out;
}

export interface RedriveDeps {
  kafka: Kafka;
  db: Kysely<Database>;
  topicPrefix: string;
  /** how long to wait for the origin's consumers to read the redriven letters (ms; 0: do not wait) */
  waitMs?: number;
}

export interface RedriveReport {
  runId: string;
  dryRun: boolean;
  scanned: number;
  matched: number;
  /** matched, but redriven before (and `again` not asked) */
  skipped: number;
  /** per origin topic, how many went back (or would, in a dry run) */
  sent: Record<string, number>;
  /** of those, dead-lettered again (null: not known, in a dry run or when the consumers did not catch up in time) */
  deadLetteredAgain: number | null;
}

/** Redrives the matching letters of `dlqTopic` (full name) to their origin topics. */
export async function redrive(deps: RedriveDeps, dlqTopic: string, filter: RedriveFilter, dryRun: boolean): Promise<RedriveReport> {
  const runId = randomUUID();
  const ends = await endOffsets(deps.kafka, dlqTopic);
  const letters = await readRange(deps.kafka, dlqTopic, ends);
  const logical = dlqTopic.slice(deps.topicPrefix.length);
  const done = new Set((await deps.db.selectFrom('dlq_redriven').select(['partition', 'offset']).where('dlq_topic', '=', logical).execute()).map((r) => `${r.partition}:${r.offset}`));
  const matched = letters.filter((l) => matches(l, filter));
  const chosen = matched.filter((l) => filter.again || !done.has(`${l.partition}:${l.offset}`));
  const byOrigin = new Map<string, Letter[]>();
  for (const l of chosen) {
    const origin = text(l.headers[DLQ_HEADERS.topic])!;
    byOrigin.set(origin, [...(byOrigin.get(origin) ?? []), l]);
  }
  const report: RedriveReport = {
    runId, dryRun, scanned: letters.length, matched: matched.length, skipped: matched.length - chosen.length,
    sent: Object.fromEntries([...byOrigin].map(([t, ls]) => [t, ls.length])), deadLetteredAgain: null,
  };
  if (dryRun || chosen.length === 0) return { ...report, deadLetteredAgain: dryRun ? null : 0 };

  const producer = createProducer(deps.kafka);
  await producer.connect();
  const sentTo = new Map<string, Map<number, bigint>>(); // origin -> partition -> last offset + 1
  try {
    for (const [origin, ls] of byOrigin) {
      const meta = await producer.send({ topic: origin, messages: ls.map((l) => redriveMessage(l, runId)) });
      const ends_ = sentTo.get(origin) ?? new Map<number, bigint>();
      for (const m of meta) if (m.baseOffset !== undefined) ends_.set(m.partition, BigInt(m.baseOffset) + 1n);
      sentTo.set(origin, ends_);
      // remembered only once Kafka has them: a crash in between redrives them again (at least once)
      await deps.db.insertInto('dlq_redriven')
        .values(ls.map((l) => ({ dlq_topic: logical, partition: l.partition, offset: l.offset, origin_topic: origin.slice(deps.topicPrefix.length), run_id: runId })))
        .onConflict((oc) => oc.columns(['dlq_topic', 'partition', 'offset']).doUpdateSet({ run_id: runId, redriven_at: sql`now()` }))
        .execute();
    }
  } finally { await producer.disconnect(); }
  const caughtUp = await waitForConsumers(deps, sentTo, deps.waitMs ?? 30_000);
  if (!caughtUp) return report;
  const again = await readRange(deps.kafka, dlqTopic, await endOffsets(deps.kafka, dlqTopic), ends);
  return { ...report, deadLetteredAgain: again.filter((l) => text(l.headers[REDRIVE_HEADERS.run]) === runId).length };
}

/** Waits until every consumer group of this environment reading an origin topic has committed past what was sent. */
async function waitForConsumers(deps: RedriveDeps, sentTo: Map<string, Map<number, bigint>>, waitMs: number): Promise<boolean> {
  if (waitMs <= 0) return false;
  const admin = deps.kafka.admin();
  await admin.connect();
  try {
    const until = Date.now() + waitMs;
    for (;;) {
      const { groups } = await admin.listGroups();
      const mine = groups.map((g) => g.groupId).filter((g) => g.startsWith(deps.topicPrefix) && !g.includes('redrive-read-'));
      let behind = false;
      for (const [topic, ends] of sentTo) {
        for (const groupId of mine) {
          const [offsets] = await admin.fetchOffsets({ groupId, topics: [topic] });
          const committed = offsets?.partitions ?? [];
          if (committed.every((p) => p.offset === '-1')) continue; // this group does not read the topic
          for (const [partition, end] of ends) {
            const at = committed.find((p) => p.partition === partition)?.offset ?? '-1';
            if (BigInt(at) < end) behind = true;
          }
        }
      }
      if (!behind) return true;
      if (Date.now() > until) return false;
      await new Promise((r) => setTimeout(r, 500));
    }
  } finally { await admin.disconnect(); }
}
