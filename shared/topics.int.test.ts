import { spawnSync } from 'node:child_process';
import path from 'node:path';
import { ConfigResourceTypes, type Admin } from 'kafkajs';
import { createTestWorld, type TestWorld } from '../test/support/integration';
import { ensureTopics, topicConfigProblems, TopicConfigError } from './kafka';
import { TOPICS, topicName } from './topics';

describe('topic configs: raw history kept, checked at start-up', () => {
  let world: TestWorld;
  let admin: Admin;
  beforeAll(async () => { world = await createTestWorld('topics'); admin = world.kafka.admin(); await admin.connect(); });
  afterAll(async () => { await admin.disconnect(); await world.close(); });

  const configOf = async (topic: string, name: string): Promise<string | undefined> => {
    const res = await admin.describeConfigs({ includeSynonyms: false, resources: [{ type: ConfigResourceTypes.TOPIC, name: topic, configNames: [name] }] });
    return res.resources[0]?.configEntries.find((e) => e.configName === name)?.configValue;
  };

  it('creates the raw topics with unlimited retention and the canonical ones compacted', async () => {
    await ensureTopics(admin, world.topicPrefix, [TOPICS.rawDutchie, TOPICS.inventoryRaw, TOPICS.discounts, TOPICS.dlq], 1);
    for (const raw of [TOPICS.rawDutchie, TOPICS.inventoryRaw, TOPICS.dlq]) {
      expect(await configOf(topicName(world.topicPrefix, raw), 'retention.ms')).toBe('-1');
      expect(await configOf(topicName(world.topicPrefix, raw), 'retention.bytes')).toBe('-1');
    }
    expect(await configOf(topicName(world.topicPrefix, TOPICS.discounts), 'cleanup.policy')).toBe('compact');
  });

  it('creates topics with the configured min.insync.replicas, and the check names a replication below the configured one', async () => {
    const prefix = `${world.topicPrefix}repl.`;
    await ensureTopics(admin, prefix, [TOPICS.rawPtl, TOPICS.discounts], 1, { replicationFactor: 1, minInsyncReplicas: 1 });
    expect(await configOf(topicName(prefix, TOPICS.rawPtl), 'min.insync.replicas')).toBe('1');
    // the same topics judged for a 3-broker cluster (this broker alone cannot hold 3 replicas)
    const problems = await topicConfigProblems(admin, prefix, [TOPICS.rawPtl, TOPICS.discounts], { replicationFactor: 3, minInsyncReplicas: 2 });
    expect(problems).toEqual(expect.arrayContaining([
      `${topicName(prefix, TOPICS.rawPtl)}: min.insync.replicas is 1, must be 2`,
      `${topicName(prefix, TOPICS.discounts)}: min.insync.replicas is 1, must be 2`,
      expect.stringContaining(`${topicName(prefix, TOPICS.rawPtl)}: replication factor is 1, must be 3 (KAFKA_REPLICATION_FACTOR`),
      expect.stringContaining(`${topicName(prefix, TOPICS.discounts)}: replication factor is 1, must be 3`),
    ]));
    expect(problems).toHaveLength(4);
    // `npm run topics` reads the same settings from the environment
    const tsx = path.resolve(__dirname, '../node_modules/.bin/tsx');
    const check = spawnSync(tsx, [path.resolve(__dirname, '../scripts/topics.ts')], {
      encoding: 'utf8', timeout: 60_000, env: { ...process.env, ...world.env, TOPIC_PREFIX: prefix, KAFKA_REPLICATION_FACTOR: '3' },
    });
    expect(check.stdout).toContain('replication factor is 1, must be 3');
    expect(check.stdout).toContain('min.insync.replicas is 1, must be 2');
    expect(check.status).toBe(1);
  });

  it('refuses to start on an existing topic that contradicts its spec, names the fix, and `npm run topics -- --fix` mends it', async () => {
    const prefix = `${world.topicPrefix}old.`;
    // as an older release created them: raw with a week's retention, the canonical topic not compacted
    await admin.createTopics({ waitForLeaders: true, topics: [
      { topic: topicName(prefix, TOPICS.rawPtl), numPartitions: 1, configEntries: [{ name: 'retention.ms', value: '604800000' }] },
      { topic: topicName(prefix, TOPICS.discounts), numPartitions: 1, configEntries: [{ name: 'cleanup.policy', value: 'delete' }] },
    ] });
    const err = await ensureTopics(admin, prefix, [TOPICS.rawPtl, TOPICS.discounts], 1).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(TopicConfigError);
    const message = (err as Error).message;
    expect(message).toContain(`${topicName(prefix, TOPICS.rawPtl)}: retention.ms is 604800000, must be -1`);
    expect(message).toContain(`${topicName(prefix, TOPICS.discounts)}: cleanup.policy is delete, must be compact`);
    expect(message).toContain('npm run topics -- --fix');

    const tsx = path.resolve(__dirname, '../node_modules/.bin/tsx');
    const run = (args: string[]) => spawnSync(tsx, [path.resolve(__dirname, '../scripts/topics.ts'), ...args], {
      encoding: 'utf8', timeout: 60_000, env: { ...process.env, ...world.env, TOPIC_PREFIX: prefix },
    });
    const check = run([]);
    expect(check.status).toBe(1);
    expect(check.stdout).toContain('2 problem(s)');
    const fix = run(['--fix']);
    expect(fix.stdout).toContain('0 problem(s)');
    expect(fix.status).toBe(0);
    await expect(ensureTopics(admin, prefix, [TOPICS.rawPtl, TOPICS.discounts], 1)).resolves.toBeUndefined();
    expect(await configOf(topicName(prefix, TOPICS.rawPtl), 'retention.ms')).toBe('-1');
  });
});
