/**
 * `npm run bench:discounts`: POST /discounts/applications/line throughput and p99 against the real
 * service process (services/discounts/main.ts: API + outbox relay publishing to Kafka + loyalty
 * consumer), each request verifying an ES256 JWT (keys from a JWKS endpoint served here, as an
 * identity provider's) and writing the audit row and its outbox row in one transaction. Also the
 * cost of a token verification in this process, cached (the same token again) and uncached (a new
 * token each time), ES256 and RS256. Baseline, same run, same settings, also its own process: a bare express handler
 * doing one INSERT (bench/baseline-server.ts). The load generator (autocannon) runs here.
 * Brings up the local stack when needed, uses its own database and topic prefix, removes both.
 * Ends with one JSON line.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import net, { type AddressInfo } from 'node:net';
import path from 'node:path';
import autocannon from 'autocannon';
import { sql } from 'kysely';
import { Client } from 'pg';
import { LOCAL_STACK } from '../shared/config';
import { createDb } from '../shared/db/db';
import { ensureDatabase, migrateToLatest } from '../shared/db/migrate';
import { createKafka } from '../shared/kafka';
import { createLogger } from '../shared/logger';
import * as stack from '../stack/stack';
import { createVerifier, mintToken } from '../services/discounts/auth';
import { makeTestKey, startJwksServer, type TestKey } from '../test/support/auth';
import { DEMO, seedDemo } from '../services/discounts/seed';
import { SERVICE_NODE_FLAGS, buildServices, serviceArgs } from '../scripts/services';
import { processCpuMs, processRssMb, profileFlags } from './support';

const DURATION_S = Number(process.env.BENCH_DURATION_S ?? 20);
const WARMUP_S = 3;
const ROUNDS = 5;
const CONNECTIONS = Number(process.env.BENCH_CONNECTIONS ?? 10);
const POOL = 20;
/** BENCH_CPU_PROF=<dir>: the service writes a V8 CPU profile there when it stops (node --cpu-prof). */
const BASELINE_APP = 'bench-baseline';
const DRIVER_APP = 'bench-driver';
const ENTITY = '0b7e2c1a-1111-4222-8333-444455556666';
const TARGET = { applications_per_s: 1000, p99_ms: 25 };
const ISSUER = 'https://idp.bench.invalid/';
const AUDIENCE = 'dealstream-discounts';
const VERIFY_ROUNDS = 2000;

const log = (msg: string): void => { console.error(`[bench:discounts] ${msg}`); };

function withDatabase(url: string, name: string): string {
  const u = new URL(url);
  u.pathname = `/${name}`;
  return u.toString();
}

interface Run { rps: number; p50: number; p99: number; ok: number; errors: number; cpuMsPerRequest: number; pgCpuMsPerRequest: number }

/** A variant under load: its URL, its process, and which Postgres backends are its own. */
interface Variant { url: string; headers: Record<string, string>; pid: number | undefined; backends: () => Promise<number[]> }

const percentile = (sorted: number[], p: number): number => sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))] ?? 0;

/** One autocannon run; every response time is collected so rounds can be merged exactly. */
async function load(url: string, body: string, headers: Record<string, string>, seconds: number, latencies: number[] | null): Promise<{ ok: number; errors: number; seconds: number }> {
  const r = await autocannon({
    url, method: 'POST', headers: { 'content-type': 'application/json', ...headers }, connections: CONNECTIONS, duration: seconds,
    // every request is another sale (the template's entityId is replaced), as at a real till
    requests: [{ setupRequest: (req) => ({ ...req, body: body.replace(ENTITY, randomUUID()) }) }],
    setupClient: (client) => { client.on('response', (_status: number, _bytes: number, ms: number) => { latencies?.push(ms); }); },
  });
  return { ok: r['2xx'], errors: r.errors + r.timeouts + r.non2xx, seconds: r.duration };
}

/**
 * The machine is shared, so its load drifts: baseline and subject run in alternating rounds and
 * each is summed over its rounds, so both see the same conditions.
 */
async function interleaved(variants: Variant[], body: string): Promise<Run[]> {
  const acc = variants.map(() => ({ ok: 0, errors: 0, seconds: 0, cpuMs: 0, pgCpuMs: 0, latencies: [] as number[] }));
  for (let round = 0; round < ROUNDS; round++) {
    for (const [i, v] of variants.entries()) {
      const a = acc[i]!;
      const cpu0 = cpuMs(v.pid);
      const pg0 = new Map((await v.backends()).map((pid) => [pid, cpuMs(pid)]));
      const r = await load(v.url, body, v.headers, DURATION_S / ROUNDS, a.latencies);
      a.cpuMs += cpuMs(v.pid) - cpu0;
      // backends opened during the round count from zero; one closed during it is lost (rare: pools keep them 10 s)
      for (const pid of await v.backends()) { const after = cpuMs(pid); if (!Number.isNaN(after)) a.pgCpuMs += after - (pg0.get(pid) ?? 0); }
      a.ok += r.ok; a.errors += r.errors; a.seconds += r.seconds;
    }
    log(`round ${round + 1}/${ROUNDS} done`);
  }
  return acc.map((a) => {
    const sorted = a.latencies.sort((x, y) => x - y);
    return {
      rps: a.ok / a.seconds, p50: percentile(sorted, 50), p99: percentile(sorted, 99), ok: a.ok, errors: a.errors,
      cpuMsPerRequest: a.ok ? Number((a.cpuMs / a.ok).toFixed(3)) : NaN,
      pgCpuMsPerRequest: a.ok ? Number((a.pgCpuMs / a.ok).toFixed(3)) : NaN,
    };
  });
}

const ROOT = path.resolve(__dirname, '..');

const cpuMs = (pid: number | undefined): number => processCpuMs(pid) ?? NaN;

/**
 * Both processes run with the 4 MB young generation the services' npm scripts and `npm start` use;
 * the service compiled (dist/) as they run it, the bench-only baseline through tsx (its loader
 * thread idles once the server is up).
 */
function start(name: string, args: string[], env: NodeJS.ProcessEnv): ChildProcess {
  const child = spawn(process.execPath, args, { cwd: ROOT, env, stdio: ['ignore', 'ignore', 'inherit'] });
  child.on('exit', (code, signal) => { if (code !== 0 && signal !== 'SIGTERM' && code !== null) log(`${name} exited ${code}`); });
  return child;
}

function stop(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return Promise.resolve();
  return new Promise((resolve) => {
    const timer = setTimeout(() => { child.kill('SIGKILL'); }, 20_000);
    child.once('exit', () => { clearTimeout(timer); resolve(); });
    child.kill('SIGTERM');
  });
}

async function ready(url: string): Promise<void> {
  const end = Date.now() + 60_000;
  while (Date.now() < end) {
    if (await fetch(url).then((r) => r.ok, () => false)) return;
    await new Promise((r) => setTimeout(r, 250));
  }
  throw new Error(`${url} did not come up`);
}

/**
 * Microseconds per verification through the service's verifier with keys from a JWKS endpoint:
 * cached (one token verified again and again, as a till re-using its token) and uncached (a
 * different token each time, so each is a full signature check).
 */
async function verificationCost(key: TestKey, jwksUrl: string): Promise<{ cached_us: number; uncached_us: number }> {
  const keys = { kind: 'jwks' as const, url: jwksUrl, algorithms: ['RS256', 'ES256'] as const, cooldownMs: 30_000, cacheMaxAgeMs: 600_000, timeoutMs: 5000 };
  const mint = (i: number) => mintToken(key.signing, { subject: `bench-${i}`, businesses: [DEMO.businessId] }, { issuer: ISSUER, audience: AUDIENCE });
  const tokens = await Promise.all(Array.from({ length: VERIFY_ROUNDS }, (_, i) => mint(i)));
  const uncached = createVerifier({ keys, issuer: ISSUER, audience: AUDIENCE }, { cacheSize: 0 });
  const cached = createVerifier({ keys, issuer: ISSUER, audience: AUDIENCE });
  await uncached(`Bearer ${tokens[0]}`); // the key set is fetched once, before timing
  await cached(`Bearer ${tokens[0]}`);
  const time = async (f: (i: number) => Promise<unknown>): Promise<number> => {
    const t0 = process.hrtime.bigint();
    for (let i = 0; i < VERIFY_ROUNDS; i++) await f(i);
    return Number((Number(process.hrtime.bigint() - t0) / 1000 / VERIFY_ROUNDS).toFixed(2));
  };
  return {
    uncached_us: await time((i) => uncached(`Bearer ${tokens[i]}`)),
    cached_us: await time(() => cached(`Bearer ${tokens[0]}`)),
  };
}

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = net.createServer();
    srv.once('error', reject);
    srv.listen(0, '127.0.0.1', () => { const { port } = srv.address() as AddressInfo; srv.close(() => resolve(port)); });
  });
}

async function main(): Promise<void> {
  if (!process.env.DATABASE_URL) {
    log('bringing up the local stack (if needed)');
    await stack.up();
  }
  const baseUrl = process.env.DATABASE_URL ?? LOCAL_STACK.DATABASE_URL;
  const brokers = (process.env.KAFKA_BROKERS ?? LOCAL_STACK.KAFKA_BROKERS).split(',');
  const registryUrl = process.env.SCHEMA_REGISTRY_URL ?? LOCAL_STACK.SCHEMA_REGISTRY_URL;
  const id = `bench_discounts_${Date.now().toString(36)}`;
  const databaseUrl = withDatabase(baseUrl, id);
  const prefix = `${id}.`;
  const logger = createLogger('bench-discounts', 'error');

  log(`database ${id}, topic prefix ${prefix}`);
  await ensureDatabase(databaseUrl);
  // Postgres backends are told apart by application_name: the driver's, the baseline's, the rest are the service's.
  const db = createDb(`${databaseUrl}?application_name=${DRIVER_APP}`, POOL);
  const backends = async (own: (app: string) => boolean): Promise<number[]> =>
    (await sql<{ pid: number; app: string }>`select pid, application_name as app from pg_stat_activity where datname = ${id}`.execute(db)).rows
      .filter((r) => own(r.app)).map((r) => r.pid);
  await migrateToLatest(db);
  await seedDemo(db);
  await sql`create table bench_baseline (id uuid primary key default gen_random_uuid(), business_id uuid not null, payload jsonb not null, created_at timestamptz not null default now())`.execute(db);

  const kafka = createKafka({ brokers, clientId: id }, logger);
  const admin = kafka.admin();
  await admin.connect();

  const children: ChildProcess[] = [];
  const es256 = makeTestKey('ES256');
  const rs256 = makeTestKey('RS256');
  const jwks = await startJwksServer([es256, rs256]);
  try {
    const [servicePort, baselinePort] = [await freePort(), await freePort()];
    const env = { ...process.env, NODE_ENV: 'development', LOG_LEVEL: 'warn', DATABASE_URL: databaseUrl, KAFKA_BROKERS: brokers.join(','), SCHEMA_REGISTRY_URL: registryUrl };
    buildServices();
    const service = start('discounts', serviceArgs('discounts', profileFlags('discounts')), {
      ...env, TOPIC_PREFIX: prefix, DISCOUNTS_PORT: String(servicePort), DISCOUNTS_JWKS_URL: jwks.url, DISCOUNTS_JWT_ISSUER: ISSUER, DISCOUNTS_DB_POOL: String(POOL),
    });
    const bareChild = start('baseline', [...SERVICE_NODE_FLAGS, '--import', 'tsx', 'bench/baseline-server.ts'], {
      ...env, DATABASE_URL: `${databaseUrl}?application_name=${BASELINE_APP}`, PORT: String(baselinePort), POOL: String(POOL), BUSINESS_ID: DEMO.businessId,
    });
    children.push(service, bareChild);
    await Promise.all([ready(`http://127.0.0.1:${servicePort}/health`), ready(`http://127.0.0.1:${baselinePort}/health`)]);
    log(`service (pid ${service.pid}) and baseline (pid ${bareChild.pid}) are up`);
    const token = await mintToken(es256.signing, { subject: DEMO.subjects.cashier, businesses: [DEMO.businessId] }, { issuer: ISSUER, audience: AUDIENCE, ttlSeconds: 3600 });
    const body = JSON.stringify({
      entityType: 'sale', entityId: ENTITY, lineId: 'line-1', baseAmount: '42.50',
      current: { discounts: [{ layer: 'price_list', method: 'amount', value: '2.50', amount: '2.50' }] },
      discount: { kind: 'rule', ruleId: DEMO.rules.tenPercent },
    });
    const bareUrl = `http://127.0.0.1:${baselinePort}/baseline`;
    const lineUrl = `http://127.0.0.1:${servicePort}/discounts/applications/line?businessId=${DEMO.businessId}`;
    const auth = { authorization: `Bearer ${token}` };

    log(`warm-up ${WARMUP_S}s each, then ${DURATION_S}s each in ${ROUNDS} alternating rounds, ${CONNECTIONS} connections`);
    await load(bareUrl, body, {}, WARMUP_S, null);
    await load(lineUrl, body, auth, WARMUP_S, null);
    const [baseline, line] = await interleaved([
      { url: bareUrl, headers: {}, pid: bareChild.pid, backends: () => backends((app) => app === BASELINE_APP) },
      { url: lineUrl, headers: auth, pid: service.pid, backends: () => backends((app) => app !== BASELINE_APP && app !== DRIVER_APP) },
    ], body) as [Run, Run];
    log(`baseline (one INSERT): ${baseline.rps.toFixed(0)} req/s, p99 ${baseline.p99} ms, CPU ms/request ${baseline.cpuMsPerRequest} process + ${baseline.pgCpuMsPerRequest} Postgres`);
    log(`line (audit + outbox + relay): ${line.rps.toFixed(0)} applications/s, p99 ${line.p99} ms, CPU ms/application ${line.cpuMsPerRequest} service + ${line.pgCpuMsPerRequest} Postgres, errors ${line.errors}`);

    // Every application is in the audit table and the relay catches up with the outbox.
    const t0 = Date.now();
    let pending = -1;
    while (Date.now() - t0 < 60_000) {
      pending = Number((await sql<{ n: string }>`select count(*) as n from discount_outbox where published_at is null`.execute(db)).rows[0]!.n);
      if (pending === 0) break;
      await new Promise((r) => setTimeout(r, 250));
    }
    const drainS = (Date.now() - t0) / 1000;
    const applications = Number((await sql<{ n: string }>`select count(*) as n from discount_application`.execute(db)).rows[0]!.n);
    log(`${applications} audit rows; outbox drained in ${drainS.toFixed(1)}s (pending ${pending})`);

    const verification = { es256: await verificationCost(es256, jwks.url), rs256: await verificationCost(rs256, jwks.url) };
    log(`token verification (us each): ES256 ${verification.es256.uncached_us} uncached, ${verification.es256.cached_us} cached; RS256 ${verification.rs256.uncached_us} uncached, ${verification.rs256.cached_us} cached`);

    const metrics = {
      applications_per_s: Math.round(line.rps), p50_ms: line.p50, p99_ms: line.p99, service_cpu_ms_per_application: line.cpuMsPerRequest, postgres_cpu_ms_per_application: line.pgCpuMsPerRequest, applications_ok: line.ok, errors: line.errors, audit_rows: applications,
      outbox_pending_after_drain: pending, outbox_drain_s: Number(drainS.toFixed(2)), service_rss_mb: processRssMb(service.pid) ?? null,
      token_verification_us: verification,
    };
    const result = {
      bench: 'discounts',
      metrics,
      baseline: { inserts_per_s: Math.round(baseline.rps), p50_ms: baseline.p50, p99_ms: baseline.p99, cpu_ms_per_insert: baseline.cpuMsPerRequest, postgres_cpu_ms_per_insert: baseline.pgCpuMsPerRequest },
      ratio: Number((line.rps / baseline.rps).toFixed(3)),
      target: TARGET,
      met: line.rps >= TARGET.applications_per_s && line.p99 <= TARGET.p99_ms && line.errors === 0 && pending === 0,
    };
    console.log(JSON.stringify(result));
  } finally {
    await Promise.all(children.map(stop));
    await jwks.close();
    const mine = (await admin.listTopics()).filter((t) => t.startsWith(prefix));
    if (mine.length) await admin.deleteTopics({ topics: mine }).catch(() => undefined);
    await admin.disconnect();
    await db.destroy();
    const pg = new Client({ connectionString: withDatabase(databaseUrl, 'postgres') });
    await pg.connect();
    await pg.query(`drop database if exists "${id}" with (force)`).catch(() => undefined);
    await pg.end();
  }
}

main().catch((e: unknown) => { console.error(e); process.exit(1); });
