/**
 * The fault suite (issue 13, item 8): the real pipeline (sandbox -> poller -> normaliser -> projector ->
 * deals API, and odoo-sink; child processes as `npm start` runs them) under steady traffic, while the
 * servers it stands on are stopped and started again, one after the other:
 *   - the Kafka broker, stopped FAULTS_KAFKA_S (30) seconds;
 *   - the schema registry, stopped FAULTS_REGISTRY_S (30) seconds, the normaliser, projector and
 *     odoo-sink restarted meanwhile (a deployment), so they must fetch schemas while it is away;
 *   - Postgres, stopped FAULTS_POSTGRES_S (60) seconds;
 *   - Redis, stopped FAULTS_REDIS_S (60) seconds.
 * Every server is one this file started on ports of its own (a private Kafka + registry, Postgres
 * cluster and redis-server); the machine's shared ones are never touched.
 *
 * Proves, per fault: 0 events lost (each marker in Postgres, the deals API and Odoo), no dead letter,
 * the deals API answering 200 while Postgres or Redis is down; and that the final state equals the
 * reference (the first state with every change applied: what a run without faults ends with).
 * Prints the table: fault, events sent, landed, duplicates, lost, seconds to recover.
 */
import { createKafka } from '../../shared/kafka';
import { createLogger } from '../../shared/logger';
import { AvroSerde } from '../../shared/serde';
import { givenFaultPipeline, type FaultPipeline } from '../support/fault-pipeline';
import { FaultTraffic, canonicalCounts, expectedState, snapshot, waitUntilSettled, type Snapshot } from '../support/fault-traffic';
import { givenPrivateStack, type PrivateStack } from '../support/private-stack';
import { givenPrivatePostgres, givenPrivateRedis, type PrivatePostgres, type PrivateRedis } from '../support/private-servers';

const seconds = (name: string, dflt: number) => Number(process.env[name] ?? dflt);
const DURATIONS = { kafka: seconds('FAULTS_KAFKA_S', 30), registry: seconds('FAULTS_REGISTRY_S', 30), postgres: seconds('FAULTS_POSTGRES_S', 60), redis: seconds('FAULTS_REDIS_S', 60) };
const RATE = Number(process.env.FAULTS_RATE ?? 1);
/** processes of each consumer sharing its group (normaliser, projector, odoo-sink): production runs several */
const INSTANCES = Number(process.env.FAULTS_INSTANCES ?? 2);
const REBALANCE_S = seconds('FAULTS_REBALANCE_S', 10);
const SCALED = ['normaliser', 'projector', 'odoo-sink'] as const;
/** how long a fault's recovery may take before the suite calls it failed and goes on */
const RECOVERY_TIMEOUT_MS = 90_000;
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

interface Fault {
  name: string;
  seconds: number;
  stop(): Promise<void>;
  start(): Promise<void>;
  /** done once the server is down */
  whileDown?(): Promise<void>;
}

/** FAULTS_ONLY (comma-separated name prefixes) leaves the other faults out */
const selected = (name: string) => !process.env.FAULTS_ONLY || process.env.FAULTS_ONLY.split(',').some((o) => name.toLowerCase().startsWith(o.trim().toLowerCase()));

interface PhaseRecord { name: string; begin: number; stoppedAt: number; restartedAt: number; end: number; recoveredAt?: number }

export interface FaultRow { fault: string; sent: number; landed: number; duplicates: number; lost: number; recoverS: number | null; apiNon200: number; apiSamples: number; apiStatuses: string; exits: string[] }

describe('fault suite: the pipeline under steady traffic while its servers stop and start', () => {
  let stack: PrivateStack;
  let pg: PrivatePostgres;
  let redis: PrivateRedis;
  let pipe: FaultPipeline;
  const phases: PhaseRecord[] = [];
  const rows: FaultRow[] = [];
  let initial: Snapshot;
  let final: Snapshot;
  let traffic: FaultTraffic;
  let deadLetters = -1;
  /** the fault's row; undefined only when FAULTS_ONLY left it out (a run that broke off fails here) */
  const rowOf = (name: string): FaultRow | undefined => {
    const row = rows.find((r) => r.fault.startsWith(name));
    const run = selected(name) && !(name === 'rebalance' && INSTANCES < 2);
    if (!row && run) throw new Error(`no result for "${name}": the traffic run broke off before it`);
    return row;
  };
  const startedAt = Date.now();

  beforeAll(async () => {
    stack = await givenPrivateStack('faults');
    // Redis with its append-only file, as a production Redis: a restart keeps its data
    [pg, redis] = await Promise.all([givenPrivatePostgres(), givenPrivateRedis({ persist: true }), stack.up()]);
    pipe = await givenFaultPipeline({
      label: 'faults', servers: { ...stack.env, DATABASE_URL: pg.url, REDIS_URL: redis.url }, lsps: 1, storesPerLsp: 2, dealsPerLsp: 900, instances: INSTANCES,
    });
  }, 240_000);

  afterAll(async () => {
    await traffic?.stop().catch(() => undefined);
    await pipe?.close().catch(() => undefined);
    await Promise.all([stack?.destroy().catch(() => undefined), pg?.destroy().catch(() => undefined), redis?.destroy().catch(() => undefined)]);
    console.log(`[faults] the suite took ${Math.round((Date.now() - startedAt) / 1000)} s; logs of the services in ${pipe?.logDir}`);
  }, 120_000);

  it('runs the traffic through every fault and prints the table', async () => {
    const at = new Date().toISOString();
    initial = await waitUntilSettled(pipe, at);
    const targets = FaultTraffic.targetsOf(initial);
    const lspId = pipe.directory.locations[0]!.lspId;
    traffic = new FaultTraffic(pipe, at, targets, lspId, RATE);
    console.log(`[faults] settled: ${initial.api.size} served deals, ${initial.postgres.size} rows, ${initial.odoo.size} Odoo records; ${targets.length} deals to change at ${RATE}/s`);

    const faults: Fault[] = [
      { name: `Kafka broker stop ${DURATIONS.kafka} s`, seconds: DURATIONS.kafka, stop: () => stack.stopKafka(), start: () => stack.startKafka() },
      {
        name: `registry stop ${DURATIONS.registry} s (+ consumers restarted)`, seconds: DURATIONS.registry, stop: () => stack.stopRegistry(), start: () => stack.startRegistry(),
        whileDown: async () => { await Promise.all(SCALED.flatMap((n) => pipe.instances(n)).map((s) => s.restart())); },
      },
      ...(INSTANCES > 1 ? [{
        // no server stops: the last instance of each consumer leaves its group and comes back, two rebalances under traffic
        name: `rebalance (an instance of each consumer away ${REBALANCE_S} s)`, seconds: REBALANCE_S,
        stop: () => Promise.all(SCALED.map((n) => pipe.instances(n).at(-1)!.halt())).then(() => undefined),
        start: () => { for (const n of SCALED) pipe.instances(n).at(-1)!.resume(); return Promise.resolve(); },
      }] : []),
      { name: `Postgres stop ${DURATIONS.postgres} s`, seconds: DURATIONS.postgres, stop: () => pg.stop(), start: () => pg.start() },
      { name: `Redis stop ${DURATIONS.redis} s`, seconds: DURATIONS.redis, stop: () => redis.stop(), start: () => redis.start() },
    ].filter((f) => selected(f.name));

    traffic.start();
    const steadyBegin = Date.now();
    await sleep(5_000);
    phases.push({ name: 'none (steady traffic)', begin: steadyBegin, stoppedAt: steadyBegin, restartedAt: steadyBegin, end: 0, recoveredAt: steadyBegin });
    for (const f of faults) {
      const begin = Date.now();
      phases[phases.length - 1]!.end = begin;
      traffic.phase = f.name;
      console.log(`[faults] ${f.name}: stopping`);
      await f.stop();
      const stoppedAt = Date.now();
      await f.whileDown?.();
      await sleep(Math.max(0, f.seconds * 1000 - (Date.now() - stoppedAt)));
      console.log(`[faults] ${f.name}: starting again`);
      const restartAsked = Date.now();
      await f.start();
      const restartedAt = Date.now();
      const phase: PhaseRecord = { name: f.name, begin, stoppedAt, restartedAt, end: 0 };
      phases.push(phase);
      phase.recoveredAt = await traffic.firstSeenAfter(restartedAt, RECOVERY_TIMEOUT_MS);
      console.log(`[faults] ${f.name}: server back after ${Math.round((restartedAt - restartAsked) / 1000)} s of start-up; ${phase.recoveredAt === undefined ? 'NOT recovered' : `recovered ${((phase.recoveredAt - restartedAt) / 1000).toFixed(1)} s later`}`);
    }
    phases[phases.length - 1]!.end = Date.now();
    await traffic.stopSending();
    // the backlog: everything sent must show at the deals API, in Postgres and in Odoo
    const allSeen = await traffic.waitAllSeen(60_000);
    await traffic.stop();
    const expected = expectedState(initial, traffic.events);
    const deadline = Date.now() + 60_000;
    do {
      final = await snapshot(pipe, at);
      if (same(final.api, expected.api) && same(final.postgres, expected.postgres) && same(final.odoo, expected.odoo)) break;
      await sleep(2000);
    } while (Date.now() < deadline);
    console.log(`[faults] every event shown at the deals API: ${allSeen}`);

    const kafka = createKafka({ brokers: stack.env.KAFKA_BROKERS.split(','), clientId: 'fault-suite-reader' }, createLogger('fault-suite', 'silent'));
    const counts = await canonicalCounts(kafka, AvroSerde.create(stack.env.SCHEMA_REGISTRY_URL), pipe);
    deadLetters = counts.deadLetters;

    for (const p of phases) {
      const sent = traffic.events.filter((e) => e.phase === (p.name.startsWith('none') ? 'steady' : p.name));
      const landed = sent.filter((e) => e.locations.every((l) => final.api.get(`${l}_${e.dealId}`) === e.marker && final.postgres.get(`${l}_${e.dealId}`) === e.marker)
        && [...final.odoo].some(([k, v]) => k.startsWith(`${e.dealId}@`) && v === e.marker));
      const window = traffic.samples.filter((s) => s.at >= p.stoppedAt && s.at <= p.restartedAt);
      rows.push({
        fault: p.name, sent: sent.length, landed: landed.length, lost: sent.length - landed.length,
        duplicates: sent.reduce((n, e) => n + (counts.duplicatesByMarker.get(e.marker) ?? 0), 0),
        recoverS: p.recoveredAt === undefined ? null : Math.round((p.recoveredAt - p.restartedAt) / 100) / 10,
        apiNon200: window.filter((s) => s.status !== 200).length, apiSamples: window.length,
        // status 0: no answer within 3 s (or the connection refused)
        apiStatuses: Object.entries(window.reduce<Record<string, number>>((m, s) => ({ ...m, [s.status === 0 ? 'no answer' : String(s.status)]: (m[s.status === 0 ? 'no answer' : String(s.status)] ?? 0) + 1 }), {})).map(([k, n]) => `${k} x${n}`).join(', '),
        exits: Object.values(pipe.services).flatMap((svc) => svc.exits.filter((x) => x.at >= p.begin && x.at < p.end).map(() => svc.name)),
      });
    }
    printTable(rows, { deadLetters, odooDuplicates: final.odooDuplicates, restarts: Object.fromEntries(Object.entries(pipe.services).map(([k, s]) => [k, s.restarts])), patchFailures: traffic.patchFailures.length });
    expect(traffic.events.length).toBeGreaterThan(0);
  }, 900_000);

  it.each(['Kafka broker', 'registry', 'rebalance', 'Postgres', 'Redis'])('%s: 0 events lost, and the pipeline recovered', (name) => {
    const row = rowOf(name);
    if (!row) return; // left out by FAULTS_ONLY
    expect(row.sent).toBeGreaterThan(0);
    expect({ fault: row.fault, lost: row.lost }).toEqual({ fault: row.fault, lost: 0 });
    expect(row.recoverS).not.toBeNull();
  });

  it.each(['Postgres', 'Redis'])('%s outage: the deals API kept answering 200', (name) => {
    const row = rowOf(name);
    if (!row) return; // left out by FAULTS_ONLY
    expect(row.apiSamples).toBeGreaterThan(10);
    expect({ fault: row.fault, non200: row.apiNon200 }).toEqual({ fault: row.fault, non200: 0 });
  });

  it.each(['Kafka broker', 'registry', 'rebalance', 'Postgres', 'Redis'])('%s: every service rode it out (no process exited)', (name) => {
    const row = rowOf(name);
    if (!row) return; // left out by FAULTS_ONLY
    expect({ fault: row.fault, exits: row.exits }).toEqual({ fault: row.fault, exits: [] });
  });

  it('no outage made a dead letter, and Odoo has no duplicate record', () => {
    expect({ deadLetters, odooDuplicates: final.odooDuplicates }).toEqual({ deadLetters: 0, odooDuplicates: 0 });
  });

  it('the final Postgres, deals API (Redis) and Odoo state equals a clean run: the first state with every change applied', () => {
    const expected = expectedState(initial, traffic.events);
    expect(diff(final.postgres, expected.postgres)).toEqual([]);
    expect(diff(final.api, expected.api)).toEqual([]);
    expect(diff(final.odoo, expected.odoo)).toEqual([]);
  });
});

function same(a: Map<string, string>, b: Map<string, string>): boolean {
  return a.size === b.size && [...a].every(([k, v]) => b.get(k) === v);
}

/** keys whose value differs, at most 10 shown: `key: got -> want` */
function diff(got: Map<string, string>, want: Map<string, string>): string[] {
  const keys = new Set([...got.keys(), ...want.keys()]);
  return [...keys].filter((k) => got.get(k) !== want.get(k)).slice(0, 10).map((k) => `${k}: ${got.get(k) ?? '(absent)'} -> ${want.get(k) ?? '(absent)'}`);
}

function printTable(rows: FaultRow[], extra: Record<string, unknown>): void {
  const head = ['fault', 'events sent', 'events landed', 'duplicates', 'lost', 's to recover', 'deals API while down', 'service exits'];
  const exits = (r: FaultRow) => Object.entries(r.exits.reduce<Record<string, number>>((m, n) => ({ ...m, [n]: (m[n] ?? 0) + 1 }), {})).map(([n, k]) => `${n} x${k}`).join(', ') || '0';
  const body = rows.map((r) => [r.fault, String(r.sent), String(r.landed), String(r.duplicates), String(r.lost), r.recoverS === null ? 'not recovered' : r.recoverS.toFixed(1), r.apiStatuses || '-', exits(r)]);
  const widths = head.map((h, i) => Math.max(h.length, ...body.map((b) => b[i]!.length)));
  const line = (cells: string[]) => `| ${cells.map((c, i) => c.padEnd(widths[i]!)).join(' | ')} |`;
  console.log(['[faults] results', line(head), `|${widths.map((w) => '-'.repeat(w + 2)).join('|')}|`, ...body.map(line), `[faults] ${JSON.stringify(extra)}`].join('\n'));
}
