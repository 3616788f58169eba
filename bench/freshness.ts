/**
 * `npm run bench:freshness`: at a steady 1,000 raw events/s (changes to existing deals of 20
 * locations), how long from producing a raw Dutchie event to the change being in Redis, through
 * the normaliser and the projector (child processes). The observer watches the small version keys
 * and reads a value only when it changed; a change superseded by a later one of the same deal
 * counts as delivered when the later one shows. Baseline, same run: the same events' produce ->
 * consume latency of a bare kafkajs consumer on the raw topic (Kafka's own share). Target p99 <= 500 ms.
 */
import { randomUUID } from 'node:crypto';
import { Worker } from 'node:worker_threads';
import type { Consumer } from 'kafkajs';
import { ensureTopics, locationPartitioner } from '../shared/kafka';
import { redisKeys } from '../shared/redis';
import { TOPICS, dealKey, topicName } from '../shared/topics';
import { benchWorld, groupLag, log, percentile, rawEvent, result, sleep, startService } from './support';

const LOCATIONS = 20;
const DEALS = 50;
const RATE = Number(process.env.BENCH_RATE ?? 1000);
const DURATION_S = Number(process.env.BENCH_DURATION_S ?? 20);
const PARTITIONS = 3;
const say = (m: string) => log('freshness', m);
/** Milliseconds on a clock shared with the worker thread. */
const clock = () => performance.timeOrigin + performance.now();

const OBSERVER = `
const { parentPort, workerData } = require('node:worker_threads');
const lib = require(workerData.ioredis);
const Redis = lib.default || lib.Redis || lib;
const redis = new Redis(workerData.url);
const versions = new Map();
const last = new Map();
const re = /\\{"id":"([^"]+)"[^\\n]*?"discount_name":"fresh-(\\d+)"/g;
(async () => {
  for (;;) {
    const vs = await redis.mget(...workerData.versionKeys);
    const changed = workerData.valueKeys.filter((k, i) => versions.get(k) !== vs[i]);
    workerData.valueKeys.forEach((k, i) => versions.set(k, vs[i]));
    const values = changed.length ? await redis.mget(...changed) : [];
    const now = performance.timeOrigin + performance.now();
    const out = [];
    for (const v of values) for (const m of (v || '').matchAll(re)) {
      const seq = Number(m[2]);
      if ((last.get(m[1]) || 0) < seq) { last.set(m[1], seq); out.push([m[1], seq, now]); }
    }
    if (out.length) parentPort.postMessage(out);
    await new Promise((r) => setTimeout(r, 2));
  }
})();
`;

async function main(): Promise<void> {
  const world = await benchWorld('freshness');
  const admin = world.kafka.admin();
  await admin.connect();
  const services: Array<ReturnType<typeof startService>> = [];
  let bare: Consumer | undefined;
  try {
    await ensureTopics(admin, world.topicPrefix, [TOPICS.rawDutchie, TOPICS.rawPtl, TOPICS.discounts, TOPICS.dlq], PARTITIONS);
    const raw = topicName(world.topicPrefix, TOPICS.rawDutchie);
    await world.serde.register(raw, TOPICS.rawDutchie.schema);
    // Non-idempotent with requests in flight: a steady stream must not queue behind one ack at a time.
    const producer = world.kafka.producer({ createPartitioner: locationPartitioner, maxInFlightRequests: 10, idempotent: false, allowAutoTopicCreation: false });
    await producer.connect();
    const locations = Array.from({ length: LOCATIONS }, () => randomUUID());
    const seed = await Promise.all(locations.flatMap((l) => Array.from({ length: DEALS }, async (_, d) => {
      const e = rawEvent(l, d, {}, Date.now() - 60_000);
      return { key: dealKey(l, e.discountId), value: await world.serde.encode(raw, e) };
    })));
    for (let i = 0; i < seed.length; i += 100) await producer.send({ topic: raw, messages: seed.slice(i, i + 100) });

    const env = { ...world.env, KAFKA_PARTITIONS: String(PARTITIONS) };
    services.push(startService('normaliser', env), startService('projector', env));
    const discounts = topicName(world.topicPrefix, TOPICS.discounts);
    for (;;) {
      await sleep(500);
      const n = await groupLag(admin, `${world.topicPrefix}normaliser`, raw).catch(() => 1);
      const p = await groupLag(admin, `${world.topicPrefix}projector`, discounts).catch(() => 1);
      const synced = await world.db.selectFrom('location_sync').select((eb) => eb.fn.countAll<string>().as('n')).executeTakeFirstOrThrow();
      if (n === 0 && p === 0 && Number(synced.n) === LOCATIONS) break;
    }
    // Only deals the pipeline publishes (the normaliser withdraws some fixture records).
    const keys = redisKeys(world.redisPrefix);
    const published: Array<{ location: string; d: number; id: string }> = [];
    for (const l of locations) {
      const v = (await world.redis.get(keys.discounts(l))) ?? '';
      for (let d = 0; d < DEALS; d++) { const id = rawEvent(l, d).discountId; if (v.includes(`"id":"${l}_${id}"`)) published.push({ location: l, d, id: `${l}_${id}` }); }
    }
    say(`seeded ${LOCATIONS} locations (${published.length} published deals); now ${RATE} changes/s for ${DURATION_S} s`);

    // Baseline: Kafka alone, produce -> a bare consumer of the raw topic.
    const sentAt = new Map<number, number>();
    const kafkaLatency: number[] = [];
    bare = world.kafka.consumer({ groupId: `${world.topicPrefix}bare`, maxWaitTimeInMs: 10 });
    await bare.connect();
    await bare.subscribe({ topic: raw, fromBeginning: false });
    await bare.run({ eachMessage: ({ message }) => {
      const seq = Number(message.headers?.seq?.toString());
      const t = sentAt.get(seq);
      if (t !== undefined) kafkaLatency.push(clock() - t);
      return Promise.resolve();
    } });
    await sleep(3000); // the bare consumer joins

    // Observer, in a worker thread so that reading values never delays the producer or the bare
    // consumer: it polls the small version keys, reads a value only when it changed, and reports the
    // newest `fresh-<seq>` it sees per deal. Seeing seq s of a deal delivers every earlier one.
    const pending = new Map<string, number[]>();
    const latency: number[] = [];
    const observer = new Worker(OBSERVER, { eval: true, workerData: {
      ioredis: require.resolve('ioredis'), url: world.env.REDIS_URL, valueKeys: locations.map((l) => keys.discounts(l)), versionKeys: locations.map((l) => keys.discountsVersion(l)),
    } });
    observer.on('message', (seen: Array<[string, number, number]>) => {
      for (const [id, s, t] of seen) {
        const list = pending.get(id);
        while (list && list.length && list[0]! <= s) latency.push(t - sentAt.get(list.shift()!)!);
      }
    });

    let seq = 0;
    const perTick = RATE / 100;
    const start = performance.now();
    for (let tick = 0; tick < DURATION_S * 100; tick++) {
      const due = start + tick * 10;
      const wait = due - performance.now();
      if (wait > 0) await sleep(wait);
      const batch = [];
      for (let k = 0; k < perTick; k++) {
        const target = published[seq % published.length]!;
        seq += 1;
        const e = rawEvent(target.location, target.d, { onlineName: `fresh-${seq}` });
        sentAt.set(seq, clock());
        const list = pending.get(target.id) ?? []; list.push(seq); pending.set(target.id, list);
        batch.push({ key: dealKey(target.location, e.discountId), value: await world.serde.encode(raw, e), headers: { seq: String(seq) } });
      }
      void producer.send({ topic: raw, messages: batch });
      if (tick % 500 === 499) say(`  ${seq} sent, ${latency.length} seen in Redis, rss normaliser ${services[0]!.rssMb()} MB projector ${services[1]!.rssMb()} MB`);
    }
    const sendSeconds = (performance.now() - start) / 1000;
    const deadline = performance.now() + 30_000;
    while (latency.length < seq && performance.now() < deadline) await sleep(50);
    await observer.terminate();
    await producer.disconnect();

    const sorted = [...latency].sort((a, b) => a - b);
    const ks = [...kafkaLatency].sort((a, b) => a - b);
    const p50 = Math.round(percentile(sorted, 50)); const p99 = Math.round(percentile(sorted, 99));
    const rate = Math.round(seq / sendSeconds);
    say(`raw produce -> Redis: p50 ${p50} ms, p99 ${p99} ms over ${latency.length}/${seq} changes at ${rate} events/s; Kafka alone p50 ${Math.round(percentile(ks, 50))} ms p99 ${Math.round(percentile(ks, 99))} ms`);
    const [norm, proj] = services.map((s) => s.peakRssMb);
    result('freshness', {
      metrics: { p50_ms: p50, p99_ms: p99, events_per_s: rate, delivered: latency.length, sent: seq, rss_mb_normaliser: norm!, rss_mb_projector: proj! },
      baseline: { p50_ms: Math.round(percentile(ks, 50)), p99_ms: Math.round(percentile(ks, 99)), what: 'produce -> bare kafkajs consumer on the raw topic' },
      ratio: Math.round((p99 / Math.max(1, percentile(ks, 99))) * 100) / 100,
      target: { p99_ms: 500, events_per_s: RATE, rss_mb: 200 },
      met: p99 <= 500 && latency.length === seq && norm! <= 200 && proj! <= 200,
    });
  } finally {
    await bare?.disconnect();
    await Promise.all(services.map((s) => s.stop()));
    await admin.disconnect();
    await world.close();
  }
}

main().then(() => process.exit(0), (e: unknown) => { console.error(e); process.exit(1); });
