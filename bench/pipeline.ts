/**
 * `npm run bench:pipeline`: 100,000 raw Dutchie events (200 locations x 500 deals, the real AZ
 * fixture's records) through the normaliser and the projector (child processes) into Postgres +
 * Redis, on the local stack. Baseline, same run: a bare kafkajs eachBatch consumer draining the
 * same raw topic. The rate counts from the first projected row to the moment both groups have no
 * lag; `events_per_s_wall` includes process start and group joins.
 *
 * CPU per event of each part (normaliser, projector, their Postgres backends, the Kafka broker) is
 * what it spent on the events: each service's start-up (module loading, connecting, joining its
 * group: measured by starting it once on the empty topics) is taken off. The chain's sum gives the
 * ceiling on this machine's cores. The broker is found by its port when stack/ did not start it (a
 * shared broker also counts other clients' traffic: quiet machine only).
 *
 * The floor (bench/floor.ts, a fresh process on the pass's Node once the services have stopped):
 * kafkajs alone doing each service's Kafka work (a bare consumer of the raw topic sending every batch
 * on, a bare consumer of the deals topic) and the services' own code without any client
 * (bench/own-work.ts). Their sum is the least the two services can cost per event with kafkajs.
 *
 * One pass per Node binary, side by side in one run: BENCH_NODES=system,project (the default when
 * the machine's own Node is another version) runs the services on the machine's Node (the first
 * `node` on PATH outside node_modules, e.g. Node 20) and on the project's (node_modules, Node 24);
 * `project` alone, or paths to node binaries, work too. Each pass has its own topics, database and
 * Redis prefix. The last pass is the result; the JSON line carries every pass under `by_node`.
 * BENCH_LOCATIONS / BENCH_DEALS make it smaller while developing.
 */
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { Admin } from 'kafkajs';
import { createProducer, ensureTopics } from '../shared/kafka';
import { TOPICS, dealKey, topicName } from '../shared/topics';
import { verifyLocations } from '../services/projector/verify';
import { kafkaPid } from '../stack/stack';
import { ROOT, benchWorld, drainBare, groupLag, log, pidListeningOn, postgresCpuMs, processCpuMs, rawEvent, result, sleep, startService, type Service } from './support';
import { randomUUID } from 'node:crypto';
import type { FloorResult } from './floor';

const LOCATIONS = Number(process.env.BENCH_LOCATIONS ?? 200);
const DEALS = Number(process.env.BENCH_DEALS ?? 500);
const PARTITIONS = 3;
const TARGET = { events_per_s: 12_000, cpu_us_per_event_services: 80, rss_mb: 200 };
const say = (m: string) => log('pipeline', m);

interface NodeChoice { label: string; path: string; version: string }

const versionOf = (bin: string): string | undefined => {
  const r = spawnSync(bin, ['--version'], { encoding: 'utf8' });
  return r.status === 0 ? r.stdout.trim() : undefined;
};

/** The machine's own node: the first on PATH outside any node_modules (npm puts the project's first), else /usr/bin/node. */
function systemNode(): string | undefined {
  const dirs = (process.env.PATH ?? '').split(path.delimiter).filter((d) => d && !d.includes('node_modules'));
  for (const bin of [...dirs.map((d) => path.join(d, 'node')), '/usr/bin/node', '/usr/local/bin/node']) {
    try { fs.accessSync(bin, fs.constants.X_OK); return fs.realpathSync(bin); } catch { /* next */ }
  }
  return undefined;
}

function projectNode(): string {
  try { return fs.realpathSync(path.join(ROOT, 'node_modules', '.bin', 'node')); } catch { return process.execPath; }
}

function benchNodes(): NodeChoice[] {
  const project = projectNode();
  const system = systemNode();
  const wanted = process.env.BENCH_NODES?.split(',').map((s) => s.trim()).filter(Boolean)
    ?? (system && versionOf(system) !== versionOf(project) ? ['system', 'project'] : ['project']);
  return wanted.map((w) => {
    const bin = w === 'project' ? project : w === 'system' ? system : w;
    const version = bin === undefined ? undefined : versionOf(bin);
    if (bin === undefined || version === undefined) throw new Error(`BENCH_NODES: no usable node for "${w}"`);
    return { label: w === 'project' || w === 'system' ? `${w} ${version}` : version, path: bin, version };
  });
}

/** Whether the group has joined members and settled. */
async function groupStable(admin: Admin, groupId: string): Promise<boolean> {
  const { groups } = await admin.describeGroups([groupId]);
  return groups[0]?.state === 'Stable' && groups[0].members.length > 0;
}

async function waitStable(admin: Admin, groupIds: string[], what: string): Promise<void> {
  const t0 = performance.now();
  while (!(await Promise.all(groupIds.map((g) => groupStable(admin, g).catch(() => false)))).every(Boolean)) {
    if (performance.now() - t0 > 120_000) throw new Error(`${what}: consumer groups did not settle in 2 minutes`);
    await sleep(250);
  }
}

/**
 * The least CPU per event the two services can cost with kafkajs as their client, measured in a fresh
 * process on the pass's Node once the services have stopped (bench/floor.ts): kafkajs alone doing each
 * service's Kafka work, and the services' own code without Kafka, Postgres or Redis.
 */
interface Floor { normaliser: number; projector: number; own: { normaliser: number; projector: number } }

async function measureFloor(world: Awaited<ReturnType<typeof benchWorld>>, node: NodeChoice, raw: string, discounts: string, running: Service[]): Promise<Floor> {
  await Promise.all(running.map((s) => s.stop()));
  const args = {
    brokers: String(world.env.KAFKA_BROKERS).split(','), registryUrl: String(world.env.SCHEMA_REGISTRY_URL), raw, discounts, scratch: `${world.topicPrefix}floor`, groupPrefix: world.topicPrefix,
    partitions: PARTITIONS, ownWorkLocations: 40, dealsPerLocation: DEALS,
  };
  const r = spawnSync(node.path, ['--import', 'tsx', '--disable-warning=TimeoutNegativeWarning', path.join(ROOT, 'bench', 'floor.ts')], {
    cwd: ROOT, encoding: 'utf8', env: { ...process.env, FLOOR_ARGS: JSON.stringify(args) }, maxBuffer: 16 * 1024 * 1024,
  });
  const line = r.stdout.trim().split('\n').pop() ?? '';
  if (r.status !== 0 || !line.startsWith('{')) throw new Error(`bench/floor.ts failed (exit ${r.status}): ${r.stderr.slice(-2000)}`);
  const f = JSON.parse(line) as FloorResult;
  return { ...f.kafkajs, own: f.ownWork };
}

/** kafkajs alone + own work, both services: what they cost at the least before their Postgres/Redis clients and GC under load. */
const least = (f: Floor): number => Math.round(f.normaliser + f.projector + f.own.normaliser + f.own.projector);

interface PassResult {
  node: NodeChoice;
  rate: number; wall: number; baseline: number; verified: number; ok: boolean; rows: number;
  rss: { normaliser: number; projector: number };
  startupCpuMs: { normaliser: number; projector: number };
  cpuUs: { normaliser: number; projector: number; postgres: number; broker?: number; chain: number; services: number };
  floor: Floor;
  ceiling: number;
}

async function pass(node: NodeChoice): Promise<PassResult> {
  const world = await benchWorld('pipeline');
  const admin = world.kafka.admin();
  await admin.connect();
  const services: Service[] = [];
  const env = { ...world.env, KAFKA_PARTITIONS: String(PARTITIONS) };
  const groups = [`${world.topicPrefix}normaliser`, `${world.topicPrefix}projector`];
  const start = (): Service[] => [startService('normaliser', env, [], node.path), startService('projector', env, [], node.path)];
  try {
    await ensureTopics(admin, world.topicPrefix, [TOPICS.rawDutchie, TOPICS.rawPtl, TOPICS.discounts, TOPICS.dlq], PARTITIONS);
    const raw = topicName(world.topicPrefix, TOPICS.rawDutchie);
    await world.serde.register(raw, TOPICS.rawDutchie.schema);

    // Start-up CPU: both services started on the empty topics until their groups settle, then stopped.
    const idle = start();
    let startupCpuMs: PassResult['startupCpuMs'];
    try {
      await waitStable(admin, groups, 'start-up measurement');
      await sleep(1000);
      startupCpuMs = { normaliser: idle[0]!.cpuMs(), projector: idle[1]!.cpuMs() };
    } finally { await Promise.all(idle.map((s) => s.stop())); }
    say(`[${node.label}] start-up CPU (taken off below): normaliser ${startupCpuMs.normaliser} ms, projector ${startupCpuMs.projector} ms`);

    const total = LOCATIONS * DEALS;
    const producer = createProducer(world.kafka);
    await producer.connect();
    say(`[${node.label}] producing ${total} raw events (${LOCATIONS} locations x ${DEALS} deals)`);
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
    say(`[${node.label}] baseline (bare eachBatch on the raw topic, bench process): ${baseline} events/s`);

    // The pipeline: normaliser + projector as separate processes.
    const brokerPort = Number(/:(\d+)$/.exec(String(world.env.KAFKA_BROKERS).split(',')[0]!)?.[1] ?? 9092);
    const broker = kafkaPid() ?? pidListeningOn(brokerPort);
    const [pgCpu0, brokerCpu0] = [await postgresCpuMs(world.db), processCpuMs(broker)];
    const t0 = performance.now();
    services.push(...start());
    const discounts = topicName(world.topicPrefix, TOPICS.discounts);
    let tFirst = 0;
    for (;;) {
      await sleep(250);
      if (!tFirst) {
        const row = await world.db.selectFrom('location_sync').select('location_id').limit(1).executeTakeFirst();
        if (row) tFirst = performance.now();
      }
      const normLag = await groupLag(admin, groups[0]!, raw).catch(() => total);
      const projLag = await groupLag(admin, groups[1]!, discounts).catch(() => total);
      // The deal count of the rebuilt locations (a count(*) over discounts here scanned the whole table
      // four times a second: Postgres CPU taken from the pipeline being measured).
      const { n } = await world.db.selectFrom('location_sync').select((eb) => eb.fn.coalesce(eb.fn.sum<string>('deal_count'), eb.lit(0)).as('n')).executeTakeFirstOrThrow();
      say(`  [${node.label}] normaliser lag ${normLag}, projector lag ${projLag}, rows ${n}, rss normaliser ${services[0]!.rssMb()} MB projector ${services[1]!.rssMb()} MB`);
      if (normLag === 0 && projLag === 0 && Number(n) > 0) break;
      if (performance.now() - t0 > 600_000) throw new Error('pipeline did not finish in 10 minutes');
    }
    const tDone = performance.now();
    // Postgres and broker CPU of the run, read while the services still hold their connections
    const pgCpu = (await postgresCpuMs(world.db)) - pgCpu0;
    const brokerCpu = brokerCpu0 === undefined ? undefined : (processCpuMs(broker) ?? brokerCpu0) - brokerCpu0;
    const [normMs, projMs] = services.map((s) => s.cpuMs());
    const rate = Math.round(total / ((tDone - (tFirst || t0)) / 1000));
    const wall = Math.round(total / ((tDone - t0) / 1000));
    const checks = await verifyLocations(world.db, world.redis, world.redisPrefix);
    const floor = await measureFloor(world, node, raw, discounts, services); // stops the services first
    const rows = checks.reduce((n, c) => n + c.postgres.count, 0);
    const ok = checks.length === LOCATIONS && checks.every((c) => c.ok);
    say(`[${node.label}] pipeline: ${rate} events/s (${wall} wall); ${checks.length} locations, ${rows} live deals, Redis==Postgres: ${ok}`);
    const us = (ms: number): number => Math.round((ms * 1000) / total);
    const normaliser = us(Math.max(0, normMs! - startupCpuMs.normaliser));
    const projector = us(Math.max(0, projMs! - startupCpuMs.projector));
    const postgres = us(pgCpu);
    const brokerUs = brokerCpu === undefined ? undefined : us(brokerCpu);
    // What this machine's cores allow at that CPU cost per event (the chain runs in parallel, but
    // every event costs each part its CPU): the throughput ceiling the measured rate is up against.
    const chain = normaliser + projector + postgres + (brokerUs ?? 0);
    const ceiling = Math.round((os.availableParallelism() * 1_000_000) / chain);
    say(`[${node.label}] CPU per event: normaliser ${normaliser} us, projector ${projector} us (together ${normaliser + projector}), Postgres ${postgres} us, Kafka broker ${brokerUs ?? 'not measured'} us`);
    say(`[${node.label}] kafkajs alone (fresh process): consuming the raw events and sending them on ${floor.normaliser} us, consuming the deals ${floor.projector} us per event`);
    say(`[${node.label}] own work (fresh process, no Kafka/Postgres/Redis, ${floor.own.normaliser} + ${floor.own.projector} us): least the services can cost with kafkajs ${least(floor)} us per event of their ${normaliser + projector}`);
    say(`[${node.label}] = ${chain} us of CPU per event: at most ${ceiling} events/s on ${os.availableParallelism()} cores`);
    return {
      node, rate, wall, baseline, verified: checks.length, ok, rows,
      rss: { normaliser: services[0]!.peakRssMb, projector: services[1]!.peakRssMb },
      startupCpuMs, cpuUs: { normaliser, projector, postgres, ...(brokerUs === undefined ? {} : { broker: brokerUs }), chain, services: normaliser + projector },
      ceiling, floor,
    };
  } finally {
    await Promise.all(services.map((s) => s.stop()));
    await admin.disconnect();
    await world.close();
  }
}

async function main(): Promise<void> {
  const nodes = benchNodes();
  say(`passes: ${nodes.map((n) => `${n.label} (${n.path})`).join(', ')}`);
  const passes: PassResult[] = [];
  for (const node of nodes) passes.push(await pass(node));

  const cell = (p: PassResult, f: (p: PassResult) => string | number | undefined): string => String(f(p) ?? '-');
  const rowsOf: Array<[string, (p: PassResult) => string | number | undefined]> = [
    ['events/s (first row -> no lag)', (p) => p.rate], ['events/s wall', (p) => p.wall], ['bare eachBatch events/s', (p) => p.baseline],
    ['CPU us/event normaliser', (p) => p.cpuUs.normaliser], ['CPU us/event projector', (p) => p.cpuUs.projector],
    ['CPU us/event normaliser+projector', (p) => p.cpuUs.services], ['CPU us/event Postgres', (p) => p.cpuUs.postgres],
    ['CPU us/event Kafka broker', (p) => p.cpuUs.broker], ['CPU us/event chain', (p) => p.cpuUs.chain], ['ceiling events/s', (p) => p.ceiling],
    ['start-up CPU ms normaliser/projector', (p) => `${p.startupCpuMs.normaliser}/${p.startupCpuMs.projector}`],
    ['peak rss MB normaliser/projector', (p) => `${p.rss.normaliser}/${p.rss.projector}`], ['Redis==Postgres', (p) => `${p.ok} (${p.verified} locations)`],
  ];
  say('side by side:');
  say(`  ${''.padEnd(38)}${passes.map((p) => p.node.label.padStart(22)).join('')}`);
  for (const [label, f] of rowsOf) say(`  ${label.padEnd(38)}${passes.map((p) => cell(p, f).padStart(22)).join('')}`);

  const last = passes[passes.length - 1]!;
  const metricsOf = (p: PassResult): Record<string, number> => ({
    events_per_s: p.rate, events_per_s_wall: p.wall, events: LOCATIONS * DEALS, locations_verified: p.verified,
    rss_mb_normaliser: p.rss.normaliser, rss_mb_projector: p.rss.projector,
    cpu_us_per_event_normaliser: p.cpuUs.normaliser, cpu_us_per_event_projector: p.cpuUs.projector, cpu_us_per_event_services: p.cpuUs.services,
    cpu_us_per_event_postgres: p.cpuUs.postgres, ...(p.cpuUs.broker === undefined ? {} : { cpu_us_per_event_kafka_broker: p.cpuUs.broker }),
    cpu_us_per_event_chain: p.cpuUs.chain, cpu_ceiling_events_per_s: p.ceiling,
    kafkajs_cpu_us_per_event_normaliser: p.floor.normaliser, kafkajs_cpu_us_per_event_projector: p.floor.projector,
    own_work_cpu_us_per_event_normaliser: p.floor.own.normaliser, own_work_cpu_us_per_event_projector: p.floor.own.projector,
    least_cpu_us_per_event_services: least(p.floor),
    startup_cpu_ms_normaliser: p.startupCpuMs.normaliser, startup_cpu_ms_projector: p.startupCpuMs.projector,
  });
  const met = last.rate >= TARGET.events_per_s && last.cpuUs.services <= TARGET.cpu_us_per_event_services
    && last.rss.normaliser <= TARGET.rss_mb && last.rss.projector <= TARGET.rss_mb && last.ok;
  result('pipeline', {
    metrics: { ...metricsOf(last) },
    baseline: { events_per_s: last.baseline, what: 'bare kafkajs eachBatch draining the same raw topic' },
    ratio: Math.round((last.rate / last.baseline) * 1000) / 1000,
    target: TARGET,
    met,
    extra: { node: last.node.version, by_node: Object.fromEntries(passes.map((p) => [p.node.label, metricsOf(p)])) },
  });
}

main().then(() => process.exit(0), (e: unknown) => { console.error(e); process.exit(1); });
