import { spawn } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import path from 'node:path';
import type { Consumer, Producer } from 'kafkajs';
import { createKafka, ensureTopics } from '../../shared/kafka';
import { TOPICS, topicName } from '../../shared/topics';
import { givenEmployee, givenPromotion } from '../../test/support/discounts';
import { createTestWorld, type TestWorld } from '../../test/support/integration';
import { EVENT_ID_HEADER, MAX_ATTEMPTS, createOutboxProducer, createRelay } from './relay';
import { createDiscounts, type Discounts } from './service';

interface Seen { topic: string; key: string; eventId: string; value: Record<string, unknown> }

describe('outbox relay against real Postgres, Kafka and registry', () => {
  let world: TestWorld;
  let producer: Producer;
  let consumer: Consumer;
  let discounts: Discounts;
  const seen: Seen[] = [];
  const business = randomUUID();
  let employee: string;
  const applicationsTopic = () => topicName(world.topicPrefix, TOPICS.discountApplications);
  const promotionsTopic = () => topicName(world.topicPrefix, TOPICS.promotionDiscountApplied);

  beforeAll(async () => {
    world = await createTestWorld('discounts-relay');
    const admin = world.kafka.admin();
    await admin.connect();
    await ensureTopics(admin, world.topicPrefix, [TOPICS.discountApplications, TOPICS.promotionDiscountApplied], 3);
    await admin.disconnect();
    producer = createOutboxProducer(world.kafka);
    await producer.connect();
    discounts = createDiscounts({ db: world.db });
    employee = await givenEmployee(world.db, business, 'manager');
    // Registered up front so the consumer can decode whatever any relay (in-process or child) sends.
    await createRelay({ db: world.db, producer, serde: world.serde, topicPrefix: world.topicPrefix, logger: world.logger }).registerSchemas();

    consumer = world.kafka.consumer({ groupId: `${world.topicPrefix}observer` });
    await consumer.connect();
    await consumer.subscribe({ topics: [applicationsTopic(), promotionsTopic()], fromBeginning: true });
    await consumer.run({
      eachMessage: async ({ topic, message }) => {
        seen.push({
          topic, key: message.key!.toString(), eventId: message.headers![EVENT_ID_HEADER]!.toString(),
          value: (await world.serde.decode(message.value!)) as Record<string, unknown>,
        });
      },
    });
  }, 60_000);
  afterAll(async () => {
    await consumer.disconnect();
    await producer.disconnect();
    await world.close();
  }, 60_000);

  const apply = async (n: number): Promise<string[]> => {
    const ids: string[] = [];
    for (let i = 0; i < n; i++) {
      const r = await discounts.buildLineDiscount({
        businessId: business, entityType: 'sale', entityId: randomUUID(), lineId: 'L1', baseAmount: '20', current: null, actor: { kind: 'employee', employeeId: employee },
        approval: null, reason: null, discount: { kind: 'manual', type: 'manual', method: 'amount', value: '1.25' },
      });
      ids.push(r.application.id);
    }
    return ids;
  };
  const eventIdsOf = async (applicationIds: string[]): Promise<string[]> =>
    (await world.db.selectFrom('discount_outbox').select('id').where(({ eb, ref }) => eb(eb.fn('jsonb_extract_path_text', [ref('payload'), eb.val('applicationId')]), 'in', applicationIds)).execute()).map((r) => r.id);
  const unpublished = async (eventIds: string[]): Promise<number> =>
    (await world.db.selectFrom('discount_outbox').select('id').where('id', 'in', eventIds).where('published_at', 'is', null).execute()).length;
  const copies = (eventId: string): number => seen.filter((s) => s.eventId === eventId).length;
  async function until(cond: () => boolean, what: string, ms = 30_000): Promise<void> {
    const end = Date.now() + ms;
    while (!cond()) {
      if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
      await new Promise((r) => setTimeout(r, 100));
    }
  }

  /**
   * Relays until `n` rows went out: after a SIGKILL, Postgres may hold the dead relay's row locks
   * for a moment (until it sees the socket close), and SKIP LOCKED rightly skips them meanwhile.
   */
  async function relayUntil(relay: ReturnType<typeof createRelay>, n: number): Promise<number> {
    let done = 0;
    const end = Date.now() + 30_000;
    while (done < n && Date.now() < end) {
      const k = await relay.relayOnce();
      done += k;
      if (k === 0) await new Promise((r) => setTimeout(r, 100));
    }
    return done;
  }

  function runCrashingRelay(crashAt: 'before-publish' | 'after-publish'): Promise<{ signal: NodeJS.Signals | null; eventIds: string[] }> {
    return new Promise((resolve, reject) => {
      const child = spawn(process.execPath, ['--import', 'tsx', path.join(__dirname, 'crash-relay.fixture.ts')], {
        env: { ...process.env, ...world.env, CRASH_AT: crashAt }, stdio: ['ignore', 'pipe', 'pipe'],
      });
      let out = '';
      let err = '';
      child.stdout.on('data', (d: Buffer) => { out += d.toString(); });
      child.stderr.on('data', (d: Buffer) => { err += d.toString(); });
      const timer = setTimeout(() => { child.kill('SIGKILL'); reject(new Error(`crash relay hung: ${err}`)); }, 60_000);
      child.on('exit', (_code, signal) => {
        clearTimeout(timer);
        const line = out.trim().split('\n').pop();
        if (!line) { reject(new Error(`crash relay printed nothing: ${err}`)); return; }
        resolve({ signal, eventIds: (JSON.parse(line) as { eventIds: string[] }).eventIds });
      });
    });
  }

  it('publishes every application and promotion event as registered Avro, keyed per entity, with its event id, then marks it', async () => {
    const promotionId = await givenPromotion(world.db, business, { value: '10' });
    const r = await discounts.buildCartDiscount({
      businessId: business, entityType: 'order', entityId: randomUUID(), baseAmount: '80', current: null, actor: { kind: 'employee', employeeId: employee },
      approval: null, reason: null, discount: { kind: 'promotion', promotionId },
    });
    const relay = createRelay({ db: world.db, producer, serde: world.serde, topicPrefix: world.topicPrefix, logger: world.logger });
    expect(await relay.relayOnce()).toBe(2);
    const eventIds = await eventIdsOf([r.application.id]);
    expect(eventIds).toHaveLength(2);
    await until(() => eventIds.every((id) => copies(id) === 1), 'both events');
    const app = seen.find((s) => s.topic === applicationsTopic() && s.value.applicationId === r.application.id)!;
    expect(app.key).toBe(`order:${r.application.entityId}`);
    expect(app.value).toMatchObject({ eventId: app.eventId, businessId: business, scope: 'cart', type: 'promotion', amountApplied: '8', promotionId });
    const promo = seen.find((s) => s.topic === promotionsTopic() && s.value.applicationId === r.application.id)!;
    expect(promo.key).toBe(promotionId);
    expect(promo.value).toMatchObject({ eventId: promo.eventId, promotionId, amountApplied: '8', employeeId: employee });
    expect(await unpublished(eventIds)).toBe(0);
    expect(await relay.relayOnce()).toBe(0);
  });

  it('a relay killed (SIGKILL) after commit, before publishing: the events still arrive, exactly once', async () => {
    const apps = await apply(3);
    const eventIds = await eventIdsOf(apps);
    const crash = await runCrashingRelay('before-publish');
    expect(crash.signal).toBe('SIGKILL');
    expect(crash.eventIds).toEqual(expect.arrayContaining(eventIds));
    expect(await unpublished(eventIds)).toBe(3);
    // the restarted relay publishes what the dead one had claimed
    const relay = createRelay({ db: world.db, producer, serde: world.serde, topicPrefix: world.topicPrefix, logger: world.logger });
    expect(await relayUntil(relay, 3)).toBe(3);
    await until(() => eventIds.every((id) => copies(id) === 1), 'the three events');
    await new Promise((r) => setTimeout(r, 500));
    expect(eventIds.map(copies)).toEqual([1, 1, 1]);
    expect(await unpublished(eventIds)).toBe(0);
  });

  it('a relay killed (SIGKILL) after publishing, before marking: republished with the SAME event ids, one event per id after dedupe', async () => {
    const apps = await apply(3);
    const eventIds = await eventIdsOf(apps);
    const crash = await runCrashingRelay('after-publish');
    expect(crash.signal).toBe('SIGKILL');
    await until(() => eventIds.every((id) => copies(id) === 1), 'the first delivery');
    expect(await unpublished(eventIds)).toBe(3);
    const relay = createRelay({ db: world.db, producer, serde: world.serde, topicPrefix: world.topicPrefix, logger: world.logger });
    expect(await relayUntil(relay, 3)).toBe(3);
    await until(() => eventIds.every((id) => copies(id) === 2), 'the redelivery');
    for (const id of eventIds) {
      const [first, second] = seen.filter((s) => s.eventId === id);
      expect(second!.value).toEqual(first!.value); // the same event, not a new one
      expect(first!.value.eventId).toBe(id);
    }
    // a consumer deduping on the event id sees each application exactly once
    const deduped = new Map(seen.filter((s) => eventIds.includes(s.eventId)).map((s) => [s.eventId, s.value.applicationId]));
    expect([...deduped.values()].sort()).toEqual([...apps].sort());
    expect(await unpublished(eventIds)).toBe(0);
  });

  it('a row that cannot be encoded does not block the others and is set aside after MAX_ATTEMPTS', async () => {
    const bad = randomUUID();
    await world.db.insertInto('discount_outbox').values({ id: bad, topic: 'discountApplications', key: 'k', payload: JSON.stringify({ eventId: bad }) }).execute();
    const apps = await apply(2);
    const eventIds = await eventIdsOf(apps);
    const relay = createRelay({ db: world.db, producer, serde: world.serde, topicPrefix: world.topicPrefix, logger: world.logger });
    expect(await relay.relayOnce()).toBe(2);
    await until(() => eventIds.every((id) => copies(id) === 1), 'the good events');
    for (let i = 0; i < MAX_ATTEMPTS; i++) await relay.relayOnce();
    const row = await world.db.selectFrom('discount_outbox').select(['attempts', 'published_at']).where('id', '=', bad).executeTakeFirstOrThrow();
    expect(row).toEqual({ attempts: MAX_ATTEMPTS, published_at: null });
    expect(copies(bad)).toBe(0);
  });

  it('several relays share the outbox (FOR UPDATE SKIP LOCKED) without publishing an event twice, each entity in order', async () => {
    // 120 applications on 10 sales, interleaved: each sale's events must reach the topic in the order they were applied
    const sales = Array.from({ length: 10 }, () => randomUUID());
    const apps: string[] = [];
    for (let i = 0; i < 120; i++) {
      const r = await discounts.buildLineDiscount({
        businessId: business, entityType: 'sale', entityId: sales[i % 10]!, lineId: `L${i}`, baseAmount: '20', current: null, actor: { kind: 'employee', employeeId: employee },
        approval: null, reason: null, discount: { kind: 'manual', type: 'manual', method: 'amount', value: '1' },
      });
      apps.push(r.application.id);
    }
    const eventIds = await eventIdsOf(apps);
    const relays = await Promise.all([0, 1, 2].map(async (i) => {
      const p = createOutboxProducer(createKafka({ brokers: world.env.KAFKA_BROKERS!.split(','), clientId: `relay-${i}` }, world.logger));
      await p.connect();
      return { p, relay: createRelay({ db: world.db, producer: p, serde: world.serde, topicPrefix: world.topicPrefix, logger: world.logger, batchSize: 7 }) };
    }));
    // each relay works until the outbox is empty (a relay that finds only keys held by another waits a moment)
    const pending = async () => unpublished(eventIds);
    const published = await Promise.all(relays.map(async ({ relay }) => {
      let n = 0;
      while ((await pending()) > 0) {
        const k = await relay.relayOnce();
        n += k;
        if (k === 0) await new Promise((r) => setTimeout(r, 5));
      }
      return n;
    }));
    await Promise.all(relays.map(({ p }) => p.disconnect()));
    expect(published.reduce((a, b) => a + b, 0)).toBe(120);
    expect(published.filter((n) => n > 0).length).toBeGreaterThan(1);
    await until(() => eventIds.every((id) => copies(id) >= 1), 'all 120 events');
    await new Promise((r) => setTimeout(r, 500));
    expect(eventIds.filter((id) => copies(id) !== 1)).toEqual([]);
    for (const sale of sales) {
      const published = seen.filter((x) => x.topic === applicationsTopic() && x.value.entityId === sale).map((x) => x.value.applicationId);
      expect(published).toEqual(apps.filter((_, i) => i % 10 === sales.indexOf(sale)));
    }
  });

  it('a started relay lingers after a partial batch, so rows written meanwhile go out together', async () => {
    const batches: string[][] = [];
    const relay = createRelay({
      db: world.db, producer, serde: world.serde, topicPrefix: world.topicPrefix, logger: world.logger, pollMs: 5, lingerMs: 1500,
      beforePublish: (ids) => { batches.push(ids); },
    });
    const [firstEvent] = await eventIdsOf(await apply(1));
    relay.start();
    try {
      await until(() => batches.some((b) => b.includes(firstEvent!)), 'the first event');
      // the relay now waits lingerMs: three applications written 50 ms apart leave in ONE batch (polling every 5 ms would send each alone)
      const later: string[] = [];
      for (let i = 0; i < 3; i++) {
        later.push(...await apply(1));
        await new Promise((r) => setTimeout(r, 50));
      }
      const laterEvents = await eventIdsOf(later);
      await until(() => laterEvents.every((id) => copies(id) === 1), 'the three later events');
      expect(batches.filter((b) => b.some((id) => laterEvents.includes(id))).map((b) => b.filter((id) => laterEvents.includes(id)).sort()))
        .toEqual([[...laterEvents].sort()]);
    } finally {
      await relay.stop();
    }
  });
});
