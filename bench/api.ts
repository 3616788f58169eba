/**
 * `npm run bench:api`: autocannon against the deals API (child process, Redis + Postgres of an
 * isolated world) and, same run, a bare express handler sending the same bytes from memory, for
 * the two calls every storefront page makes:
 *   discounts  GET /api/locations/:id/discounts of a 500-deal location
 *   inventory  GET /api/locations/:id/inventory?limit=500 (the storefront's page) of a store whose
 *              ~560 packages come from the sandbox's Dutchie feed, matched against the same deals
 * Targets, for each: >= 0.7 of the bare rate, p99 <= 20 ms; deals-api resident memory <= 200 MB.
 * The deals API runs as in production: request limits, the per-address rate limit (set far above
 * the benchmark's own rate, so it is paid for but never refuses), the negative cache.
 */
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { randomUUID } from 'node:crypto';
import autocannon from 'autocannon';
import type { InventoryItem } from '../shared/events';
import { redisKeys } from '../shared/redis';
import { normaliseInventory } from '../services/normaliser/inventory-handler';
import { applyInventoryBatch, loadDealsFromDb, rebuildInventorySnapshot } from '../services/projector/inventory-projection';
import { lspCatalog } from '../services/sandbox/catalog';
import { storeInventory } from '../services/sandbox/inventory';
import { makeDeal, projectDeals } from '../test/support/deals';
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

/** The store's packages as the pipeline carries them: the sandbox feed through the normaliser. */
function sandboxItems(location: string): InventoryItem[] {
  return storeInventory(42, { lspId: 7, posLocId: 4201 }, 400).map((record) => {
    const out = normaliseInventory({ eventId: 'e', api: 'pos', locationId: location, inventoryId: String(record.inventoryId), op: 'upsert', fetchedAt: 1_767_000_000_000, contentHash: 'h', record: JSON.stringify(record) });
    if (out.kind !== 'emit') throw new Error(`sandbox record did not map: ${JSON.stringify(out)}`);
    return out.value;
  });
}

interface CaseResult { requests_per_s: number; p50_ms: number; p99_ms: number; body_bytes: number; non_2xx: number; bare_requests_per_s: number; bare_p99_ms: number; ratio: number }

async function runCase(name: string, apiUrl: string, routePath: string, api: ReturnType<typeof startService>): Promise<CaseResult> {
  const body = await waitUp(apiUrl);
  const bodyFile = path.join(os.tmpdir(), `bench-api-${randomUUID()}.json`);
  fs.writeFileSync(bodyFile, body);
  const barePort = await freePort();
  const bare = spawn(process.execPath, ['--import', 'tsx', 'bench/bare-server.ts'], { cwd: ROOT, env: { ...process.env, PORT: String(barePort), BODY_FILE: bodyFile, ROUTE_PATH: routePath }, stdio: 'inherit' });
  try {
    const bareUrl = `http://127.0.0.1:${barePort}${new URL(apiUrl).pathname}${new URL(apiUrl).search}`;
    await waitUp(bareUrl);
    say(`${name}: body ${body.length} bytes; autocannon ${CONNECTIONS} connections x ${DURATION_S} s: bare express`);
    const b = await cannon(bareUrl);
    say(`  bare: ${Math.round(b.requests.average)} req/s, p99 ${b.latency.p99} ms`);
    say(`${name}: autocannon: deals API`);
    const a = await cannon(apiUrl);
    say(`  deals API: ${Math.round(a.requests.average)} req/s, p99 ${a.latency.p99} ms, rss peak so far ${api.peakRssMb} MB, non-2xx ${a.non2xx}`);
    return {
      requests_per_s: Math.round(a.requests.average), p50_ms: a.latency.p50, p99_ms: a.latency.p99, body_bytes: body.length, non_2xx: a.non2xx + a.errors,
      bare_requests_per_s: Math.round(b.requests.average), bare_p99_ms: b.latency.p99, ratio: Math.round((a.requests.average / b.requests.average) * 1000) / 1000,
    };
  } finally {
    bare.kill('SIGTERM');
    fs.rmSync(bodyFile, { force: true });
  }
}

async function main(): Promise<void> {
  const world = await benchWorld('api');
  const location = randomUUID();
  let api: ReturnType<typeof startService> | undefined;
  try {
    await world.db.insertInto('locations').values({ id: location, name: 'Bench store', state: 'AZ', time_zone: 'America/Phoenix', lsp_id: 7, pos_loc_id: 4201, dutchie_api: 'pos', org_id: null }).execute();
    // 500 deals, a realistic mix of always-on, day-scoped and hour-scoped deals, targeting the store's
    // brands, categories and products (so the inventory page carries real matches)
    const catalog = lspCatalog(42, 7);
    const items = sandboxItems(location);
    const deals = Array.from({ length: DEALS }, (_, i) => makeDeal(location, i + 1, {
      name: `Bench deal ${i + 1} ${'x'.repeat(i % 40)}`, value: `0.${(i % 80) + 10}`,
      restrictions: [
        { brand: { ids: [String(catalog.brands[i % catalog.brands.length]!.id)], isExclusion: false } },
        { category: { ids: [String(catalog.categories[i % catalog.categories.length]!.id)], isExclusion: false } },
        { product: { ids: [items[(i * 7) % items.length]!.productId], isExclusion: false } },
        {},
      ][i % 4]!,
      ...(i % 5 === 1 ? { startTime: '00:00:00', endTime: '23:59:59' } : {}),
      version: 1_767_000_000_000 + i,
    }));
    await projectDeals(world, deals, new Date());
    await applyInventoryBatch(world.db, items.map((item) => ({ key: item.id, item, version: item.version })), new Date());
    const snapshot = await rebuildInventorySnapshot({ db: world.db, redis: world.redis, inventoryKey: redisKeys(world.redisPrefix).inventory, loadDeals: (id) => loadDealsFromDb(world.db, id), now: Date.now }, location);
    say(`store: ${items.length} packages, ${snapshot?.deals ?? 0} deals matching some package`);

    const apiPort = await freePort();
    // the per-address limit stays on (its cost is part of every request) but far above what one client sends here
    api = startService('deals-api', { ...world.env, PORT: String(apiPort), RATE_LIMIT_PER_MIN: '100000000' });
    const base = `http://127.0.0.1:${apiPort}/api/locations/${location}`;
    const discounts = await runCase('discounts', `${base}/discounts`, '/api/locations/:id/discounts', api);
    const inventory = await runCase('inventory', `${base}/inventory?limit=500`, '/api/locations/:id/inventory', api);

    const ratio = Math.min(discounts.ratio, inventory.ratio);
    const ok = (c: CaseResult) => c.ratio >= 0.7 && c.p99_ms <= 20 && c.non_2xx === 0;
    result('api', {
      metrics: {
        requests_per_s: discounts.requests_per_s, p50_ms: discounts.p50_ms, p99_ms: discounts.p99_ms, body_bytes: discounts.body_bytes,
        inventory_requests_per_s: inventory.requests_per_s, inventory_p50_ms: inventory.p50_ms, inventory_p99_ms: inventory.p99_ms, inventory_body_bytes: inventory.body_bytes,
        rss_mb_deals_api: api.peakRssMb, non_2xx: discounts.non_2xx + inventory.non_2xx,
      },
      baseline: {
        requests_per_s: discounts.bare_requests_per_s, p99_ms: discounts.bare_p99_ms,
        inventory_requests_per_s: inventory.bare_requests_per_s, inventory_p99_ms: inventory.bare_p99_ms,
        what: 'bare express handler sending the same bytes from memory, per call',
      },
      ratio,
      target: { ratio: 0.7, p99_ms: 20, rss_mb: 200 },
      met: ok(discounts) && ok(inventory) && api.peakRssMb <= 200,
    });
  } finally {
    await api?.stop();
    await world.close();
  }
}

main().then(() => process.exit(0), (e: unknown) => { console.error(e); process.exit(1); });
