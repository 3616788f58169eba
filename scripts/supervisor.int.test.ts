/**
 * A consumer that stops for good turns its service's health red, the process exits non-zero, and
 * `npm start`'s supervisor restarts it with backoff, saying so in one JSON line; the restarted
 * process then does the work. Real Kafka and registry (the normaliser crash fixture).
 */
import { spawn, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { KafkaMessage } from 'kafkajs';
import { createProducer } from '../shared/kafka';
import { TOPICS, dealKey, topicName } from '../shared/topics';
import { LOCATION, posRecord, rawEvent } from '../services/normaliser/test-records';
import { createTestWorld, type TestWorld } from '../test/support/integration';
import { freePort } from '../test/support/private-servers';
import { restartDelay, supervise, type RestartEvent, type Supervised } from './supervisor';

const ROOT = path.resolve(__dirname, '..');

async function until(cond: () => Promise<boolean> | boolean, what: string, ms = 60_000): Promise<void> {
  const end = Date.now() + ms;
  while (!(await cond())) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

describe('restartDelay', () => {
  it('doubles from the base up to the cap', () => {
    const s = { baseMs: 100, capMs: 1_000, stableMs: 5_000 };
    expect([1, 2, 3, 4, 5, 6].map((n) => restartDelay(n, s))).toEqual([100, 200, 400, 800, 1_000, 1_000]);
  });
});

describe('a consumer that stops for good, under the supervisor', () => {
  let world: TestWorld;
  let supervised: Supervised | undefined;
  beforeAll(async () => { world = await createTestWorld('supervisor'); }, 60_000);
  afterAll(async () => { await supervised?.stop(5_000); await world.close(); }, 60_000);

  it('turns /health/live red, exits 1, is restarted with backoff (one JSON line each), and the new process does the work', async () => {
    const port = await freePort();
    const crashFile = path.join(os.tmpdir(), `${world.id}.crashed`);
    const rawTopic = topicName(world.topicPrefix, TOPICS.rawDutchie);
    const exits: Array<{ code: number | null; liveSeenRed: boolean }> = [];
    const events: Array<RestartEvent | Record<string, unknown>> = [];
    const health: Array<{ at: number; status: number }> = [];
    let current: ChildProcess | undefined;

    supervised = supervise({
      name: 'normaliser',
      settings: { baseMs: 300, capMs: 2_000, stableMs: 60_000 },
      log: (line) => { events.push(line); },
      spawn: () => {
        const child = spawn(process.execPath, ['--import', 'tsx', 'services/normaliser/crash-consumer.fixture.ts'], {
          cwd: ROOT, stdio: 'ignore',
          env: { ...process.env, ...world.env, METRICS_PORT: String(port), CRASH_ONCE_FILE: crashFile, FATAL_EXIT_GRACE_MS: '1500', KAFKA_PARTITIONS: '1' },
        });
        const record = { code: null as number | null, liveSeenRed: false };
        child.once('exit', (code) => { record.code = code; exits.push(record); });
        current = child;
        return child;
      },
    });
    // probe /health/live as a platform would, remembering what each process answered
    const probe = setInterval(() => {
      fetch(`http://127.0.0.1:${port}/health/live`).then((r) => {
        health.push({ at: Date.now(), status: r.status });
        if (r.status === 503 && current && current.exitCode === null) (current as ChildProcess & { red?: boolean }).red = true;
      }, () => undefined);
    }, 100);

    try {
      await until(async () => (await fetch(`http://127.0.0.1:${port}/health/live`).catch(() => undefined))?.status === 200, 'the first process to be up');
      const first = current!;
      const producer = createProducer(world.kafka);
      await producer.connect();
      await world.serde.register(rawTopic, TOPICS.rawDutchie.schema);
      await producer.send({ topic: rawTopic, messages: [{ key: dealKey(LOCATION, 77), value: await world.serde.encode(rawTopic, rawEvent(posRecord({ id: 77 }))) }] });
      await producer.disconnect();

      await until(() => exits.length >= 1, 'the crashed process to exit', 60_000);
      expect(exits[0]!.code).toBe(1); // non-zero: a supervisor restarts it
      expect((first as ChildProcess & { red?: boolean }).red).toBe(true); // /health/live was 503 before it exited
      await until(() => events.some((e) => e.event === 'service_restart'), 'the restart line');
      expect(events.find((e) => e.event === 'service_restart')).toMatchObject({ event: 'service_restart', service: 'normaliser', exitCode: 1, restart: 1, delayMs: 300 });

      // the restarted process (the mapping now works) publishes the deal the first one crashed on
      await until(() => current !== first, 'the restart');
      const out: KafkaMessage[] = [];
      const reader = world.kafka.consumer({ groupId: `${world.topicPrefix}reader` });
      await reader.connect();
      await reader.subscribe({ topic: topicName(world.topicPrefix, TOPICS.discounts), fromBeginning: true });
      await reader.run({ eachMessage: ({ message }) => { out.push(message); return Promise.resolve(); } });
      await until(() => out.length === 1, 'the deal from the restarted process', 90_000);
      await reader.disconnect();
      expect(out[0]!.key!.toString()).toBe(dealKey(LOCATION, 77));
      expect(supervised.up()).toBe(true);
      expect(supervised.restarts()).toBe(1);
      await until(async () => (await fetch(`http://127.0.0.1:${port}/health/live`).catch(() => undefined))?.status === 200, 'the new process live');
    } finally {
      clearInterval(probe);
      fs.rmSync(crashFile, { force: true });
    }
  }, 180_000);
});
