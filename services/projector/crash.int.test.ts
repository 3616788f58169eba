import { spawn, type ChildProcess } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import path from 'node:path';
import { dealProducer, makeDeal, waitFor } from '../../test/support/deals';
import { createTestWorld, type TestWorld } from '../../test/support/integration';
import { projectedState } from '../../test/support/snapshot';
import { runReplay } from './replay';

const ROOT = path.resolve(__dirname, '..', '..');
const LOCATIONS = 100;
const DEALS = 450; // 45,000 creations + 5,000 changes and removals = 50,000 events

function startProjector(world: TestWorld): ChildProcess {
  // node --import tsx: the signal reaches the projector itself, not a wrapper process.
  return spawn(process.execPath, ['--import', 'tsx', 'services/projector/main.ts'], {
    cwd: ROOT, stdio: 'ignore',
    env: { ...process.env, ...world.env, METRICS_PORT: '0', LOG_LEVEL: 'silent' },
  });
}

const exited = (child: ChildProcess) => new Promise<void>((resolve) => { if (child.exitCode !== null || child.signalCode !== null) resolve(); else child.once('exit', () => resolve()); });

describe('projector killed with SIGKILL in the middle of 50,000 events', () => {
  let world: TestWorld;
  let child: ChildProcess | undefined;
  beforeAll(async () => { world = await createTestWorld('crash'); });
  afterAll(async () => { if (child && child.exitCode === null) { child.kill('SIGKILL'); await exited(child); } await world.close(); });

  it('ends, after a restart, with exactly the Postgres rows and Redis values of a clean run', async () => {
    const locations = Array.from({ length: LOCATIONS }, () => randomUUID());
    const { send, producer, topic } = await dealProducer(world);
    const creations = locations.flatMap((l) => Array.from({ length: DEALS }, (_, i) => makeDeal(l, i + 1, { value: '0.10', version: 1000 })));
    const changes = locations.flatMap((l) => Array.from({ length: 50 }, (_, i) => (i % 5 === 0
      ? { tombstone: `${l}_${i + 1}` }
      : makeDeal(l, i + 1, { value: '0.35', name: `changed ${i}`, version: 2000 }))));
    await send(creations);
    await send(changes);
    await producer.disconnect();
    expect(creations.length + changes.length).toBe(50_000);

    const admin = world.kafka.admin();
    await admin.connect();
    try {
    const group = `${world.topicPrefix}projector`;
    const ends = await admin.fetchTopicOffsets(topic);
    const committedAll = async (): Promise<boolean> => {
      const [c] = await admin.fetchOffsets({ groupId: group, topics: [topic] });
      return ends.every((e) => c!.partitions.find((p) => p.partition === e.partition)?.offset === e.high);
    };

    child = startProjector(world);
    await waitFor(async () => {
      const { n } = await world.db.selectFrom('discounts').select((eb) => eb.fn.countAll<string>().as('n')).executeTakeFirstOrThrow();
      return Number(n) >= 3000 ? true : undefined;
    }, 90_000, 'the projector to get going');
    child.kill('SIGKILL');
    await exited(child);
    expect(await committedAll()).toBe(false); // killed in the middle

    child = startProjector(world);
    await waitFor(async () => ((await committedAll()) ? true : undefined), 120_000, 'the restarted projector to catch up');
    child.kill('SIGTERM');
    await exited(child);
    } finally { await admin.disconnect(); }
    const afterCrash = await projectedState(world);
    expect(Object.keys(afterCrash.redis)).toHaveLength(LOCATIONS);
    expect(afterCrash.rows).toHaveLength(LOCATIONS * (DEALS - 10));

    // A clean run: everything rebuilt from the topic in a shadow generation and switched in.
    const clean = await runReplay({
      kafka: world.kafka, serde: world.serde, databaseUrl: world.databaseUrl, redis: world.redis, logger: world.logger,
      topicPrefix: world.topicPrefix, redisPrefix: world.redisPrefix,
    });
    expect(clean.switched).toBe(true);
    const cleanState = await projectedState(world);
    expect(afterCrash.rows).toEqual(cleanState.rows);
    expect(afterCrash.redis).toEqual(cleanState.redis);
  }, 300_000);
});
