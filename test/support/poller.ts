/**
 * Given/when/then helpers for the poller's integration tests and benchmark: a running sandbox whose
 * stores are seeded into the `locations` table, pollers built against it, and topic readers.
 */
import type { Kafka } from 'kafkajs';
import type { Kysely } from '../../shared/db/db';
import type { Database } from '../../shared/db/schema';
import type { DealRawEvent } from '../../shared/events';
import type { Logger } from '../../shared/logger';
import { parseConfig } from '../../shared/config';
import type { AvroSerde } from '../../shared/serde';
import { Sandbox, type RunningSandbox, type SandboxOptions } from '../../services/sandbox/sandbox';
import { upsertSandboxLocations } from '../../services/sandbox/locations';
import type { SandboxStore } from '../../services/sandbox/stores';
import { pollerEnv, posKeysFrom } from '../../services/poller/config';
import { buildPoller, type BuiltPoller } from '../../services/poller/wiring';

/** Inserts (or refreshes) the sandbox's stores as `locations` rows, as `npm start` does. */
export async function seedLocations(db: Kysely<Database>, stores: SandboxStore[]): Promise<void> {
  await upsertSandboxLocations(db, { locations: stores });
}

export interface PollerWorld {
  sandbox: Sandbox;
  running: RunningSandbox;
  /** a poller on this world's topics/database (call close on each) */
  poller(overrides?: NodeJS.ProcessEnv, clientId?: string): Promise<BuiltPoller>;
  close(): Promise<void>;
}

export async function givenSandboxAndPoller(
  world: { env: NodeJS.ProcessEnv; db: Kysely<Database>; logger: Logger },
  sandboxOptions: SandboxOptions,
  baseOverrides: NodeJS.ProcessEnv = {},
  opts: { directory?: boolean } = {},
): Promise<PollerWorld> {
  const sandbox = new Sandbox(sandboxOptions);
  const running = await sandbox.start();
  // with the store directory the poller finds the stores in the sandbox's CMS; else they are seeded as npm start does
  if (opts.directory) baseOverrides = { ...sandbox.directoryEnv(), ...baseOverrides };
  else await seedLocations(world.db, sandbox.directory().locations);
  const built: BuiltPoller[] = [];
  return {
    sandbox, running,
    async poller(overrides = {}, clientId = 'poller-test') {
      const env = { ...world.env, ...sandbox.pollerEnv(), FETCH_TIMEOUT_MS: '3000', RETRY_BASE_MS: '20', RETRY_MAX_MS: '200', ...baseOverrides, ...overrides };
      const p = await buildPoller({ ...parseConfig(pollerEnv(env), env), posKeys: posKeysFrom(env) }, world.logger, clientId);
      built.push(p);
      return p;
    },
    async close() {
      await Promise.all(built.map((p) => p.close().catch(() => undefined)));
      await running.close();
    },
  };
}

/** Messages in a topic (sum of the partitions' high watermarks: the poller's producer writes no transactions). */
export async function countMessages(kafka: Kafka, topic: string): Promise<number> {
  const admin = kafka.admin();
  await admin.connect();
  try {
    const offsets = await admin.fetchTopicOffsets(topic);
    return offsets.reduce((n, p) => n + Number(p.high), 0);
  } finally {
    await admin.disconnect();
  }
}

/** Every message of a topic, decoded, with its key (reads until the high watermarks). */
export async function readTopic(kafka: Kafka, serde: AvroSerde, topic: string, groupId: string): Promise<Array<{ key: string; value: DealRawEvent; partition: number }>> {
  const admin = kafka.admin();
  await admin.connect();
  const ends = new Map((await admin.fetchTopicOffsets(topic)).map((p) => [p.partition, Number(p.high)]));
  await admin.disconnect();
  const total = [...ends.values()].reduce((a, b) => a + b, 0);
  const out: Array<{ key: string; value: DealRawEvent; partition: number }> = [];
  if (total === 0) return out;
  const consumer = kafka.consumer({ groupId });
  await consumer.connect();
  await consumer.subscribe({ topic, fromBeginning: true });
  await new Promise<void>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`read ${out.length}/${total} messages of ${topic}`)), 60_000);
    void consumer.run({
      eachBatch: async ({ batch }) => {
        for (const m of batch.messages) {
          out.push({ key: m.key!.toString(), value: (await serde.decode(m.value!)) as DealRawEvent, partition: batch.partition });
        }
        if (out.length >= total) { clearTimeout(timer); resolve(); }
      },
    });
  });
  await consumer.disconnect();
  return out;
}
