import { randomUUID } from 'node:crypto';
import type { Consumer, IHeaders, Producer } from 'kafkajs';
import type { LoyaltyRedemption } from '../../shared/events';
import { ensureTopics } from '../../shared/kafka';
import { TOPICS, topicName } from '../../shared/topics';
import { givenEmployee } from '../../test/support/discounts';
import { createTestWorld, type TestWorld } from '../../test/support/integration';
import { createRedemptionConsumer } from './consumer';
import { createOutboxProducer } from './relay';
import { createDiscounts } from './service';

describe('loyalty redemption consumer against real Kafka, registry and Postgres', () => {
  let world: TestWorld;
  let producer: Producer;
  let dlqReader: Consumer;
  let service: ReturnType<typeof createRedemptionConsumer>;
  const dead: Array<{ key: string | null; value: Buffer | null; headers: IHeaders }> = [];
  const business = randomUUID();
  let cashier: string;
  const source = () => topicName(world.topicPrefix, TOPICS.loyaltyRedemptions);

  beforeAll(async () => {
    world = await createTestWorld('discounts-loyalty');
    const admin = world.kafka.admin();
    await admin.connect();
    await ensureTopics(admin, world.topicPrefix, [TOPICS.loyaltyRedemptions, TOPICS.discountsDlq], 3);
    await admin.disconnect();
    await world.serde.register(source(), TOPICS.loyaltyRedemptions.schema);
    producer = createOutboxProducer(world.kafka);
    await producer.connect();
    cashier = await givenEmployee(world.db, business, 'cashier');

    dlqReader = world.kafka.consumer({ groupId: `${world.topicPrefix}dlq-reader` });
    await dlqReader.connect();
    await dlqReader.subscribe({ topic: topicName(world.topicPrefix, TOPICS.discountsDlq), fromBeginning: true });
    await dlqReader.run({ eachMessage: ({ message }) => { dead.push({ key: message.key?.toString() ?? null, value: message.value, headers: message.headers ?? {} }); return Promise.resolve(); } });

    service = createRedemptionConsumer({
      kafka: world.kafka, serde: world.serde, discounts: createDiscounts({ db: world.db }), producer, topicPrefix: world.topicPrefix, logger: world.logger,
    });
    await service.start();
  }, 60_000);
  afterAll(async () => {
    await service.stop();
    await dlqReader.disconnect();
    await producer.disconnect();
    await world.close();
  }, 60_000);

  const redemption = (over: Partial<LoyaltyRedemption> = {}): LoyaltyRedemption => ({
    redemptionId: randomUUID(), businessId: business, customerId: 'cust-42', entityType: 'sale', entityId: randomUUID(), lineId: null,
    points: 500, amount: '5.00', employeeId: cashier, reason: null, redeemedAt: Date.now(), ...over,
  });
  const send = async (key: string, value: Buffer) => { await producer.send({ topic: source(), messages: [{ key, value }] }); };
  const rowsFor = (redemptionId: string) => world.db.selectFrom('discount_application').selectAll().where('redemption_id', '=', redemptionId).execute();
  async function until(cond: () => Promise<boolean> | boolean, what: string, ms = 45_000): Promise<void> {
    const end = Date.now() + ms;
    while (!(await cond())) {
      if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
      await new Promise((r) => setTimeout(r, 150));
    }
  }

  it('a redemption delivered twice becomes ONE loyalty audit row and one outbox event', async () => {
    const r = redemption();
    const value = await world.serde.encode(source(), r);
    await send(r.entityId, value);
    await send(r.entityId, value);
    // a marker behind both copies on the same partition: once it is processed, both copies were
    const marker = redemption({ entityId: r.entityId });
    await send(r.entityId, await world.serde.encode(source(), marker));
    await until(async () => (await rowsFor(marker.redemptionId)).length === 1, 'the marker');
    const rows = await rowsFor(r.redemptionId);
    expect(rows).toHaveLength(1);
    expect(rows[0]).toMatchObject({ business_id: business, entity_id: r.entityId, type: 'loyalty', method: 'amount', scope: 'cart', amount_applied: '5.000000', created_by: cashier });
    const events = await world.db.selectFrom('discount_outbox').selectAll().where('key', '=', `sale:${r.entityId}`).execute();
    expect(events.filter((e) => (e.payload as { redemptionId?: string }).redemptionId === r.redemptionId)).toHaveLength(1);
  });

  it('applyLoyaltyDiscount called twice in-process is idempotent too', async () => {
    const discounts = createDiscounts({ db: world.db });
    const input = { redemptionId: randomUUID(), businessId: business, entityType: 'order', entityId: randomUUID(), lineId: 'L9', amount: '2.5', points: 250, employeeId: null, reason: null };
    const [a, b] = await Promise.all([discounts.applyLoyaltyDiscount(input), discounts.applyLoyaltyDiscount(input)]);
    expect([a.kind, b.kind].sort()).toEqual(['duplicate', 'recorded']);
    expect(await rowsFor(input.redemptionId)).toHaveLength(1);
  });

  it('applyLoyaltyDiscount joins the loyalty module\'s own transaction: a rollback there leaves no audit row and no event', async () => {
    const discounts = createDiscounts({ db: world.db });
    const input = { redemptionId: randomUUID(), businessId: business, entityType: 'sale', entityId: randomUUID(), lineId: null, amount: '1', points: 100, employeeId: null, reason: null };
    await expect(world.db.transaction().execute(async (trx) => {
      expect((await discounts.applyLoyaltyDiscount(input, trx)).kind).toBe('recorded');
      throw new Error('loyalty module failed after recording');
    })).rejects.toThrow('loyalty module failed');
    expect(await rowsFor(input.redemptionId)).toHaveLength(0);
    expect(await world.db.selectFrom('discount_outbox').select('id').where('key', '=', `sale:${input.entityId}`).execute()).toHaveLength(0);
    await world.db.transaction().execute((trx) => discounts.applyLoyaltyDiscount(input, trx));
    expect(await rowsFor(input.redemptionId)).toHaveLength(1);
  });

  it('sends invalid messages to discounts.dlq.v1 with reason and origin headers, and goes on', async () => {
    const notAvro = Buffer.from('{"redemptionId":"x"}');
    const badAmount = redemption({ amount: '-3' });
    const unknownEmployee = redemption({ employeeId: randomUUID() });
    const notUuid = redemption({ entityId: 'sale-7' });
    await send('k-notavro', notAvro);
    await send('k-amount', await world.serde.encode(source(), badAmount));
    await send('k-employee', await world.serde.encode(source(), unknownEmployee));
    await send('k-uuid', await world.serde.encode(source(), notUuid));
    const good = redemption();
    await send('k-good', await world.serde.encode(source(), good));

    await until(() => dead.length >= 4, 'four dead letters');
    await until(async () => (await rowsFor(good.redemptionId)).length === 1, 'the valid redemption after the poison ones');
    const byKey = new Map(dead.map((d) => [d.key, d]));
    expect(byKey.get('k-notavro')!.value).toEqual(notAvro);
    const header = (key: string, h: string) => byKey.get(key)!.headers[h]?.toString();
    expect(header('k-notavro', 'dlq-reason')).toMatch(/^undecodable/);
    expect(header('k-amount', 'dlq-reason')).toMatch(/amount/);
    expect(header('k-employee', 'dlq-reason')).toMatch(/^EMPLOYEE_NOT_FOUND/);
    expect(header('k-uuid', 'dlq-reason')).toMatch(/entityId/);
    for (const k of ['k-notavro', 'k-amount', 'k-employee', 'k-uuid']) {
      expect(header(k, 'dlq-origin-topic')).toBe(source());
      expect(header(k, 'dlq-origin-partition')).toMatch(/^\d+$/);
      expect(header(k, 'dlq-origin-offset')).toMatch(/^\d+$/);
    }
    for (const r of [badAmount, unknownEmployee, notUuid]) expect(await rowsFor(r.redemptionId)).toHaveLength(0);
  });
});
