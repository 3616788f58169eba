/**
 * `npm run bench:pipeline`: 100,000 raw Dutchie events (200 locations x 500 deals, the real AZ
 * fixture's records) through the normaliser and the projector (child processes) into Postgres +
 * Redis, on the local stack. Baseline, same run: a bare kafkajs eachBatch consumer draining the
 * same raw topic. The rate counts from the first projected row to the moment both groups have no
 * lag; `events_per_s_wall` includes process start and group joins. The CPU time each part spent
 * per event (normaliser, projector, their Postgres backends, the Kafka broker) is reported with the
 * ceiling it puts on the rate on this machine's cores. Ends with one JSON line.
 */
import os from 'node:os';
import { createProducer, ensureTopics } from '../shared/kafka';
import { TOPICS, dealKey, topicName } from '../shared/topics';
import { verifyLocations } from '../services/projector/verify';
import { kafkaPid } from '../stack/stack';
import { benchWorld, drainBare, groupLag, log, postgresCpuMs, processCpuMs, rawEvent, result, sleep, startService } from './support';
import { randomUUID } from 'node:crypto';

const LOCATIONS = Number(process.env.BENCH_LOCATIONS ?? 200);
const DEALS = Number(process.env.BENCH_DEALS ?? 500);
const PARTITIONS = 3;
const say = (m: string) => log('pipeline', m);

async function main(): Promise<void> {
  const world = await benchWorld('pipeline');
  const admin = world.kafka.admin();
  await admin.connect();
  const services: Array<ReturnType<typeof startService>> = [];
  try {
    await ensureTopics(admin, world.topicPrefix, [TOPICS.rawDutchie, TOPICS.rawPtl, TOPICS.discounts, TOPICS.dlq], PARTITIONS);
    const raw = topicName(world.topicPrefix, TOPICS.rawDutchie);
    await world.serde.register(raw, TOPICS.rawDutchie.schema);
    const total = LOCATIONS * DEALS;
    const producer = createProducer(world.kafka);
    await producer.connect();
    say(`producing ${total} raw events (${LOCATIONS} locations x ${DEALS} deals)`);
    const locations = Array.from({ length: LOCATIONS }, () => randomUUID());
    for (const [l, location] of locations.entries()) {
      const messages = await Promise.all(Array.from({ length: DEALS }, async (_, d) => {
        const e = rawEvent(location, d);
        return { key: dealKey(location, e.discountId), value: await world.serde.encode(raw, e) };
      }));
      for (let i = 0; i < messages.length; i += 100) await producer.send({ topic: raw, messages: messages.slice(i, i + 100) });
      if ((l + 1) % 50 === 0) say(`  ${(l + 1) * DEALS}/${total} produced`);
    }
    await producer.disconnect();

    // Baseline: bare eachBatch, no decode, no work.
    const { eventsPerS: baseline } = await drainBare(world.kafka, `${world.topicPrefix}bare`, raw, total, PARTITIONS);
    say(`baseline (bare eachBatch on the raw topic): ${baseline} events/s`);

    // The pipeline: normaliser + projector as separate processes.
    const env = { ...world.env, KAFKA_PARTITIONS: String(PARTITIONS) };
    const broker = kafkaPid();
    const [pgCpu0, brokerCpu0] = [await postgresCpuMs(world.db), processCpuMs(broker)];
    const t0 = performance.now();
    services.push(startService('normaliser', env), startService('projector', env));
    const discounts = topicName(world.topicPrefix, TOPICS.discounts);
    let tFirst = 0;
    for (;;) {
      await sleep(250);
      if (!tFirst) {
        const row = await world.db.selectFrom('location_sync').select('location_id').limit(1).executeTakeFirst();
        if (row) tFirst = performance.now();
      }
      const normLag = await groupLag(admin, `${world.topicPrefix}normaliser`, raw).catch(() => total);
      const projLag = await groupLag(admin, `${world.topicPrefix}projector`, discounts).catch(() => total);
      // The deal count of the rebuilt locations (a count(*) over discounts here scanned the whole table
      // four times a second: Postgres CPU taken from the pipeline being measured).
      const { n } = await world.db.selectFrom('location_sync').select((eb) => eb.fn.coalesce(eb.fn.sum<string>('deal_count'), eb.lit(0)).as('n')).executeTakeFirstOrThrow();
      say(`  normaliser lag ${normLag}, projector lag ${projLag}, rows ${n}, rss normaliser ${services[0]!.rssMb()} MB projector ${services[1]!.rssMb()} MB`);
      if (normLag === 0 && projLag === 0 && Number(n) > 0) break;
      if (performance.now() - t0 > 600_000) throw new Error('pipeline did not finish in 10 minutes');
    }
    const tDone = performance.now();
    // Postgres and broker CPU of the run, read while the services still hold their connections
    const pgCpu = (await postgresCpuMs(world.db)) - pgCpu0;
    const brokerCpu = brokerCpu0 === undefined ? undefined : (processCpuMs(broker) ?? brokerCpu0) - brokerCpu0;
    const rate = Math.round(total / ((tDone - (tFirst || t0)) / 1000));
    const wall = Math.round(total / ((tDone - t0) / 1000));
    const checks = await verifyLocations(world.db, world.redis, world.redisPrefix);
    const rows = checks.reduce((n, c) => n + c.postgres.count, 0);
    say(`pipeline: ${rate} events/s (${wall} wall); ${checks.length} locations, ${rows} live deals, Redis==Postgres: ${checks.every((c) => c.ok)}`);
    const [norm, proj] = services.map((s) => s.peakRssMb);
    // CPU per event of each service, start-up included (compiled services start in ~0.3 s of CPU)
    const [normCpu, projCpu] = services.map((s) => Math.round((s.cpuMs() * 1000) / total));
    const pgCpuUs = Math.round((pgCpu * 1000) / total);
    const brokerCpuUs = brokerCpu === undefined ? undefined : Math.round((brokerCpu * 1000) / total);
    // What this machine's cores allow at that CPU cost per event (the chain runs in parallel, but
    // every event costs each part its CPU): the throughput ceiling the measured rate is up against.
    const chainUs = normCpu! + projCpu! + pgCpuUs + (brokerCpuUs ?? 0);
    const ceiling = Math.round((os.availableParallelism() * 1_000_000) / chainUs);
    say(`CPU per event: normaliser ${normCpu} us, projector ${projCpu} us, Postgres ${pgCpuUs} us, Kafka broker ${brokerCpuUs ?? 'not measured (not started by stack/)'} us`);
    say(`= ${chainUs} us of CPU per event: at most ${ceiling} events/s on ${os.availableParallelism()} cores`);
    result('pipeline', {
      metrics: {
        events_per_s: rate, events_per_s_wall: wall, events: total, locations_verified: checks.length, rss_mb_normaliser: norm!, rss_mb_projector: proj!,
        cpu_us_per_event_normaliser: normCpu!, cpu_us_per_event_projector: projCpu!, cpu_us_per_event_postgres: pgCpuUs,
        ...(brokerCpuUs === undefined ? {} : { cpu_us_per_event_kafka_broker: brokerCpuUs }),
        cpu_us_per_event_chain: chainUs, cpu_ceiling_events_per_s: ceiling,
      },
      baseline: { events_per_s: baseline, what: 'bare kafkajs eachBatch draining the same raw topic' },
      ratio: Math.round((rate / baseline) * 1000) / 1000,
      target: { events_per_s: 20_000, rss_mb: 200 },
      met: rate >= 20_000 && norm! <= 200 && proj! <= 200 && checks.length === LOCATIONS && checks.every((c) => c.ok),
    });
  } finally {
    await Promise.all(services.map((s) => s.stop()));
    await admin.disconnect();
    await world.close();
  }
}

main().then(() => process.exit(0), (e: unknown) => { console.error(e); process.exit(1); });
