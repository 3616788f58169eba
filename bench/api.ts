/**
 * `npm run bench:api`: autocannon on GET /api/locations/:id/discounts of a 500-deal location,
 * against the deals API (child process, Redis + Postgres of an isolated world) and, same run,
 * against a bare express handler sending the same bytes from memory. Targets: >= 0.7 of the bare
 * rate, p99 <= 20 ms, deals-api resident memory under that load <= 200 MB.
 */
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { randomUUID } from 'node:crypto';
import autocannon from 'autocannon';
import { decideDeal, planBatch } from '../services/projector/handler';
import { applyToPostgres, rebuildLocation } from '../services/projector/store';
import { makeDeal } from '../test/support/deals';
import { ROOT, benchWorld, log, result, sleep, startService } from './support';

const DEALS = 500;
const DURATION_S = Number(process.env.BENCH_DURATION_S ?? 10);
const CONNECTIONS = Number(process.env.BENCH_CONNECTIONS ?? 10);
const say = (m: string) => log('api', m);

const freePort = () => new Promise<number>((resolve) => {
  const s = net.createServer().listen(0, '127.0.0.1', () => { const a = s.address() as net.AddressInfo; s.close(() => resolve(a.port)); });
});

async function waitUp(url: string): Promise<Buffer> {
  for (let i = 0; i < 200; i++) {
    try { const r = await fetch(url); if (r.ok) return Buffer.from(await r.arrayBuffer()); } catch { /* starting */ }
    await sleep(100);
  }
  throw new Error(`${url} did not come up`);
}

function cannon(url: string): Promise<autocannon.Result> {
  return autocannon({ url, connections: CONNECTIONS, duration: DURATION_S, headers: { accept: 'application/json' } });
}

async function main(): Promise<void> {
  const world = await benchWorld('api');
  const location = randomUUID();
  let api: ReturnType<typeof startService> | undefined;
  let bare: ReturnType<typeof spawn> | undefined;
  try {
    await world.db.insertInto('locations').values({ id: location, name: 'Bench store', state: 'AZ', time_zone: 'America/Phoenix', lsp_id: 1, pos_loc_id: 1, dutchie_api: 'pos', org_id: null }).execute();
    // 500 deals, a realistic mix of always-on, day-scoped and hour-scoped deals.
    const deals = Array.from({ length: DEALS }, (_, i) => makeDeal(location, i + 1, {
      name: `Bench deal ${i + 1} ${'x'.repeat(i % 40)}`, value: `0.${(i % 80) + 10}`,
      ...(i % 5 === 1 ? { startTime: '00:00:00', endTime: '23:59:59' } : {}),
      version: 1_767_000_000_000 + i,
    }));
    const plan = planBatch(deals.map((d) => decideDeal(d.id, d)));
    await applyToPostgres(world.db, plan);
    await rebuildLocation(world.db, world.redis, world.redisPrefix, location, new Date());

    const apiPort = await freePort();
    api = startService('deals-api', { ...world.env, PORT: String(apiPort) });
    const apiUrl = `http://127.0.0.1:${apiPort}/api/locations/${location}/discounts`;
    const body = await waitUp(apiUrl);
    say(`deals API up; body ${body.length} bytes, ${(JSON.parse(body.toString()) as { count: number }).count} live deals`);

    const bodyFile = path.join(os.tmpdir(), `bench-api-${location}.json`);
    fs.writeFileSync(bodyFile, body);
    const barePort = await freePort();
    bare = spawn(process.execPath, ['--import', 'tsx', 'bench/bare-server.ts'], { cwd: ROOT, env: { ...process.env, PORT: String(barePort), BODY_FILE: bodyFile }, stdio: 'inherit' });
    const bareUrl = `http://127.0.0.1:${barePort}/api/locations/${location}/discounts`;
    await waitUp(bareUrl);

    say(`autocannon ${CONNECTIONS} connections x ${DURATION_S} s: bare express`);
    const b = await cannon(bareUrl);
    say(`  bare: ${Math.round(b.requests.average)} req/s, p99 ${b.latency.p99} ms`);
    say('autocannon: deals API');
    api.peakRssMb = 0;
    const a = await cannon(apiUrl);
    say(`  deals API: ${Math.round(a.requests.average)} req/s, p99 ${a.latency.p99} ms, rss peak ${api.peakRssMb} MB, non-2xx ${a.non2xx}`);
    fs.rmSync(bodyFile, { force: true });

    const ratio = Math.round((a.requests.average / b.requests.average) * 1000) / 1000;
    result('api', {
      metrics: { requests_per_s: Math.round(a.requests.average), p50_ms: a.latency.p50, p99_ms: a.latency.p99, rss_mb_deals_api: api.peakRssMb, body_bytes: body.length, non_2xx: a.non2xx + a.errors },
      baseline: { requests_per_s: Math.round(b.requests.average), p99_ms: b.latency.p99, what: 'bare express handler sending the same bytes from memory' },
      ratio,
      target: { ratio: 0.7, p99_ms: 20, rss_mb: 200 },
      met: ratio >= 0.7 && a.latency.p99 <= 20 && api.peakRssMb <= 200 && a.non2xx + a.errors === 0,
    });
  } finally {
    bare?.kill('SIGTERM');
    await api?.stop();
    await world.close();
  }
}

main().then(() => process.exit(0), (e: unknown) => { console.error(e); process.exit(1); });
