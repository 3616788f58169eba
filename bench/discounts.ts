/**
 * `npm run bench:discounts`: POST /discounts/applications/line throughput and p99 with the audit
 * row and the outbox rows written in one transaction, the outbox relay publishing to Kafka at the
 * same time, JWT verification on every request. Baseline, same run and same settings: a bare
 * express handler doing one INSERT. Brings up the local stack when needed, uses its own database
 * and topic prefix, removes both at the end. Ends with one JSON line.
 */
import { randomUUID } from 'node:crypto';
import type http from 'node:http';
import type { AddressInfo } from 'node:net';
import autocannon from 'autocannon';
import express from 'express';
import { sql } from 'kysely';
import { Client } from 'pg';
import { LOCAL_STACK } from '../shared/config';
import { createDb } from '../shared/db/db';
import { ensureDatabase, migrateToLatest } from '../shared/db/migrate';
import { createKafka, ensureTopics } from '../shared/kafka';
import { createLogger } from '../shared/logger';
import { createMetricsRegistry } from '../shared/ops';
import { AvroSerde } from '../shared/serde';
import { TOPICS } from '../shared/topics';
import * as stack from '../stack/stack';
import { createVerifier, mintToken } from '../services/discounts/auth';
import { createApp } from '../services/discounts/http';
import { createOutboxProducer, createRelay } from '../services/discounts/relay';
import { DEMO, seedDemo } from '../services/discounts/seed';
import { createDiscounts } from '../services/discounts/service';

const DURATION_S = Number(process.env.BENCH_DURATION_S ?? 20);
const WARMUP_S = 3;
const ROUNDS = 5;
const CONNECTIONS = Number(process.env.BENCH_CONNECTIONS ?? 10);
const POOL = 20;
const ENTITY = '0b7e2c1a-1111-4222-8333-444455556666';
const TARGET = { applications_per_s: 1000, p99_ms: 25 };
const AUTH = { secret: 'bench-secret-bench-secret-bench-secret-42', issuer: 'dealstream', audience: 'dealstream-discounts' };

const log = (msg: string): void => { console.error(`[bench:discounts] ${msg}`); };

function withDatabase(url: string, name: string): string {
  const u = new URL(url);
  u.pathname = `/${name}`;
  return u.toString();
}

function listen(app: express.Express): Promise<http.Server> {
  return new Promise((resolve) => { const s = app.listen(0, '127.0.0.1', () => resolve(s)); });
}

interface Run { rps: number; p50: number; p99: number; ok: number; errors: number }

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
async function interleaved(variants: Array<{ url: string; headers: Record<string, string> }>, body: string): Promise<Run[]> {
  const acc = variants.map(() => ({ ok: 0, errors: 0, seconds: 0, latencies: [] as number[] }));
  for (let round = 0; round < ROUNDS; round++) {
    for (const [i, v] of variants.entries()) {
      const a = acc[i]!;
      const r = await load(v.url, body, v.headers, DURATION_S / ROUNDS, a.latencies);
      a.ok += r.ok; a.errors += r.errors; a.seconds += r.seconds;
    }
    log(`round ${round + 1}/${ROUNDS} done`);
  }
  return acc.map((a) => {
    const sorted = a.latencies.sort((x, y) => x - y);
    return { rps: a.ok / a.seconds, p50: percentile(sorted, 50), p99: percentile(sorted, 99), ok: a.ok, errors: a.errors };
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
  const db = createDb(databaseUrl, POOL);
  const relayDb = createDb(databaseUrl, 2);
  await migrateToLatest(db);
  await seedDemo(db);
  await sql`create table bench_baseline (id uuid primary key default gen_random_uuid(), business_id uuid not null, payload jsonb not null, created_at timestamptz not null default now())`.execute(db);

  const kafka = createKafka({ brokers, clientId: id }, logger);
  const admin = kafka.admin();
  await admin.connect();
  await ensureTopics(admin, prefix, [TOPICS.discountApplications, TOPICS.promotionDiscountApplied], 3);
  const producer = createOutboxProducer(kafka);
  await producer.connect();
  const relay = createRelay({ db: relayDb, producer, serde: AvroSerde.create(registryUrl), topicPrefix: prefix, logger, pollMs: 20 });
  await relay.registerSchemas();
  relay.start();

  const servers: http.Server[] = [];
  try {
    // Baseline: the least an HTTP write can cost here: parse JSON, one INSERT, reply.
    const bare = express();
    bare.use(express.json());
    bare.post('/baseline', async (req, res) => {
      await sql`insert into bench_baseline (business_id, payload) values (${DEMO.businessId}, ${JSON.stringify(req.body)})`.execute(db);
      res.status(201).json({ ok: true });
    });
    const bareServer = await listen(bare);
    servers.push(bareServer);

    const app = createApp({
      db, discounts: createDiscounts({ db }), verify: createVerifier(AUTH), logger, metrics: createMetricsRegistry('bench-discounts'),
      checks: {},
    });
    const server = await listen(app);
    servers.push(server);
    const token = await mintToken(AUTH, { userId: DEMO.employees.owner, businesses: [DEMO.businessId] }, 3600);
    const body = JSON.stringify({
      entityType: 'sale', entityId: ENTITY, lineId: 'line-1', baseAmount: '42.50',
      employeeId: DEMO.employees.cashier, current: { discounts: [{ layer: 'price_list', method: 'amount', value: '2.50', amount: '2.50' }] },
      discount: { kind: 'rule', ruleId: DEMO.rules.tenPercent },
    });
    const port = (s: http.Server) => (s.address() as AddressInfo).port;
    const bareUrl = `http://127.0.0.1:${port(bareServer)}/baseline`;
    const lineUrl = `http://127.0.0.1:${port(server)}/discounts/applications/line?businessId=${DEMO.businessId}`;
    const auth = { authorization: `Bearer ${token}` };

    log(`warm-up ${WARMUP_S}s each, then ${DURATION_S}s each in ${ROUNDS} alternating rounds, ${CONNECTIONS} connections`);
    await load(bareUrl, body, {}, WARMUP_S, null);
    await load(lineUrl, body, auth, WARMUP_S, null);
    const [baseline, line] = await interleaved([{ url: bareUrl, headers: {} }, { url: lineUrl, headers: auth }], body) as [Run, Run];
    log(`baseline (one INSERT): ${baseline.rps.toFixed(0)} req/s, p99 ${baseline.p99} ms`);
    log(`line (audit + outbox + relay): ${line.rps.toFixed(0)} applications/s, p99 ${line.p99} ms, errors ${line.errors}`);

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

    const metrics = {
      applications_per_s: Math.round(line.rps), p50_ms: line.p50, p99_ms: line.p99, applications_ok: line.ok, errors: line.errors, audit_rows: applications,
      outbox_pending_after_drain: pending, outbox_drain_s: Number(drainS.toFixed(2)), rss_mb: Math.round(process.memoryUsage().rss / 1e6),
    };
    const result = {
      bench: 'discounts',
      metrics,
      baseline: { inserts_per_s: Math.round(baseline.rps), p50_ms: baseline.p50, p99_ms: baseline.p99 },
      ratio: Number((line.rps / baseline.rps).toFixed(3)),
      target: TARGET,
      met: line.rps >= TARGET.applications_per_s && line.p99 <= TARGET.p99_ms && line.errors === 0 && pending === 0,
    };
    console.log(JSON.stringify(result));
  } finally {
    await Promise.all(servers.map((s) => new Promise((r) => s.close(r))));
    await relay.stop();
    await producer.disconnect();
    const mine = (await admin.listTopics()).filter((t) => t.startsWith(prefix));
    if (mine.length) await admin.deleteTopics({ topics: mine }).catch(() => undefined);
    await admin.disconnect();
    await db.destroy();
    await relayDb.destroy();
    const pg = new Client({ connectionString: withDatabase(databaseUrl, 'postgres') });
    await pg.connect();
    await pg.query(`drop database if exists "${id}" with (force)`).catch(() => undefined);
    await pg.end();
  }
}

main().catch((e: unknown) => { console.error(e); process.exit(1); });
