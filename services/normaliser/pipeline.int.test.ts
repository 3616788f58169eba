/**
 * Poller -> normaliser over the sandbox: what the real poller publishes from the sandbox's POS,
 * Backoffice and Odoo (fixture store + generated FL Backoffice stores + PTL deals) maps with no
 * dead letter, on real Kafka, the registry and Postgres.
 */
import { Registry } from 'prom-client';
import { createTestWorld, type TestWorld } from '../../test/support/integration';
import type { Deal } from '../../shared/events';
import { TOPICS, topicName } from '../../shared/topics';
import { countMessages, givenSandboxAndPoller, type PollerWorld } from '../../test/support/poller';
import { createNormaliser, type Normaliser } from './consumer';

/** Decodes every non-tombstone value of `topic` (reads `n` messages, bounded wait). */
async function readDeals(world: TestWorld, topic: string, n: number): Promise<Deal[]> {
  const consumer = world.kafka.consumer({ groupId: `${world.topicPrefix}reader` });
  const values: Buffer[] = [];
  let seen = 0;
  await consumer.connect();
  try {
    await consumer.subscribe({ topic, fromBeginning: true });
    await new Promise<void>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`only ${seen}/${n} messages`)), 30_000);
      void consumer.run({ eachBatch: ({ batch }) => {
        for (const m of batch.messages) { seen++; if (m.value) values.push(m.value); }
        if (seen >= n) { clearTimeout(timer); resolve(); }
        return Promise.resolve();
      } });
    });
  } finally {
    await consumer.disconnect();
  }
  return Promise.all(values.map(async (v) => (await world.serde.decode(v)) as Deal));
}

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
    const discounts = topicName(world.topicPrefix, TOPICS.discounts);
    expect(await countMessages(world.kafka, discounts)).toBe(raw.dutchie + raw.ptl);

    // Every source and every kind the sandbox encodes came out as such.
    const deals = await readDeals(world, discounts, raw.dutchie + raw.ptl);
    expect(new Set(deals.map((d) => d.sourceApi))).toEqual(new Set(['pos', 'backoffice', 'odoo']));
    expect(new Set(deals.map((d) => d.kind))).toEqual(new Set(['percent', 'flat', 'price_to_amount', 'amount_off_total', 'bundle', 'bogo']));
    expect(deals.filter((d) => d.kind === 'bogo' && d.sourceApi === 'backoffice').length).toBeGreaterThan(0);
    expect(deals.filter((d) => d.kind === 'percent' && d.value === '1')).toHaveLength(1); // only the fixture's "spend $75, get one free"
  }, 60_000);
});
