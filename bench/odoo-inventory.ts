/**
 * `npm run bench:odoo-inventory`: phase 5's Odoo side. BENCH_ITEMS store products (packages already folded
 * in `odoo_inventory_packages`, over BENCH_STORES stores, one SKU a package) pushed into the sandbox Odoo by
 * the inventory sink with quantities on: first created (warehouses, products, variants, quants), then every
 * quantity changed (writes). The same for a baseline in the same run: one record per call, one call at a
 * time (the original's row-by-row sync). Reports items/s and Odoo calls per item. Ends with one JSON line.
 *
 * BENCH_ITEMS (default 5000), BENCH_BASELINE_ITEMS (default 1000), BENCH_STORES (default 5),
 * BENCH_ODOO_LATENCY_MS (default 0: added to every JSON-RPC call, to model a real Odoo's round trip).
 */
import * as stack from '../stack/stack';
import { createLogger } from '../shared/logger';
import { createInventorySink } from '../services/odoo-sink/inventory-sink';
import { createOdooClient } from '../services/odoo-sink/odoo-client';
import { Sandbox } from '../services/sandbox/sandbox';
import { benchWorld, log, result } from './support';

const ITEMS = Number(process.env.BENCH_ITEMS ?? 5000);
const BASELINE_ITEMS = Number(process.env.BENCH_BASELINE_ITEMS ?? 1000);
const STORES = Number(process.env.BENCH_STORES ?? 5);
const LATENCY_MS = Number(process.env.BENCH_ODOO_LATENCY_MS ?? 0);

interface Phase { items: number; seconds: number; items_per_s: number; odoo_calls: number; odoo_calls_per_item: number }

async function run(label: string, n: number, batchSize: number, concurrency: number): Promise<{ create: Phase; update: Phase }> {
  const world = await benchWorld(`bench-odooinv-${label}`);
  const sandbox = new Sandbox({ markets: ['AZ'], lspsPerMarket: 1, storesPerLsp: 1, dealsPerLsp: 1, includeFixture: false, ptlDealsPerMarket: 0, catalogShare: 0 });
  const running = await sandbox.start();
  if (LATENCY_MS > 0) sandbox.faults.add({ endpoint: 'odoo.jsonrpc', kind: 'latency', latencyMs: LATENCY_MS });
  const logger = createLogger('bench-odoo-inventory', 'warn');
  try {
    const stores = Array.from({ length: STORES }, (_, i) => `bench-store-${i}`);
    await world.db.insertInto('locations').values(stores.map((id, i) => ({ id, name: `Mint Bench ${i}`, state: 'AZ', time_zone: 'America/Phoenix', lsp_id: 1, pos_loc_id: 9000 + i, dutchie_api: 'pos' as const, org_id: null }))).execute();
    const touched = Array.from({ length: n }, (_, i) => ({ locationId: stores[i % STORES]!, sku: `SKU-${i}` }));
    const fold = async (quantity: (i: number) => number) => {
      for (let i = 0; i < n; i += 1000) {
        await world.db.insertInto('odoo_inventory_packages').values(touched.slice(i, i + 1000).map((t, j) => ({
          id: `${t.locationId}_${i + j}`, location_id: t.locationId, sku: t.sku, version: Date.now(),
          package: JSON.stringify({ inventoryId: String(i + j), productId: String(50_000 + i + j), name: `Bench product ${i + j}`, price: '25.5', cost: '11.48', weightGrams: '3.5', quantity: String(quantity(i + j)), isActive: true }),
        }))).onConflict((oc) => oc.column('id').doUpdateSet({ package: (eb) => eb.ref('excluded.package') })).execute();
      }
    };
    const odoo = createOdooClient({ settings: { url: running.urls.odoo, ...sandbox.odooAuth, timeoutMs: 30_000, retries: 2 }, logger });
    const sink = createInventorySink({ odoo, db: world.db, logger, batchSize, concurrency, quants: true });
    const phase = async (name: string): Promise<Phase> => {
      sandbox.odoo.resetCalls();
      const t0 = performance.now();
      await sink.apply(touched);
      const seconds = (performance.now() - t0) / 1000;
      const calls = Object.entries(sandbox.odoo.callCounts()).filter(([k]) => k.includes('.')).reduce((s, [, v]) => s + v, 0);
      const p = { items: n, seconds: +seconds.toFixed(2), items_per_s: +(n / seconds).toFixed(1), odoo_calls: calls, odoo_calls_per_item: +(calls / n).toFixed(4) };
      log('odoo-inventory', `${label} ${name}: ${JSON.stringify(p)}`);
      return p;
    };
    await fold((i) => i % 40);
    const create = await phase('create');
    if (sandbox.odoo.records('product.template').length !== n) throw new Error(`${label}: Odoo does not hold every product`);
    await fold((i) => (i % 40) + 1);
    const update = await phase('update');
    return { create, update };
  } finally {
    await running.close();
    await world.close();
  }
}

async function main(): Promise<void> {
  await stack.up();
  log('odoo-inventory', `batched: ${ITEMS} products over ${STORES} stores (≤ 50 records a call, 4 calls in flight, quantities on)`);
  const batched = await run('batched', ITEMS, 50, 4);
  log('odoo-inventory', `baseline: ${BASELINE_ITEMS} products, one record per call, one call at a time`);
  const baseline = await run('baseline', BASELINE_ITEMS, 1, 1);
  const rate = (r: { create: Phase; update: Phase }) => +((r.create.items + r.update.items) / (r.create.seconds + r.update.seconds)).toFixed(1);
  const ratio = +(rate(batched) / rate(baseline)).toFixed(2);
  const target = { create_odoo_calls_per_item_max: 0.15, update_odoo_calls_per_item_max: 1.1, ratio_min: 2 };
  result('odoo-inventory', {
    metrics: {
      items: ITEMS, stores: STORES, odoo_latency_ms: LATENCY_MS, items_per_s: rate(batched),
      create_items_per_s: batched.create.items_per_s, create_odoo_calls_per_item: batched.create.odoo_calls_per_item,
      update_items_per_s: batched.update.items_per_s, update_odoo_calls_per_item: batched.update.odoo_calls_per_item,
    },
    baseline: {
      items: BASELINE_ITEMS, items_per_s: rate(baseline), create_odoo_calls_per_item: baseline.create.odoo_calls_per_item, update_odoo_calls_per_item: baseline.update.odoo_calls_per_item,
    },
    ratio, target,
    met: batched.create.odoo_calls_per_item <= target.create_odoo_calls_per_item_max && batched.update.odoo_calls_per_item <= target.update_odoo_calls_per_item_max && ratio >= target.ratio_min,
  });
}

main().then(() => process.exit(0), (e: unknown) => { console.error(e); process.exit(1); });
