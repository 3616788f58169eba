/**
 * `npm run bench:poller`: one full poll cycle over 200 stores × 500 deals served by the sandbox
 * (5 markets × 40 LSPs, POS and Backoffice; plus the markets' PTL deals from the sandbox Odoo),
 * publishing every deal once to real Kafka. Measures deals/s and the poller's CPU ms per 1,000 deals
 * with 8 concurrent fetches; the baseline is the same cycle with 1 fetch at a time (the old job).
 * The sandbox runs in a child process on the same cores: its CPU is reported separately (from
 * /proc) since it competes with the poller for them. Target: >= 10,000 deals/s.
 * BENCH_CPU_PROF=<dir> makes the sandbox write CPU profiles to <dir>/sandbox/ (run the bench itself
 * with `node --cpu-prof --import tsx bench/poller.ts` to profile the poller too).
 */
import { spawn } from 'node:child_process';
import readline from 'node:readline';
import { parseConfig } from '../shared/config';
import { createLogger } from '../shared/logger';
import { pollerEnv, posKeysFrom } from '../services/poller/config';
import { seedLocations } from '../test/support/poller';
import { buildPoller } from '../services/poller/wiring';
import { pollerEnvFrom, type SandboxDirectory } from '../services/sandbox/sandbox';
import * as stack from '../stack/stack';
import { createTestWorld } from '../test/support/integration';
import { buildServices, serviceArgs } from '../scripts/services';
import { processCpuMs, profileFlags } from './support';

const LSPS_PER_MARKET = 40;
const MARKETS = 'AZ,FL,IL,MI,MO';
const DEALS = 500;

interface RunningSandbox { urls: { pos: string; backoffice: string; odoo: string }; cpuMs: () => number; stop: () => void }

async function startSandbox(): Promise<RunningSandbox> {
  buildServices();
  const child = spawn(process.execPath, serviceArgs('sandbox', profileFlags('sandbox')), {
    env: {
      ...process.env, LOG_LEVEL: 'info', SANDBOX_POS_PORT: '0', SANDBOX_BACKOFFICE_PORT: '0', SANDBOX_ODOO_PORT: '0', SANDBOX_MARKETS: MARKETS,
      SANDBOX_LSPS_PER_MARKET: String(LSPS_PER_MARKET), SANDBOX_STORES_PER_LSP: '1', SANDBOX_DEALS_PER_LSP: String(DEALS), SANDBOX_INCLUDE_FIXTURE: 'false',
    },
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  const lines = readline.createInterface({ input: child.stdout });
  const urls = await new Promise<{ pos: string; backoffice: string; odoo: string }>((resolve, reject) => {
    child.once('exit', (code) => reject(new Error(`sandbox exited ${code}`)));
    lines.on('line', (line) => {
      try {
        const msg = JSON.parse(line) as { msg?: string; urls?: { pos: string; backoffice: string; odoo: string } };
        if (msg.msg === 'sandbox listening' && msg.urls) resolve(msg.urls);
      } catch { /* not a log line */ }
    });
  });
  return { urls, cpuMs: () => processCpuMs(child.pid) ?? 0, stop: () => { child.kill('SIGTERM'); } };
}

async function cycle(label: string, concurrency: number, directory: SandboxDirectory, sandbox: RunningSandbox) {
  const { urls } = sandbox;
  const world = await createTestWorld(`bench-poller-${label}`);
  try {
    await seedLocations(world.db, directory.locations);
    const env = { ...world.env, ...pollerEnvFrom(directory, urls), LOG_LEVEL: 'warn', POLL_CONCURRENCY: String(concurrency), FETCH_TIMEOUT_MS: '30000' };
    const built = await buildPoller({ ...parseConfig(pollerEnv(env), env), posKeys: posKeysFrom(env) }, createLogger('bench-poller', 'warn'), `bench-${label}`);
    try {
      const cpu = process.cpuUsage();
      const sandboxCpu = sandbox.cpuMs();
      const started = process.hrtime.bigint();
      const result = await built.poller.runLocked();
      const ms = Number(process.hrtime.bigint() - started) / 1e6;
      const used = process.cpuUsage(cpu);
      const sandboxMs = sandbox.cpuMs() - sandboxCpu;
      if (result.kind !== 'done') throw new Error('cycle skipped');
      const s = result.summary;
      if (s.locationsFailed) throw new Error(`${s.locationsFailed} stores failed: ${JSON.stringify(s.failures.slice(0, 3))}`);
      const deals = s.upserts;
      const out = { deals, cycle_ms: Math.round(ms), deals_per_s: Math.round(deals / (ms / 1000)), cpu_ms_per_1000_deals: Math.round(((used.user + used.system) / 1000 / deals) * 1000 * 10) / 10,
        sandbox_cpu_ms_per_1000_deals: Math.round((sandboxMs / deals) * 1000 * 10) / 10,
      };
      console.log(`[bench:poller] ${label}: concurrency ${concurrency}, ${s.locations} stores, ${deals} deals in ${out.cycle_ms} ms = ${out.deals_per_s} deals/s, ${out.cpu_ms_per_1000_deals} CPU ms per 1,000 deals (sandbox ${out.sandbox_cpu_ms_per_1000_deals})`);
      return out;
    } finally {
      await built.close();
    }
  } finally {
    await world.close();
  }
}

async function main(): Promise<void> {
  await stack.up();
  process.env.KAFKA_BROKERS ??= stack.endpoints.KAFKA_BROKERS;
  process.env.SCHEMA_REGISTRY_URL ??= stack.endpoints.SCHEMA_REGISTRY_URL;
  process.env.DATABASE_URL ??= stack.endpoints.DATABASE_URL;
  process.env.REDIS_URL ??= stack.endpoints.REDIS_URL;
  console.log(`[bench:poller] starting the sandbox: ${MARKETS} × ${LSPS_PER_MARKET} stores × ${DEALS} deals`);
  const sandbox = await startSandbox();
  try {
    const directory = (await (await fetch(`${sandbox.urls.pos}/admin/stores`)).json()) as SandboxDirectory;
    console.log(`[bench:poller] sandbox up: ${directory.locations.length} stores`);
    const target = await cycle('c8', 8, directory, sandbox);
    const baseline = process.env.BENCH_SKIP_BASELINE ? target : await cycle('c1', 1, directory, sandbox);
    const rss = Math.round(process.memoryUsage().rss / 1024 / 1024);
    console.log(JSON.stringify({
      bench: 'poller',
      metrics: { deals_per_s: target.deals_per_s, cpu_ms_per_1000_deals: target.cpu_ms_per_1000_deals, sandbox_cpu_ms_per_1000_deals: target.sandbox_cpu_ms_per_1000_deals, cycle_ms: target.cycle_ms, deals: target.deals, concurrency: 8, rss_mb: rss },
      baseline: { deals_per_s: baseline.deals_per_s, cpu_ms_per_1000_deals: baseline.cpu_ms_per_1000_deals, sandbox_cpu_ms_per_1000_deals: baseline.sandbox_cpu_ms_per_1000_deals, cycle_ms: baseline.cycle_ms, concurrency: 1 },
      ratio: Math.round((target.deals_per_s / baseline.deals_per_s) * 100) / 100,
      target: { deals_per_s: 10000, concurrency: 8 },
      met: target.deals_per_s >= 10000,
    }));
  } finally {
    sandbox.stop();
  }
}

main().then(() => process.exit(0), (e: unknown) => { console.error(e); process.exit(1); });
