/**
 * The sink against real Kafka + registry + Postgres and the sandbox Odoo (in-process, ephemeral port).
 * One world per file; each test uses its own deal ids.
 */
import type { Consumer, KafkaMessage } from 'kafkajs';
import { createTestWorld, type TestWorld } from '../../test/support/integration';
import { createProducer } from '../../shared/kafka';
import { TOPICS, dealKey, topicName } from '../../shared/topics';
import { parseOdooSinkConfig } from './config';
import { AZ_LOCATION, givenDeal } from '../../test/support/odoo-fixtures';
import { startOdooSink } from './main';
import {
  caughtUp, dealPublisher, eventually, givenAzLocation, startSandboxOdoo, type DealPublisher, type SandboxOdoo,
} from '../../test/support/odoo-sink';

/** The outage of the "Odoo down" test; the issue asks for 60 s (override to iterate faster). */
const OUTAGE_MS = Number(process.env.ODOO_SINK_OUTAGE_MS ?? 60_000);

describe('odoo-sink: deals.discounts.v1 → sandbox Odoo mint.discount', () => {
  let world: TestWorld;
  let odoo: SandboxOdoo;
  let publisher: DealPublisher;
  let sink: Awaited<ReturnType<typeof startOdooSink>> | undefined;
  const dlqMessages: KafkaMessage[] = [];
  let dlqConsumer: Consumer | undefined;

  const startSink = async (extra: NodeJS.ProcessEnv = {}) => startOdooSink(parseOdooSinkConfig({
    ...world.env, ...odoo.env, SINK_RETRY_BASE_MS: '200', SINK_RETRY_CAP_MS: '2000', ODOO_RETRIES: '1', ...extra,
  }), { withOps: false });
  const recordOf = (discountId: string) => odoo.dutchieRecords().filter((r) => r.dutchie_discount_id === discountId);

  jest.setTimeout(120_000);

  beforeAll(async () => {
    world = await createTestWorld('odoo-sink');
    odoo = await startSandboxOdoo();
    await givenAzLocation(world.db);
    publisher = await dealPublisher(world.kafka, world.serde, world.topicPrefix);
    dlqConsumer = world.kafka.consumer({ groupId: `${world.topicPrefix}dlq-reader` });
    await dlqConsumer.connect();
    await dlqConsumer.subscribe({ topic: topicName(world.topicPrefix, TOPICS.dlq), fromBeginning: true });
    await dlqConsumer.run({ eachMessage: ({ message }) => { dlqMessages.push(message); return Promise.resolve(); } });
    sink = await startSink();
  });

  afterAll(async () => {
    await sink?.stop();
    await dlqConsumer?.disconnect();
    await publisher.close();
    await odoo.close();
    await world.close();
  });

  it('writes a Dutchie deal with the right values, writes only what changed, deactivates a removal, never writes a PTL deal', async () => {
    const ptlBefore = odoo.store.records('mint.discount', [['source', '=', 'ptl']]);
    expect(ptlBefore.length).toBeGreaterThan(0); // the sandbox seeds published PTL deals
    const deal = givenDeal({ discountId: '2001', startTime: '16:00:00', endTime: '18:30:00' });
    const ptl = givenDeal({ discountId: 'ptl_77', source: 'ptl', sourceApi: 'odoo' });
    await publisher.publish([deal, ptl]);
    await eventually(() => recordOf('2001').length === 1, 30_000, 'the deal in Odoo');
    expect(recordOf('2001')[0]).toMatchObject({
      name: '25% off Brand X', description: '25% Brand X SS', discount_type: 'percent', discount_amount: 25, discount_value: 25,
      calculation_method_id: 2, is_active: true, valid_from: '2026-11-01', valid_until: '2026-11-30', start_time: 16, end_time: 18.5,
      monday: true, sunday: true, threshold_type: 'none', store_ids: [odoo.storeId], dutchie_discount_id: '2001', dutchie_is_deleted: false,
      source: 'dutchie', brand_restriction_ids_raw: 'include: 1 | 2', product_restriction_ids_raw: 'exclude: 54', raw_payload: deal.rawRecord,
    });

    odoo.store.resetCalls();
    const weekdaysOnly = { ...deal.days, saturday: false, sunday: false };
    await publisher.publish([{ ...deal, value: '0.3', days: weekdaysOnly, version: deal.version + 1 }]);
    await eventually(() => recordOf('2001')[0]?.discount_amount === 30, 30_000, 'the change in Odoo');
    expect(recordOf('2001')[0]).toMatchObject({ discount_value: 30, saturday: false, sunday: false, monday: true });
    expect(odoo.calls()['mint.discount.write']).toBe(1);
    expect(odoo.calls()['mint.discount.create']).toBeUndefined();

    await publisher.publish([{ tombstone: dealKey(AZ_LOCATION, '2001') }, { tombstone: dealKey(AZ_LOCATION, 'ptl_77') }]);
    await eventually(() => recordOf('2001')[0]?.is_active === false, 30_000, 'the deactivation');
    expect(recordOf('2001')).toHaveLength(1); // never unlinked
    expect(recordOf('2001')[0]).toMatchObject({ is_active: false, dutchie_is_deleted: true });
    expect(odoo.store.records('mint.discount', [['dutchie_discount_id', '=', 'ptl_77']])).toHaveLength(0);
    expect(odoo.store.records('mint.discount', [['source', '=', 'ptl']])).toEqual(ptlBefore); // Odoo's own PTL records untouched
  }, 120_000);

  it('sends a deal Odoo rejects to the DLQ with Odoo\'s message and goes on with the others', async () => {
    odoo.store.validationFaults.push({ model: 'mint.discount', match: { dutchie_discount_id: '3002' }, message: 'store 3002 is closed for deals' });
    await publisher.publish(['3001', '3002', '3003'].map((id) => givenDeal({ discountId: id })));
    await eventually(() => recordOf('3001').length === 1 && recordOf('3003').length === 1, 30_000, 'the good deals');
    await eventually(() => dlqMessages.some((m) => m.key?.toString() === dealKey(AZ_LOCATION, '3002')), 30_000, 'the DLQ message');
    const dead = dlqMessages.find((m) => m.key?.toString() === dealKey(AZ_LOCATION, '3002'))!;
    expect(dead.headers?.['dlq-error']?.toString()).toBe('store 3002 is closed for deals');
    expect(dead.headers?.['dlq-reason']?.toString()).toBe('odoo_validation');
    expect(dead.headers?.['dlq-origin-topic']?.toString()).toBe(publisher.topic);
    expect(dead.headers?.['dlq-origin-offset']).toBeDefined();
    expect(await world.serde.decode(dead.value!)).toMatchObject({ discountId: '3002' });
    expect(recordOf('3002')).toHaveLength(0);
    odoo.store.validationFaults = [];
  }, 120_000);

  it('dead-letters a message that is not a decodable deal and goes on', async () => {
    const producer = createProducer(world.kafka);
    await producer.connect();
    await producer.send({ topic: publisher.topic, messages: [{ key: dealKey(AZ_LOCATION, '3500'), value: Buffer.from('{"not":"avro"}') }] });
    await producer.disconnect();
    await publisher.publish([givenDeal({ discountId: '3501' })]);
    await eventually(() => recordOf('3501').length === 1, 30_000, 'the deal after the poison message');
    await eventually(() => dlqMessages.some((m) => m.key?.toString() === dealKey(AZ_LOCATION, '3500')), 30_000, 'the DLQ message');
    const dead = dlqMessages.find((m) => m.key?.toString() === dealKey(AZ_LOCATION, '3500'))!;
    expect(dead.headers?.['dlq-reason']?.toString()).toBe('undecodable');
    expect(dead.value?.toString()).toBe('{"not":"avro"}');
  }, 120_000);

  it(`loses nothing while Odoo is down for ${OUTAGE_MS / 1000} s during a stream of changes, commits nothing meanwhile, then catches up`, async () => {
    const ids = Array.from({ length: 120 }, (_, i) => String(4000 + i));
    const groupId = `${world.topicPrefix}odoo-sink`;
    await publisher.publish(ids.slice(0, 40).map((id) => givenDeal({ discountId: id })));
    await eventually(() => ids.slice(0, 40).every((id) => recordOf(id).length === 1), 30_000, 'the first part of the stream');
    await eventually(() => caughtUp(world.kafka, groupId, publisher.topic), 15_000, 'the first commit');

    await odoo.server.down(OUTAGE_MS);
    const downAt = Date.now();
    expect(await sink!.consumer.health.odoo()).toBe(true);
    // The stream goes on during the outage: new deals, and changes to ones Odoo already has.
    for (let i = 0; i < 4; i++) {
      await publisher.publish(ids.slice(40 + i * 20, 60 + i * 20).map((id) => givenDeal({ discountId: id })));
      await publisher.publish([givenDeal({ discountId: ids[i]!, value: '0.5', version: givenDeal().version + 1 })]);
      await new Promise((r) => setTimeout(r, Math.min(5_000, OUTAGE_MS / 8)));
    }
    expect(await caughtUp(world.kafka, groupId, publisher.topic)).toBe(false); // nothing committed past Odoo
    expect(await sink!.consumer.health.odoo()).toBe(false); // /health says degraded
    expect(ids.slice(40).filter((id) => recordOf(id).length > 0)).toEqual([]);

    await eventually(() => ids.every((id) => recordOf(id).length === 1)
      && ids.slice(0, 4).every((id) => recordOf(id)[0]?.discount_amount === 50), OUTAGE_MS + 60_000, 'the catch-up');
    expect(Date.now() - downAt).toBeGreaterThanOrEqual(OUTAGE_MS - 1_000);
    expect(ids.slice(4).map((id) => recordOf(id)[0]?.discount_amount)).toEqual(ids.slice(4).map(() => 25));
    await eventually(() => caughtUp(world.kafka, groupId, publisher.topic), 15_000, 'the commit after the outage');
    expect(await sink!.consumer.health.odoo()).toBe(true);
  }, OUTAGE_MS + 150_000);

  it('replaying the topic from the beginning creates no duplicates and writes nothing that is already right', async () => {
    await eventually(() => caughtUp(world.kafka, `${world.topicPrefix}odoo-sink`, publisher.topic), 30_000, 'the live sink to settle');
    const before = odoo.dutchieRecords().length;
    await sink?.stop();
    sink = undefined;
    odoo.store.resetCalls();
    // One message per slice: older states of a deal (the log is not compacted yet) reach the sink on
    // their own, before the newest one, and must still cause no write.
    const replay = await startSink({ SINK_GROUP_ID: 'odoo-sink-replay', SINK_SLICE_SIZE: '1' });
    try {
      await eventually(() => caughtUp(world.kafka, `${world.topicPrefix}odoo-sink-replay`, publisher.topic), 60_000, 'the replay');
      const calls = odoo.calls();
      expect(calls['mint.discount.search_read']).toBeGreaterThan(0);
      // The one create is deal 3002, dead-lettered earlier while Odoo rejected it: Odoo accepts it now.
      expect(calls['mint.discount.create']).toBe(1);
      expect(odoo.dutchieRecords()).toHaveLength(before + 1);
      expect(recordOf('3002')).toHaveLength(1);
      expect(calls['mint.discount.write']).toBeUndefined();
      const perKey = new Map<string, number>();
      for (const r of odoo.dutchieRecords()) perKey.set(String(r.dutchie_discount_id), (perKey.get(String(r.dutchie_discount_id)) ?? 0) + 1);
      expect([...perKey.values()].every((n) => n === 1)).toBe(true);
    } finally {
      await replay.stop();
    }
  }, 120_000);
});
