/**
 * `npm run bench:normaliser` — normaliser throughput on the real local stack.
 *
 * Publishes BENCH_LOCATIONS x BENCH_DEALS raw Dutchie POS events (the real AZ fixture's deals,
 * cycled) to a fresh, prefixed raw topic, then in the same run:
 *   - baseline: a bare kafkajs `eachBatch` consumer drains the same raw topic (no decode, no work);
 *   - normaliser: the real consumer (decode, map, Avro-encode, produce canonical deals) replays
 *     the topic in a fresh group until it has caught up.
 * Rates are measured from the first batch to the last one (group joins excluded for both).
 * Ends with one JSON line; the bench topics are deleted afterwards.
 */
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { randomUUID } from 'node:crypto';
import { Registry } from 'prom-client';
import { createKafka, createProducer, ensureTopics } from '../shared/kafka';
import { createLogger } from '../shared/logger';
import { LOCAL_STACK } from '../shared/config';
import type { DealRawEvent } from '../shared/events';
import { AvroSerde } from '../shared/serde';
import { TOPICS, dealKey, topicName } from '../shared/topics';
import { BatchAvroCodec } from '../shared/avro-codec';
import { createNormaliser } from '../services/normaliser/consumer';
import { drainBare } from './support';

const LOCATIONS = Number(process.env.BENCH_LOCATIONS ?? 100);
const DEALS = Number(process.env.BENCH_DEALS ?? 500);
const TARGET_EVENTS_PER_S = 20_000;
const PARTITIONS = 3;

const log = (msg: string) => console.log(`[bench:normaliser] ${msg}`);
const mb = (bytes: number) => Math.round(bytes / 1024 / 1024);

async function main(): Promise<void> {
  const brokers = (process.env.KAFKA_BROKERS ?? LOCAL_STACK.KAFKA_BROKERS).split(',');
  const registryUrl = process.env.SCHEMA_REGISTRY_URL ?? LOCAL_STACK.SCHEMA_REGISTRY_URL;
  const prefix = `bench_norm_${Date.now().toString(36)}.`;
  const logger = createLogger('bench-normaliser', 'warn');
  const kafka = createKafka({ brokers, clientId: 'bench-normaliser' }, logger);
  const serde = AvroSerde.create(registryUrl);
  const rawTopic = topicName(prefix, TOPICS.rawDutchie);
  const total = LOCATIONS * DEALS;

  const admin = kafka.admin();
  await admin.connect();
  try {
    await ensureTopics(admin, prefix, [TOPICS.rawDutchie, TOPICS.rawPtl, TOPICS.discounts, TOPICS.dlq], PARTITIONS);

    // ---- given: raw events of LOCATIONS stores x DEALS deals
    const fixture = JSON.parse(fs.readFileSync(path.resolve(__dirname, '../services/sandbox/data/az-store-discounts.json'), 'utf8')) as Array<Record<string, unknown>>;
    const rawId = await serde.register(rawTopic, TOPICS.rawDutchie.schema);
    const codec = new BatchAvroCodec(serde);
    await codec.load(rawId);
    const producer = createProducer(kafka);
    await producer.connect();
    log(`producing ${total} raw events (${LOCATIONS} locations x ${DEALS} deals) to ${rawTopic}`);
    const t0 = performance.now();
    for (let l = 0; l < LOCATIONS; l++) {
      const location = randomUUID();
      const messages = [];
      for (let d = 0; d < DEALS; d++) {
        const base = fixture[d % fixture.length]!;
        const id = d < fixture.length ? (base.id as number) : 10_000_000 + d; // unique deal ids per location
        const record = JSON.stringify({ ...base, id });
        const event: DealRawEvent = {
          eventId: randomUUID(), source: 'dutchie', api: 'pos', locationId: location, discountId: String(id), op: 'upsert',
          fetchedAt: Date.now(), contentHash: 'bench', record, market: 'AZ', timeZone: 'America/Phoenix', posLocId: 1568,
        };
        messages.push({ key: dealKey(location, id), value: codec.encode(rawId, event) });
      }
      // 500 x ~2.5 KB stays under the broker's 1 MB request size.
      for (let i = 0; i < messages.length; i += 100) await producer.send({ topic: rawTopic, messages: messages.slice(i, i + 100) });
      if ((l + 1) % 20 === 0) log(`  ${(l + 1) * DEALS}/${total} produced`);
    }
    await producer.disconnect();
    log(`produced in ${((performance.now() - t0) / 1000).toFixed(1)} s`);

    // ---- baseline: bare eachBatch consumer draining the same topic
    const { eventsPerS: baselineRate, cpuUsPerEvent: bareCpuUsPerEvent } = await drainBare(kafka, `${prefix}bare`, rawTopic, total, PARTITIONS);
    log(`baseline (bare eachBatch): ${baselineRate} events/s, ${bareCpuUsPerEvent} µs CPU per event`);

    // ---- the normaliser replaying the same topic
    let peakRss = process.memoryUsage().rss;
    const sampler = setInterval(() => { peakRss = Math.max(peakRss, process.memoryUsage().rss); }, 200);
    const normaliser = createNormaliser({
      kafka, serde, logger, topicPrefix: prefix, groupId: `${prefix}normaliser`, fromBeginning: true, requireFreshGroup: true,
      partitions: PARTITIONS, registry: new Registry(),
    });
    const cpuBefore = process.cpuUsage();
    const wallBefore = performance.now();
    await normaliser.start();
    const progress = setInterval(() => log(`  normalised ${normaliser.counts.emit + normaliser.counts.tombstone + normaliser.counts.reject}/${total}`), 2000);
    await normaliser.caughtUp();
    clearInterval(progress);
    clearInterval(sampler);
    const cpu = process.cpuUsage(cpuBefore);
    const cpuUsPerEvent = Math.round(((cpu.user + cpu.system) / total) * 10) / 10;
    const cpuShare = Math.round(((cpu.user + cpu.system) / 1000 / (performance.now() - wallBefore)) * 100) / 100;
    await normaliser.stop();
    const { firstBatchAt, lastBatchAt } = normaliser.timing;
    const rate = Math.round(total / (((lastBatchAt ?? 0) - (firstBatchAt ?? 0)) / 1000));
    log(`normaliser: ${rate} events/s (${JSON.stringify(normaliser.counts)}), ${cpuUsPerEvent} µs CPU per event (${cpuShare} cores busy), peak RSS of the bench process ${mb(peakRss)} MB`);
    if (normaliser.counts.reject !== 0 || normaliser.counts.emit + normaliser.counts.tombstone !== total) throw new Error(`expected ${total} deals/tombstones and no reject, got ${JSON.stringify(normaliser.counts)}`);

    // ---- the real service (npm run normaliser:replay) in its own process: its resident memory
    log('replaying the same topic with the service process (npm run normaliser:replay) to measure its memory');
    const serviceRssMb = await serviceRss(prefix, brokers, registryUrl);
    log(`service process peak RSS ${serviceRssMb} MB`);

    const ratio = Math.round((rate / baselineRate) * 1000) / 1000;
    console.log(JSON.stringify({
      bench: 'normaliser',
      // CPU per event does not depend on how busy the shared machine is; events/s does.
      metrics: { events_per_s: rate, events: total, cpu_us_per_event: cpuUsPerEvent, cpu_cores_busy: cpuShare, rss_mb: serviceRssMb, bench_process_rss_mb: mb(peakRss) },
      baseline: { events_per_s: baselineRate, cpu_us_per_event: bareCpuUsPerEvent, what: 'bare kafkajs eachBatch draining the same raw topic' },
      ratio,
      target: { events_per_s: TARGET_EVENTS_PER_S, rss_mb: 200 },
      met: rate >= TARGET_EVENTS_PER_S && serviceRssMb <= 200,
    }));
  } finally {
    const mine = (await admin.listTopics()).filter((t) => t.startsWith(prefix));
    if (mine.length) await admin.deleteTopics({ topics: mine }).catch(() => undefined);
    await admin.disconnect();
  }
}

/** Runs the normaliser service in replay mode (it exits when caught up) and samples its VmRSS. */
async function serviceRss(prefix: string, brokers: string[], registryUrl: string): Promise<number> {
  // The V8 flag npm run normaliser uses: a 4 MB young generation keeps the resident set under 200 MB.
  const child = spawn(process.execPath, ['--max-semi-space-size=4', '--import', 'tsx', 'services/normaliser/main.ts', '--from-beginning', '--exit-when-caught-up', '--group', 'bench-service'], {
    cwd: path.resolve(__dirname, '..'),
    env: { ...process.env, TOPIC_PREFIX: prefix, KAFKA_BROKERS: brokers.join(','), SCHEMA_REGISTRY_URL: registryUrl, METRICS_PORT: '0', LOG_LEVEL: 'warn', KAFKA_PARTITIONS: String(PARTITIONS) },
    stdio: ['ignore', 'ignore', 'inherit'],
  });
  let peakKb = 0;
  const sample = () => {
    try {
      const m = /VmRSS:\s+(\d+) kB/.exec(fs.readFileSync(`/proc/${child.pid}/status`, 'utf8'));
      if (m) peakKb = Math.max(peakKb, Number(m[1]));
    } catch { /* exited */ }
  };
  const sampler = setInterval(sample, 100);
  const code = await new Promise<number | null>((resolve) => child.on('exit', resolve));
  clearInterval(sampler);
  if (code !== 0) throw new Error(`normaliser service exited ${code}`);
  return Math.round(peakKb / 1024);
}

main().then(() => process.exit(0), (err: unknown) => {
  console.error(err);
  process.exit(1);
});
