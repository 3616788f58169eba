/**
 * Shared bench plumbing: an isolated world on the local stack (own topic prefix, database and
 * Redis prefix, deleted afterwards), services as child processes (their resident memory sampled
 * from /proc), raw Dutchie events built from the real AZ fixture, and the one-line JSON result.
 */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { randomUUID } from 'node:crypto';
import type { Admin, Kafka, Producer } from 'kafkajs';
import { sql } from 'kysely';
import type { Kysely } from '../shared/db/db';
import type { Database } from '../shared/db/schema';
import { LOCAL_STACK } from '../shared/config';
import type { DealRawEvent } from '../shared/events';
import { createTestWorld, type TestWorld } from '../test/support/integration';
import { buildServices, serviceArgs } from '../scripts/services';

export const ROOT = path.resolve(__dirname, '..');

export function log(bench: string, msg: string): void { console.log(`[bench:${bench}] ${msg}`); }

/** A world like the integration tests' (the local stack unless the env says otherwise). */
export async function benchWorld(label: string): Promise<TestWorld> {
  for (const [k, v] of Object.entries(LOCAL_STACK)) process.env[k] ??= k === 'DATABASE_URL' ? v.replace(/\/dealstream$/, '/postgres') : v;
  process.env.TEST_LOG_LEVEL ??= 'warn';
  return createTestWorld(label);
}

export interface Service { name: string; child: ChildProcess; rssMb(): number; peakRssMb: number; cpuMs(): number; stop(): Promise<void> }

/** user + system CPU time of a process so far in ms (Linux /proc, clock ticks of 10 ms); undefined once it is gone. */
export function processCpuMs(pid: number | undefined): number | undefined {
  try {
    const fields = fs.readFileSync(`/proc/${pid}/stat`, 'utf8').replace(/^.*\) /, '').split(' ');
    return (Number(fields[11]) + Number(fields[12])) * 10;
  } catch { return undefined; }
}

/**
 * CPU time (ms) so far of the Postgres backends serving `db`'s database, the asking one excluded.
 * Backends that already ended are not counted: read it while the services still hold their pools.
 */
export async function postgresCpuMs(db: Kysely<Database>): Promise<number> {
  const { rows } = await sql<{ pid: number }>`select pid from pg_stat_activity where datname = current_database() and pid <> pg_backend_pid()`.execute(db);
  return rows.reduce((n, { pid }) => n + (processCpuMs(pid) ?? 0), 0);
}

/** Resident memory of a process in MB (Linux /proc); undefined once it is gone. */
export function processRssMb(pid: number | undefined): number | undefined {
  try {
    const m = /VmRSS:\s+(\d+) kB/.exec(fs.readFileSync(`/proc/${pid}/status`, 'utf8'));
    return m ? Math.round(Number(m[1]) / 1024) : undefined;
  } catch { return undefined; }
}

/** node flags that make a service write V8 CPU profiles to $BENCH_CPU_PROF/<name>/ (devtools, speedscope). */
export function profileFlags(name: string): string[] {
  const extra = process.env[`BENCH_FLAGS_${name.replace(/-/g, '_').toUpperCase()}`]?.split(' ').filter(Boolean) ?? [];
  return [...extra, ...(process.env.BENCH_CPU_PROF ? ['--cpu-prof', `--cpu-prof-dir=${path.join(process.env.BENCH_CPU_PROF, name)}`] : [])];
}

/**
 * Starts a compiled service (scripts/services.ts) as `npm start` does; the pid is the service itself.
 * `node`: another Node binary to run it on (bench:pipeline's BENCH_NODES), else this process's.
 */
export function startService(name: string, env: NodeJS.ProcessEnv, args: string[] = [], node = process.execPath): Service {
  buildServices();
  const child = spawn(node, [...serviceArgs(name, profileFlags(name)), ...args], {
    cwd: ROOT, env: { ...process.env, ...env, LOG_LEVEL: 'warn', METRICS_PORT: '0' }, stdio: ['ignore', 'ignore', 'inherit'],
  });
  let lastCpuMs = 0;
  const cpuMs = (): number => { lastCpuMs = processCpuMs(child.pid) ?? lastCpuMs; return lastCpuMs; };
  const rssMb = (): number => processRssMb(child.pid) ?? 0;
  const svc: Service = {
    name, child, rssMb, cpuMs, peakRssMb: 0,
    stop: () => new Promise<void>((resolve) => {
      if (child.exitCode !== null || child.signalCode !== null) { resolve(); return; }
      const t = setTimeout(() => child.kill('SIGKILL'), 10_000);
      child.once('exit', () => { clearTimeout(t); resolve(); });
      child.kill('SIGTERM');
    }),
  };
  const sampler = setInterval(() => { svc.peakRssMb = Math.max(svc.peakRssMb, rssMb()); cpuMs(); }, 250);
  child.once('exit', () => clearInterval(sampler));
  return svc;
}

/** The pid of the process listening on a local TCP port (`ss`), e.g. a broker this checkout did not start. */
export function pidListeningOn(port: number): number | undefined {
  const r = spawnSync('ss', ['-ltnpH', `sport = :${port}`], { encoding: 'utf8' });
  const m = /pid=(\d+)/.exec(r.stdout ?? '');
  return m ? Number(m[1]) : undefined;
}

let fixture: Array<Record<string, unknown>> | undefined;
export function fixtureDeals(): Array<Record<string, unknown>> {
  fixture ??= JSON.parse(fs.readFileSync(path.join(ROOT, 'services/sandbox/data/az-store-discounts.json'), 'utf8')) as Array<Record<string, unknown>>;
  return fixture;
}

/** A raw Dutchie POS event for deal `d` of a location (fixture records cycled, ids unique per location). */
export function rawEvent(location: string, d: number, over: Record<string, unknown> = {}, fetchedAt = Date.now()): DealRawEvent {
  const all = fixtureDeals();
  const base = all[d % all.length]!;
  const id = d < all.length ? (base.id as number) : 10_000_000 + d;
  return {
    eventId: randomUUID(), source: 'dutchie', api: 'pos', locationId: location, discountId: String(id), op: 'upsert',
    fetchedAt, contentHash: `bench-${id}-${fetchedAt}`, record: JSON.stringify({ ...base, id, ...over }), market: 'AZ', timeZone: 'America/Phoenix', posLocId: 1568,
  };
}

/** Sum over partitions of (end offset - committed offset) for a group. */
export async function groupLag(admin: Admin, groupId: string, topic: string): Promise<number> {
  const [ends, [committed]] = await Promise.all([admin.fetchTopicOffsets(topic), admin.fetchOffsets({ groupId, topics: [topic] })]);
  return ends.reduce((n, e) => {
    const c = committed!.partitions.find((p) => p.partition === e.partition)?.offset ?? '-1';
    return n + Number(BigInt(e.high) - (c === '-1' ? BigInt(e.low) : BigInt(c)));
  }, 0);
}

export function percentile(sorted: number[], p: number): number {
  if (sorted.length === 0) return NaN;
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))]!;
}

/** The one JSON line of a benchmark; `extra` keys (e.g. bench:pipeline's per-Node passes) follow `met`. */
export function result(bench: string, r: { metrics: Record<string, number>; baseline: Record<string, number | string>; ratio: number; target: Record<string, number>; met: boolean; extra?: Record<string, unknown> }): void {
  const { extra, ...rest } = r;
  console.log(JSON.stringify({ bench, ...rest, ...extra }));
}

export const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/**
 * The baseline of the throughput benchmarks: a bare kafkajs `eachBatch` consumer (no decode, no
 * work) draining `total` messages of `topic` in a fresh group. Returns its rate and CPU per event,
 * both from its first batch on.
 * `forward`: each batch's messages (key, value, headers as they came) are also sent on to that topic
 * with `producer`, one sendBatch per batch as the normaliser does: kafkajs's own cost of a transformer.
 */
export async function drainBare(
  kafka: Kafka, groupId: string, topic: string, total: number, partitions: number,
  forward?: { producer: Producer; topic: string },
): Promise<{ eventsPerS: number; cpuUsPerEvent: number }> {
  const bare = kafka.consumer({ groupId, maxBytesPerPartition: 512 * 1024 });
  let seen = 0;
  let firstAt = 0;
  let lastAt = 0;
  let cpuBefore = process.cpuUsage();
  await bare.connect();
  await bare.subscribe({ topic, fromBeginning: true });
  await new Promise<void>((resolve) => {
    void bare.run({ partitionsConsumedConcurrently: partitions, eachBatch: async ({ batch, resolveOffset, heartbeat }) => {
      if (!firstAt) { firstAt = performance.now(); cpuBefore = process.cpuUsage(); } // from the first batch: joining the group is not per-event work
      if (forward) {
        const messages = batch.messages.map((m) => ({ key: m.key, value: m.value, headers: m.headers }));
        await forward.producer.sendBatch({ topicMessages: [{ topic: forward.topic, messages }] });
      }
      seen += batch.messages.length;
      resolveOffset(batch.lastOffset());
      await heartbeat();
      lastAt = performance.now();
      if (seen >= total) resolve();
    } });
  });
  const cpu = process.cpuUsage(cpuBefore);
  await bare.disconnect();
  return { eventsPerS: Math.round(total / ((lastAt - firstAt) / 1000)), cpuUsPerEvent: Math.round(((cpu.user + cpu.system) / total) * 10) / 10 };
}
