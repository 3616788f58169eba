/**
 * Given-helper for the fault suite: the real pipeline as `npm start` runs it — sandbox (fake Dutchie
 * and Odoo), poller, normaliser, projector, deals API and odoo-sink, each a compiled child process
 * (scripts/services.ts) — over servers the test started itself (a private Kafka + registry, Postgres
 * and Redis on ports of their own), so the test may stop and restart them.
 *
 * Like `npm start` (scripts/supervisor.ts), a service that exits is started again with its backoff (the suite counts these
 * restarts: a crash is not a loss, but it is reported). Each child's output goes to a log file of its own.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { z } from 'zod';
import { createDb, type Kysely } from '../../shared/db/db';
import { ensureDatabase, migrateToLatest } from '../../shared/db/migrate';
import type { Database } from '../../shared/db/schema';
import { ROOT } from '../../shared/paths';
import { upsertSandboxLocations } from '../../services/sandbox/locations';
import { pollerEnvFrom } from '../../services/sandbox/sandbox';
import { buildServices, serviceArgs } from '../../scripts/services';
import { DEFAULT_SUPERVISOR, restartDelay } from '../../scripts/supervisor';
import { freePort } from './private-servers';

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** Where the servers are: the services' environment. */
export interface ServerEnv { KAFKA_BROKERS: string; SCHEMA_REGISTRY_URL: string; DATABASE_URL: string; REDIS_URL: string }

/** The pipeline's services in start order (stopped in reverse). */
export const PIPELINE_SERVICES = ['poller', 'normaliser', 'projector', 'deals-api', 'odoo-sink'] as const;
export type PipelineService = (typeof PIPELINE_SERVICES)[number];
/** The consumers that share their work by partition: these run `instances` processes each. */
export const SCALED_SERVICES = ['normaliser', 'projector', 'odoo-sink'] as const satisfies readonly PipelineService[];
const isScaled = (name: PipelineService) => (SCALED_SERVICES as readonly string[]).includes(name);

export interface SupervisedChild {
  name: string;
  /** times it exited on its own and was started again */
  restarts: number;
  /** exits not asked for: code or signal, and when */
  exits: Array<{ at: number; code: number | null; signal: string | null }>;
  /** SIGTERM, then start it again at once (a deployment or a rebalance) */
  restart(): Promise<void>;
  /** SIGTERM, not started again until resume() (an instance taken away: its group rebalances) */
  halt(): Promise<void>;
  resume(): void;
  stop(): Promise<void>;
}

const Directory = z.object({
  locations: z.array(z.object({
    id: z.string(), name: z.string(), city: z.string().nullable(), slug: z.string().nullable(), state: z.string(), timeZone: z.string(),
    lspId: z.number().int(), posLocId: z.number().int(), api: z.enum(['pos', 'backoffice']), orgId: z.number().int().nullable(), odooStoreId: z.number().int(),
  })),
  posKeys: z.record(z.string(), z.string()),
  backoffice: z.object({ username: z.string(), password: z.string() }),
  odoo: z.object({ db: z.string(), login: z.string(), apiKey: z.string() }),
  cms: z.object({ token: z.string() }),
});
export type SandboxDirectoryView = z.infer<typeof Directory>;

export interface FaultPipeline {
  /** the sandbox's admin API and Odoo, and the deals API */
  urls: { admin: string; odoo: string; api: string };
  directory: SandboxDirectoryView;
  topicPrefix: string;
  redisPrefix: string;
  /** the pipeline's database (on the test's own Postgres) */
  db: Kysely<Database>;
  /** every process: `sandbox`, `poller`, `deals-api`, and `{name}#{n}` for each instance of the scaled consumers */
  services: Record<string, SupervisedChild>;
  /** the instances of one service */
  instances(name: PipelineService): SupervisedChild[];
  logDir: string;
  close(): Promise<void>;
}

export interface FaultPipelineOptions {
  servers: ServerEnv;
  label: string;
  /** sandbox shape: AZ (POS) stores only, a few LSPs, `dealsPerLsp` deals each */
  lsps?: number;
  storesPerLsp?: number;
  dealsPerLsp?: number;
  pollIntervalMs?: number;
  /** processes per scaled consumer (normaliser, projector, odoo-sink), sharing their groups' partitions */
  instances?: number;
}

function supervise(name: string, env: NodeJS.ProcessEnv, logDir: string, args: string[]): SupervisedChild {
  const log = fs.openSync(path.join(logDir, `${name}.log`), 'a');
  let child: ChildProcess | undefined;
  let stopping = false;
  let expectedExit = false;
  let streak = 0;
  let pending: NodeJS.Timeout | undefined;
  const state: SupervisedChild = {
    name, restarts: 0, exits: [],
    // each cancels a restart still pending after a crash: else two processes would run under one name
    restart: async () => { clearTimeout(pending); expectedExit = true; await stopChild(); expectedExit = false; start(); },
    halt: async () => { clearTimeout(pending); expectedExit = true; await stopChild(); },
    resume: () => { expectedExit = false; start(); },
    stop: async () => { stopping = true; clearTimeout(pending); await stopChild(); fs.closeSync(log); },
  };
  function start(): void {
    const c = spawn(process.execPath, args, { cwd: ROOT, env, stdio: ['ignore', log, log] });
    child = c;
    const startedAt = Date.now();
    c.once('exit', (code, signal) => {
      if (stopping || expectedExit) return;
      state.exits.push({ at: Date.now(), code, signal });
      // npm start's backoff (scripts/supervisor.ts): doubling from 1 s to 30 s, from the base again after a stable run
      if (Date.now() - startedAt >= DEFAULT_SUPERVISOR.stableMs) streak = 0;
      streak += 1;
      const wait = restartDelay(streak, DEFAULT_SUPERVISOR);
      fs.writeSync(log, `\n[fault-suite] ${name} exited (${code ?? signal}); starting it again in ${wait} ms\n`);
      pending = setTimeout(() => { if (!stopping && !expectedExit) { state.restarts += 1; start(); } }, wait);
    });
  }
  function stopChild(): Promise<void> {
    const c = child;
    if (!c || c.exitCode !== null || c.signalCode !== null) return Promise.resolve();
    return new Promise((resolve) => {
      const t = setTimeout(() => c.kill('SIGKILL'), 15_000);
      c.once('exit', () => { clearTimeout(t); resolve(); });
      c.kill('SIGTERM');
    });
  }
  start();
  return state;
}

async function waitForJson(url: string, timeoutMs: number): Promise<unknown> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    try {
      const res = await fetch(url, { signal: AbortSignal.timeout(2000) });
      if (res.ok) return await res.json();
    } catch { /* not up yet */ }
    if (Date.now() > deadline) throw new Error(`${url} did not answer in ${timeoutMs} ms`);
    await sleep(250);
  }
}

export async function givenFaultPipeline(opts: FaultPipelineOptions): Promise<FaultPipeline> {
  buildServices();
  const id = `f_${opts.label.replace(/[^a-z0-9]/gi, '').toLowerCase().slice(0, 16)}_${Date.now().toString(36)}`;
  const logDir = fs.mkdtempSync(path.join(os.tmpdir(), `dealstream-${id}-logs-`));
  const databaseUrl = (() => { const u = new URL(opts.servers.DATABASE_URL); u.pathname = `/${id}`; return u.toString(); })();
  await ensureDatabase(databaseUrl);
  const db = createDb(databaseUrl, 2);
  await migrateToLatest(db);

  const ports = { pos: await freePort(), backoffice: await freePort(), odoo: await freePort(), cms: await freePort(), api: await freePort() };
  const quiet = { LOG_LEVEL: process.env.FAULTS_LOG_LEVEL ?? 'warn', NODE_ENV: 'test' };
  const sandbox = supervise('sandbox', {
    ...process.env, ...quiet,
    SANDBOX_POS_PORT: String(ports.pos), SANDBOX_BACKOFFICE_PORT: String(ports.backoffice), SANDBOX_ODOO_PORT: String(ports.odoo), SANDBOX_CMS_PORT: String(ports.cms),
    SANDBOX_MARKETS: 'AZ', SANDBOX_INCLUDE_FIXTURE: 'false', SANDBOX_PTL_DEALS_PER_MARKET: '0',
    SANDBOX_LSPS_PER_MARKET: String(opts.lsps ?? 1), SANDBOX_STORES_PER_LSP: String(opts.storesPerLsp ?? 2), SANDBOX_DEALS_PER_LSP: String(opts.dealsPerLsp ?? 400),
    SANDBOX_POS_RATE_LIMIT_PER_MIN: '100000',
  }, logDir, serviceArgs('sandbox'));
  const host = 'http://127.0.0.1';
  const urls = { pos: `${host}:${ports.pos}`, backoffice: `${host}:${ports.backoffice}`, odoo: `${host}:${ports.odoo}`, cms: `${host}:${ports.cms}` };
  const directory = Directory.parse(await waitForJson(`${urls.pos}/admin/stores`, 60_000));
  await upsertSandboxLocations(db, directory);

  const topicPrefix = `${id}.`;
  const redisPrefix = `${id}:`;
  const base: NodeJS.ProcessEnv = {
    ...process.env, ...quiet, ...opts.servers, DATABASE_URL: databaseUrl, TOPIC_PREFIX: topicPrefix, REDIS_KEY_PREFIX: redisPrefix, KAFKA_PARTITIONS: '3',
  };
  const pollerEnv = { ...pollerEnvFrom(directory, urls), STORES_API_URL: `${urls.cms}/api/stores`, STORES_API_TOKEN: directory.cms.token };
  const extra: Record<PipelineService, NodeJS.ProcessEnv> = {
    poller: { ...pollerEnv, POLL_INTERVAL_MS: String(opts.pollIntervalMs ?? 2000), POS_RATE_LIMIT_PER_MIN: '100000', FETCH_RETRIES: '1', RETRY_BASE_MS: '200' },
    normaliser: {},
    projector: {},
    'deals-api': { PORT: String(ports.api), RATE_LIMIT_PER_MIN: '0', UNKNOWN_LOCATION_TTL_MS: '0' },
    'odoo-sink': { ...pollerEnv },
  };
  const services: FaultPipeline['services'] = { sandbox };
  for (const name of PIPELINE_SERVICES) {
    const n = isScaled(name) ? (opts.instances ?? 1) : 1;
    for (let i = 1; i <= n; i++) {
      const key = isScaled(name) ? `${name}#${i}` : name;
      // health/metrics on a port the OS picks at each start: a port picked once could be taken (an outgoing
      // connection's local port) while the service is down, and its restart would fail on it
      services[key] = supervise(key, { ...base, ...extra[name], METRICS_PORT: '0' }, logDir, serviceArgs(name));
    }
  }
  const instances = (name: PipelineService) => Object.entries(services).filter(([k]) => k === name || k.startsWith(`${name}#`)).map(([, v]) => v);
  const api = `${host}:${ports.api}`;
  await waitForJson(`${api}/api/locations`, 60_000);
  return {
    urls: { admin: `${urls.pos}/admin`, odoo: urls.odoo, api }, directory, topicPrefix, redisPrefix, db, services, instances, logDir,
    async close() {
      for (const name of [...PIPELINE_SERVICES].reverse()) await Promise.all(instances(name).map((s) => s.stop()));
      await sandbox.stop();
      await db.destroy();
    },
  };
}
