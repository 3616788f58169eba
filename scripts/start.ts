/**
 * `npm start`: the whole pipeline on this machine. Brings the local stack up, migrates, starts the
 * sandbox when no real Dutchie/Odoo credentials are configured (and says so) and seeds its stores
 * into `locations`, then runs every service as a child process with its JSON log lines prefixed by
 * its name, prints the URL to try and a live summary; Ctrl-C stops everything (reverse order).
 *
 * A new service is one entry in SERVICES (services/<name>/main.ts). The services are compiled
 * first (`npm run build`, dist/) and run with plain node (scripts/services.ts).
 */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import readline from 'node:readline';
import { z } from 'zod';
import { LOCAL_STACK, devDefault, loadConfig, portVar } from '../shared/config';
import { createDb, type Kysely } from '../shared/db/db';
import { ensureDatabase, migrateToLatest } from '../shared/db/migrate';
import type { Database } from '../shared/db/schema';
import { upsertSandboxLocations } from '../services/sandbox/locations';
import { pollerEnvFrom } from '../services/sandbox/sandbox';
import { locationIdSchema } from '../shared/location-id';
import { ROOT } from '../shared/paths';
import { buildServices, serviceArgs } from './services';
import { supervise, type Supervised } from './supervisor';

const say = (msg: string) => console.log(`[start] ${msg}`);

interface Context { env: NodeJS.ProcessEnv; sandbox: boolean; pollerEnv: NodeJS.ProcessEnv }
interface ServiceSpec {
  name: string;
  /** Extra environment for this service. */
  env?: (ctx: Context) => NodeJS.ProcessEnv;
  /** false: not started in this configuration. */
  enabled?: (ctx: Context) => boolean;
}

/** Start order; stopped in reverse. */
const SERVICES: ServiceSpec[] = [
  { name: 'poller', env: (c) => ({ POLL_INTERVAL_MS: process.env.POLL_INTERVAL_MS ?? '15000', ...c.pollerEnv }) },
  { name: 'normaliser' },
  { name: 'projector' },
  { name: 'deals-api' },
  { name: 'discounts', env: () => discountsAuthEnv(process.env) },
  { name: 'odoo-sink', env: (c) => c.pollerEnv },
  { name: 'enricher', env: (c) => c.pollerEnv },
];

/**
 * `npm start` is a developer's command: with no token keys configured it runs the discounts service
 * in development auth mode (HS256 tokens of `npm run discounts:token`), and says so.
 */
function discountsAuthEnv(env: NodeJS.ProcessEnv): NodeJS.ProcessEnv {
  if (env.DISCOUNTS_AUTH_MODE || env.DISCOUNTS_JWKS_URL || env.DISCOUNTS_JWT_PUBLIC_KEY) return {};
  say('discounts: no DISCOUNTS_JWKS_URL or DISCOUNTS_JWT_PUBLIC_KEY set: DEVELOPMENT auth mode (tokens from npm run discounts:token)');
  return { DISCOUNTS_AUTH_MODE: 'development' };
}

const startEnv = z.object({
  DATABASE_URL: devDefault(process.env, z.string().url(), LOCAL_STACK.DATABASE_URL),
  PORT: portVar.default(3000),
  SANDBOX_POS_PORT: portVar.default(7001),
  SANDBOX_BACKOFFICE_PORT: portVar.default(7002),
  SANDBOX_ODOO_PORT: portVar.default(7003),
  SANDBOX_CMS_PORT: portVar.default(7004),
  SUMMARY_INTERVAL_MS: z.coerce.number().int().min(1000).default(10_000),
  /** A crashed service is restarted after RESTART_BASE_MS, doubling to RESTART_CAP_MS; reset after RESTART_STABLE_MS up. */
  RESTART_BASE_MS: z.coerce.number().int().min(10).default(1_000),
  RESTART_CAP_MS: z.coerce.number().int().min(10).default(30_000),
  RESTART_STABLE_MS: z.coerce.number().int().min(100).default(60_000),
});

let supervisorSettings: { baseMs: number; capMs: number; stableMs: number } | undefined;

/** A service process with its log lines prefixed by its name. */
function spawnService(name: string, env: NodeJS.ProcessEnv): ChildProcess {
  const child = spawn(process.execPath, serviceArgs(name), { cwd: ROOT, env, stdio: ['ignore', 'pipe', 'pipe'] });
  for (const stream of [child.stdout, child.stderr]) {
    readline.createInterface({ input: stream }).on('line', (line) => { process.stdout.write(`[${name}] ${line}\n`); });
  }
  return child;
}

/**
 * Runs a service under the supervisor (scripts/supervisor.ts): a non-zero exit is restarted with
 * backoff and announced as one JSON line, e.g.
 * `[start] {"event":"service_restart","service":"normaliser","exitCode":1,"restart":1,"delayMs":1000,...}`.
 */
function run(name: string, env: NodeJS.ProcessEnv): Supervised {
  return supervise({
    name,
    spawn: () => spawnService(name, env),
    log: (line) => say(JSON.stringify({ level: 'warn', time: new Date().toISOString(), ...line })),
    settings: supervisorSettings,
  });
}

async function waitForHttp(url: string, timeoutMs: number): Promise<Response> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    try {
      const res = await fetch(url);
      if (res.ok) return res;
    } catch { /* not up yet */ }
    if (Date.now() > deadline) throw new Error(`${url} did not answer in ${timeoutMs} ms`);
    await new Promise((r) => setTimeout(r, 250));
  }
}

const SandboxDirectory = z.object({
  locations: z.array(z.object({
    id: locationIdSchema, name: z.string(), city: z.string().nullable(), slug: z.string().nullable(), state: z.string(), timeZone: z.string(), lspId: z.number().int(), posLocId: z.number().int(),
    api: z.enum(['pos', 'backoffice']), orgId: z.number().int().nullable(), odooStoreId: z.number().int(),
  })),
  posKeys: z.record(z.string(), z.string()),
  backoffice: z.object({ username: z.string(), password: z.string() }),
  odoo: z.object({ db: z.string(), login: z.string(), apiKey: z.string() }),
  cms: z.object({ token: z.string() }),
});

/**
 * Upserts the sandbox's stores into `locations`; returns the poller's environment for it (never printed),
 * its store directory included: the poller keeps `locations` in step with the sandbox's CMS from then on.
 */
async function seedFromSandbox(db: Kysely<Database>, urls: { pos: string; backoffice: string; odoo: string; cms: string }): Promise<NodeJS.ProcessEnv> {
  const dir = SandboxDirectory.parse(await (await waitForHttp(`${urls.pos}/admin/stores`, 30_000)).json());
  say(`seeded ${await upsertSandboxLocations(db, dir)} sandbox stores into locations; the poller reads the sandbox CMS (${urls.cms}/api/stores) every cycle`);
  return { ...pollerEnvFrom(dir, urls), STORES_API_URL: `${urls.cms}/api/stores`, STORES_API_TOKEN: dir.cms.token };
}

function hasRealCredentials(env: NodeJS.ProcessEnv): boolean {
  return Object.keys(env).some((k) => /^DUTCHIE_POS_API_KEY_\d+$/.test(k) && env[k]) || Boolean(env.DUTCHIE_BACKOFFICE_USERNAME) || Boolean(env.ODOO_API_KEY);
}

async function summary(db: Kysely<Database>, running: Supervised[], port: number): Promise<string> {
  const [locs, synced, deals] = await Promise.all([
    db.selectFrom('locations').select((eb) => eb.fn.countAll<string>().as('n')).executeTakeFirstOrThrow(),
    db.selectFrom('location_sync').select((eb) => [eb.fn.countAll<string>().as('n'), eb.fn.max('last_sync').as('last')]).executeTakeFirstOrThrow(),
    db.selectFrom('discounts').select((eb) => eb.fn.countAll<string>().as('n')).where('removed', '=', false).executeTakeFirstOrThrow(),
  ]);
  const last = synced.last ? `${Math.round((Date.now() - new Date(synced.last).getTime()) / 1000)} s ago` : 'never';
  const up = running.map((r) => `${r.name}:${r.up() ? 'up' : 'down'}${r.restarts() ? `(${r.restarts()} restarts)` : ''}`).join(' ');
  return `${synced.n}/${locs.n} locations synced, ${deals.n} deals in Postgres, last rebuild ${last} | ${up} | http://127.0.0.1:${port}`;
}

let stopping = false;
const running: Supervised[] = [];

async function main(): Promise<void> {
  const cfg = loadConfig('start', startEnv);
  supervisorSettings = { baseMs: cfg.RESTART_BASE_MS, capMs: cfg.RESTART_CAP_MS, stableMs: cfg.RESTART_STABLE_MS };
  say('bringing the local stack up (npm run stack:up)');
  const stack = spawnSync(process.execPath, ['--import', 'tsx', 'stack/stack.ts', 'up'], { cwd: ROOT, stdio: 'inherit' });
  if (stack.status !== 0) throw new Error('the local stack did not come up');
  buildServices();

  await ensureDatabase(cfg.DATABASE_URL);
  const db = createDb(cfg.DATABASE_URL, 2);
  const { results } = await migrateToLatest(db);
  say(`database migrated (${results?.filter((r) => r.status === 'Success').length ?? 0} new migrations)`);

  const baseEnvForChildren: NodeJS.ProcessEnv = { ...process.env, DATABASE_URL: cfg.DATABASE_URL, PORT: String(cfg.PORT) };
  let pollerEnv: NodeJS.ProcessEnv = {};
  const sandbox = !hasRealCredentials(process.env);
  if (sandbox) {
    say('no real Dutchie/Odoo credentials configured (DUTCHIE_POS_API_KEY_*, DUTCHIE_BACKOFFICE_*, ODOO_*): starting the SANDBOX (simulated Dutchie POS, Backoffice and Odoo)');
    running.push(run('sandbox', baseEnvForChildren));
    const host = 'http://127.0.0.1';
    pollerEnv = await seedFromSandbox(db, { pos: `${host}:${cfg.SANDBOX_POS_PORT}`, backoffice: `${host}:${cfg.SANDBOX_BACKOFFICE_PORT}`, odoo: `${host}:${cfg.SANDBOX_ODOO_PORT}`, cms: `${host}:${cfg.SANDBOX_CMS_PORT}` });
  } else {
    say('real credentials configured: polling the real Dutchie/Odoo APIs (locations must already be in the database)');
  }

  const ctx: Context = { env: baseEnvForChildren, sandbox, pollerEnv };
  for (const spec of SERVICES) {
    if (spec.enabled && !spec.enabled(ctx)) continue;
    running.push(run(spec.name, { ...baseEnvForChildren, ...spec.env?.(ctx) }));
  }

  const timers: { ticker?: NodeJS.Timeout } = {};
  const stopAll = async (signal: string): Promise<void> => {
    if (stopping) return;
    stopping = true;
    clearInterval(timers.ticker);
    say(`${signal}: stopping ${running.length} processes`);
    for (const r of [...running].reverse()) {
      await r.stop(15_000);
      say(`${r.name} stopped`);
    }
    await db.destroy();
    process.exit(0);
  };
  process.on('SIGINT', () => { void stopAll('SIGINT'); });
  process.on('SIGTERM', () => { void stopAll('SIGTERM'); });

  const first = await db.selectFrom('locations').select('id').orderBy('name').limit(1).executeTakeFirst();
  say(`deals API: http://127.0.0.1:${cfg.PORT}/api/locations`);
  if (first) say(`try:  curl http://127.0.0.1:${cfg.PORT}/api/locations/${first.id}/discounts`);
  say('Ctrl-C stops everything');
  timers.ticker = setInterval(() => {
    summary(db, running, cfg.PORT).then((s) => say(s), (e: unknown) => say(`summary unavailable: ${e instanceof Error ? e.message : String(e)}`));
  }, cfg.SUMMARY_INTERVAL_MS);
}

main().catch((e: unknown) => {
  console.error(`[start] ${e instanceof Error ? e.message : String(e)}`);
  stopping = true;
  for (const r of running) void r.stop(); // nothing is left behind
  process.exit(1);
});
