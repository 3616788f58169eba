/**
 * Poller -> normaliser over the sandbox: what the real poller publishes from the sandbox's POS,
 * Backoffice and Odoo (fixture store + generated FL Backoffice stores + PTL deals) maps with no
 * dead letter, on real Kafka, the registry and Postgres.
 */
import { Registry } from 'prom-client';
import { createTestWorld, type TestWorld } from '../../test/support/integration';
import { TOPICS, topicName } from '../../shared/topics';
import { countMessages, givenSandboxAndPoller, type PollerWorld } from '../poller/testing';
import { createNormaliser, type Normaliser } from './consumer';

describe('poller -> normaliser over the sandbox', () => {
  let world: TestWorld;
  let pw: PollerWorld;
  let normaliser: Normaliser | undefined;

  beforeAll(async () => {
    world = await createTestWorld('normpipe');
    pw = await givenSandboxAndPoller(world, { markets: ['AZ', 'FL'], lspsPerMarket: 1, storesPerLsp: 2, dealsPerLsp: 60, ptlDealsPerMarket: 2 });
  }, 60_000);
  afterAll(async () => {
    await normaliser?.stop();
    await pw.close();
    await world.close();
  }, 60_000);

  it('maps every raw event the poller published, from every API, without a dead letter', async () => {
    const p = await pw.poller();
    const cycle = await p.poller.runLocked();
    expect(cycle.kind).toBe('done');
    const raw = {
      dutchie: await countMessages(world.kafka, topicName(world.topicPrefix, TOPICS.rawDutchie)),
      ptl: await countMessages(world.kafka, topicName(world.topicPrefix, TOPICS.rawPtl)),
    };
    expect(raw.dutchie).toBeGreaterThan(691); // the fixture store plus the generated ones
    expect(raw.ptl).toBeGreaterThan(0);

    normaliser = createNormaliser({
      kafka: world.kafka, serde: world.serde, logger: world.logger, topicPrefix: world.topicPrefix,
      groupId: `${world.topicPrefix}normaliser`, fromBeginning: true, partitions: 3, registry: new Registry(),
    });
    await normaliser.start();
    let timer: NodeJS.Timeout | undefined;
    await Promise.race([normaliser.caughtUp(), new Promise((_, reject) => { timer = setTimeout(() => reject(new Error('normaliser did not catch up')), 60_000); })]);
    clearTimeout(timer);

    expect(normaliser.counts.reject).toBe(0);
    expect(normaliser.counts.emit + normaliser.counts.tombstone).toBe(raw.dutchie + raw.ptl);
    expect(await countMessages(world.kafka, topicName(world.topicPrefix, TOPICS.dlq))).toBe(0);
    expect(await countMessages(world.kafka, topicName(world.topicPrefix, TOPICS.discounts))).toBe(raw.dutchie + raw.ptl);
  });
});
