/**
 * Dead-letter redrive (issue 16), the command as an operator runs it, over real Kafka, registry and
 * Postgres: a raw deal the mapping rejected goes back after a mapping change and lands; a letter
 * that is still poison is dead-lettered again and counted; --dry-run changes nothing; a letter is
 * never redriven twice unless asked.
 */
import { spawn } from 'node:child_process';
import path from 'node:path';
import { Registry } from 'prom-client';
import type { DealRawEvent } from '../shared/events';
import { createProducer } from '../shared/kafka';
import { readRange, type RedriveReport } from '../shared/redrive';
import { TOPICS, dealKey, topicName } from '../shared/topics';
import { handle } from '../services/normaliser/handler';
import { createNormaliser, type Normaliser } from '../services/normaliser/consumer';
import { LOCATION, posRecord, rawEvent } from '../services/normaliser/test-records';
import { createProjector } from '../services/projector/projector';
import { waitFor } from './support/deals';
import { createTestWorld, type TestWorld } from './support/integration';
import { countMessages } from './support/poller';

/** The mapping change: a percent above 1 is read as percent points (15 -> 0.15) instead of being refused. */
function fixedMapping(input: unknown): ReturnType<typeof handle> {
  const event = input as DealRawEvent;
  const record = event.record === null ? null : (JSON.parse(event.record) as { reward: { discountValue: number } });
  if (record && record.reward.discountValue > 1) {
    record.reward.discountValue /= 100;
    return handle({ ...event, record: JSON.stringify(record) });
  }
  return handle(input);
}

describe('npm run redrive', () => {
  let world: TestWorld;
  let normaliser: Normaliser | undefined;
  const projector = { stop: async () => undefined } as { stop(): Promise<void> };

  beforeAll(async () => { world = await createTestWorld('redrive'); }, 60_000);
  afterAll(async () => { await normaliser?.stop(); await projector.stop(); await world.close(); }, 60_000);

  const ends = async (topic: string): Promise<Map<number, bigint>> => {
    const admin = world.kafka.admin();
    await admin.connect();
    try { return new Map((await admin.fetchTopicOffsets(topic)).map((o) => [o.partition, BigInt(o.high)] as const)); } finally { await admin.disconnect(); }
  };

  const run = (args: string[]) => new Promise<{ status: number | null; stdout: string; report: RedriveReport }>((resolve) => {
    const child = spawn(path.resolve(__dirname, '../node_modules/.bin/tsx'), [path.resolve(__dirname, '../scripts/redrive.ts'), '--topic', TOPICS.dlq.name, ...args], {
      env: { ...process.env, ...world.env }, stdio: ['ignore', 'pipe', 'inherit'],
    });
    let stdout = '';
    child.stdout.on('data', (d: Buffer) => { stdout += d.toString(); });
    child.once('exit', (status) => {
      const last = stdout.trim().split('\n').at(-1) ?? '';
      resolve({ status, stdout, report: (last.startsWith('{') ? JSON.parse(last) : {}) as RedriveReport });
    });
  });

  it('sends a fixed letter back where it lands, counts the one still poison, and never twice unless asked', async () => {
    const rawTopic = topicName(world.topicPrefix, TOPICS.rawDutchie);
    const dlq = topicName(world.topicPrefix, TOPICS.dlq);
    const start = async (decide?: typeof handle) => {
      const n = createNormaliser({
        kafka: world.kafka, serde: world.serde, logger: world.logger, topicPrefix: world.topicPrefix, groupId: `${world.topicPrefix}normaliser`,
        fromBeginning: true, partitions: 3, registry: new Registry(), decide,
      });
      await n.start();
      return n;
    };
    normaliser = await start();
    await world.serde.register(rawTopic, TOPICS.rawDutchie.schema);
    const producer = createProducer(world.kafka);
    await producer.connect();
    const fifteen = rawEvent(posRecord({ id: 2001 }, { discountValue: 15 }), { discountId: '2001' });
    await producer.send({ topic: rawTopic, messages: [
      { key: dealKey(LOCATION, 2001), value: await world.serde.encode(rawTopic, fifteen), headers: { 'trace-id': 'abc' } },
      { key: dealKey(LOCATION, 'junk'), value: Buffer.from('definitely not avro') },
    ] });
    await producer.disconnect();
    await waitFor(async () => ((await countMessages(world.kafka, dlq)) === 2 ? true : undefined), 30_000, 'two dead letters');
    const letters = await readRange(world.kafka, dlq, await ends(dlq));
    const reasonOf15 = letters.find((l) => l.key?.toString() === dealKey(LOCATION, 2001))!.headers['dlq-reason']!.toString();

    // the fix is deployed: the normaliser maps such records now; the projector lands what comes out
    await normaliser.stop();
    normaliser = await start(fixedMapping);
    const live = createProjector({ kafka: world.kafka, serde: world.serde, db: world.db, redis: world.redis, logger: world.logger, topicPrefix: world.topicPrefix, redisPrefix: world.redisPrefix, groupId: 'projector' });
    await live.start();
    projector.stop = () => live.stop();
    const rawEnd = () => countMessages(world.kafka, rawTopic);
    const before = await rawEnd();

    const dry = await run(['--dry-run']);
    expect(dry.status).toBe(0);
    expect(dry.stdout).toContain('dry run: 2 would go back; nothing was changed');
    expect(dry.report).toMatchObject({ dryRun: true, matched: 2, sent: { [rawTopic]: 2 } });
    expect(await rawEnd()).toBe(before);
    expect(await world.db.selectFrom('dlq_redriven').selectAll().execute()).toEqual([]);

    const real = await run([]);
    expect(real.report).toMatchObject({ dryRun: false, matched: 2, skipped: 0, sent: { [rawTopic]: 2 }, deadLetteredAgain: 1 });
    expect(real.status).toBe(1); // one is still poison
    expect(await rawEnd()).toBe(before + 2);
    const landed = await waitFor(() => world.db.selectFrom('discounts').select(['discount_amount']).where('id', '=', dealKey(LOCATION, 2001)).executeTakeFirst(), 30_000, 'the fixed deal to land');
    expect(Number(landed.discount_amount)).toBe(0.15);
    // it went back as it was, with its own headers and a redrive count
    const back = (await readRange(world.kafka, rawTopic, await ends(rawTopic))).filter((m) => m.headers['dlq-redrive-count'] !== undefined);
    expect(back).toHaveLength(2);
    const again15 = back.find((m) => m.key?.toString() === dealKey(LOCATION, 2001))!;
    expect(again15.headers['trace-id']?.toString()).toBe('abc');
    expect(again15.headers['dlq-redrive-count']?.toString()).toBe('1');
    expect(again15.value?.equals(letters.find((l) => l.key?.toString() === dealKey(LOCATION, 2001))!.value!)).toBe(true); // the letter's bytes

    // never twice unless asked
    const twice = await run(['--reason', reasonOf15.slice(0, 40)]);
    expect(twice.report).toMatchObject({ matched: 1, skipped: 1, sent: {} });
    expect(await rawEnd()).toBe(before + 2);
    const asked = await run(['--reason', reasonOf15.slice(0, 40), '--again', '--wait-s', '0']);
    expect(asked.report).toMatchObject({ matched: 1, skipped: 0, sent: { [rawTopic]: 1 } });
    expect(await rawEnd()).toBe(before + 3);
    expect((await run(['--since', 'yesterday'])).status).toBe(2);
  }, 240_000);
});
