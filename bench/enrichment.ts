/**
 * `npm run bench:enrichment`: phase 2, both halves, each against a one-call-per-item baseline in the same run.
 *  - read: the enricher reads a catalog of BENCH_ITEMS products from the sandbox Odoo (pages of 1,000) and
 *    publishes them to products.enrichment.v1; the baseline asks Odoo for each SKU (one search_read per
 *    item) and publishes the same. items/s and Odoo calls per item.
 *  - join: a location of BENCH_ITEMS packages, every SKU enriched: the projector's snapshot rebuild (one
 *    Postgres read of the SKUs' enrichment, the pure join, the snapshot to Redis); the baseline reads each
 *    SKU's enrichment with its own query. items/s and Postgres queries per item.
 * Ends with one JSON line. BENCH_ITEMS (default 5000), BENCH_BASELINE_ITEMS (default 1000).
 */
import { Registry } from 'prom-client';
import * as stack from '../stack/stack';
import { createLogger } from '../shared/logger';
import { createProducer, ensureTopics } from '../shared/kafka';
import { redisKeys } from '../shared/redis';
import { TOPICS, topicName } from '../shared/topics';
import type { InventoryItem, ProductEnrichment } from '../shared/events';
import { enrichItems } from '../shared/inventory/enrichment';
import { buildSnapshot } from '../shared/inventory/snapshot';
import { createEnricher } from '../services/enricher/enricher';
import { CATALOG_FIELDS, toEnrichment } from '../services/enricher/handler';
import { createOdooClient } from '../services/odoo-sink/odoo-client';
import { rebuildInventorySnapshot } from '../services/projector/inventory-projection';
import { Sandbox } from '../services/sandbox/sandbox';
import { anItem } from '../test/support/inventory';
import { benchWorld, log, result } from './support';

const ITEMS = Number(process.env.BENCH_ITEMS ?? 5000);
const BASELINE_ITEMS = Number(process.env.BENCH_BASELINE_ITEMS ?? 1000);

const catalogTemplate = (i: number) => ({
  name: `Bench product ${i}`, default_code: `SKU-B-${i}`, description_sale: `The buyers' text for product ${i}.`, x_image_url: `https://images.mint.test/${i}/1.jpg`,
  x_images: JSON.stringify([`https://images.mint.test/${i}/1.jpg`, `https://images.mint.test/${i}/2.jpg`]), x_effects: '["Relaxed","Happy"]', x_tags: '["Local"]',
  x_staff_pick: i % 7 === 0, x_slug: `bench-product-${i}`, x_potency_thc_formatted: '24.5%',
});

async function main(): Promise<void> {
  await stack.up();
  const world = await benchWorld('bench-enrichment');
  const sandbox = new Sandbox({ markets: ['AZ'], lspsPerMarket: 1, storesPerLsp: 1, dealsPerLsp: 1, includeFixture: false, ptlDealsPerMarket: 0, catalogShare: 0 });
  const running = await sandbox.start();
  const logger = createLogger('bench-enrichment', 'warn');
  const producer = createProducer(world.kafka);
  try {
    const admin = world.kafka.admin();
    await admin.connect();
    await ensureTopics(admin, world.topicPrefix, [TOPICS.productEnrichment], 3);
    await admin.disconnect();
    await producer.connect();
    const topic = topicName(world.topicPrefix, TOPICS.productEnrichment);
    await world.serde.register(topic, TOPICS.productEnrichment.schema);
    sandbox.odoo.create('product.template', Array.from({ length: ITEMS }, (_, i) => catalogTemplate(i)));
    const odoo = createOdooClient({ settings: { url: running.urls.odoo, ...sandbox.odooAuth, timeoutMs: 30_000, retries: 2 }, logger });
    const calls = () => Object.entries(sandbox.odoo.callCounts()).filter(([k]) => k.includes('.')).reduce((s, [, v]) => s + v, 0);

    // --- read: the enricher's paged catalog read vs one search_read per SKU
    const enricher = createEnricher({
      db: world.db, producer, encode: (e) => world.serde.encode(topic, e), odoo, logger, metrics: new Registry(), now: Date.now,
      settings: { topicPrefix: world.topicPrefix, lockKey: 7_000_714, pageSize: 1000, fullSyncMs: 0 },
    });
    sandbox.odoo.resetCalls();
    let t0 = performance.now();
    const read = await enricher.runLocked();
    const readS = (performance.now() - t0) / 1000;
    if (read.kind !== 'done' || read.upserts !== ITEMS) throw new Error(`enricher read ${JSON.stringify(read)}`);
    const readCalls = calls();
    sandbox.odoo.resetCalls();
    t0 = performance.now();
    for (let i = 0; i < BASELINE_ITEMS; i++) {
      const [rec] = await odoo.executeKw<unknown[]>('product.template', 'search_read', [[['default_code', '=', `SKU-B-${i}`], ['x_dutchie_store_id', '=', false]]], { fields: [...CATALOG_FIELDS] });
      const p = toEnrichment(rec, Date.now());
      if (p.kind === 'ok') await producer.send({ topic, messages: [{ key: p.enrichment.sku, value: await world.serde.encode(topic, p.enrichment) }] });
    }
    const baseReadS = (performance.now() - t0) / 1000;
    const baseReadCalls = calls();

    // --- join: one location of ITEMS packages, every SKU enriched
    const location = 'bench-enrich-loc';
    const items: InventoryItem[] = Array.from({ length: ITEMS }, (_, i) => ({ ...anItem({ productId: String(i + 1), locationId: location }), sku: `SKU-B-${i}` }));
    for (let i = 0; i < ITEMS; i += 1000) {
      await world.db.insertInto('inventory').values(items.slice(i, i + 1000).map((it) => ({
        id: it.id, location_id: location, inventory_id: it.inventoryId, product_id: it.productId, sku: it.sku, name: it.name, category: it.category,
        brand_id: it.brandId, brand: it.brand, price: it.price, quantity: it.quantity, item: JSON.stringify(it), version: 1, removed: false, synced_at: new Date(),
      }))).execute();
      const enrichments = items.slice(i, i + 1000).map((it, j) => { const p = toEnrichment({ id: i + j + 1, ...catalogTemplate(i + j) }, 1); if (p.kind !== 'ok') throw new Error('catalog'); return p.enrichment; });
      await world.db.insertInto('product_enrichment').values(enrichments.map((e) => ({ sku: e.sku, payload: JSON.stringify(e), version: 1, removed: false, synced_at: new Date() }))).execute();
    }
    const deps = { db: world.db, redis: world.redis, inventoryKey: redisKeys(world.redisPrefix).inventory, loadDeals: () => Promise.resolve([]), now: Date.now };
    await rebuildInventorySnapshot(deps, location); // warm-up
    const runs = 5;
    t0 = performance.now();
    for (let r = 0; r < runs; r++) await rebuildInventorySnapshot(deps, location);
    const joinS = (performance.now() - t0) / 1000 / runs;
    // baseline: the same rebuild with each SKU's enrichment read by its own query
    const baseItems = items.slice(0, BASELINE_ITEMS);
    t0 = performance.now();
    const bySku = new Map<string, ProductEnrichment>();
    for (const it of baseItems) {
      const row = await world.db.selectFrom('product_enrichment').select('payload').where('sku', '=', it.sku!).where('removed', '=', false).executeTakeFirst();
      if (row) bySku.set(it.sku!, row.payload);
    }
    const snapshot = buildSnapshot(location, enrichItems(baseItems, bySku), [], Date.now());
    await world.redis.hset(redisKeys(world.redisPrefix).inventory(`${location}-baseline`), { snapshot: JSON.stringify(snapshot) });
    const baseJoinS = (performance.now() - t0) / 1000;

    const metrics = {
      items: ITEMS,
      read_items_per_s: +(ITEMS / readS).toFixed(1), read_odoo_calls_per_item: +(readCalls / ITEMS).toFixed(4),
      join_items_per_s: +(ITEMS / joinS).toFixed(1), join_queries_per_item: +(2 / ITEMS).toFixed(5),
    };
    const baseline = {
      items: BASELINE_ITEMS,
      read_items_per_s: +(BASELINE_ITEMS / baseReadS).toFixed(1), read_odoo_calls_per_item: +(baseReadCalls / BASELINE_ITEMS).toFixed(4),
      join_items_per_s: +(BASELINE_ITEMS / baseJoinS).toFixed(1), join_queries_per_item: 1,
    };
    log('enrichment', `read ${JSON.stringify({ seconds: +readS.toFixed(2), calls: readCalls })} baseline ${JSON.stringify({ seconds: +baseReadS.toFixed(2), calls: baseReadCalls })}`);
    log('enrichment', `join ${ITEMS} items in ${(joinS * 1000).toFixed(0)} ms; baseline ${BASELINE_ITEMS} in ${(baseJoinS * 1000).toFixed(0)} ms`);
    const ratio = +Math.min(metrics.read_items_per_s / baseline.read_items_per_s, metrics.join_items_per_s / baseline.join_items_per_s).toFixed(2);
    const target = { read_odoo_calls_per_item_max: 0.01, ratio_min: 5 };
    result('enrichment', { metrics, baseline, ratio, target, met: metrics.read_odoo_calls_per_item <= target.read_odoo_calls_per_item_max && ratio >= target.ratio_min });
  } finally {
    await producer.disconnect();
    await running.close();
    await world.close();
  }
}

main().then(() => process.exit(0), (e: unknown) => { console.error(e); process.exit(1); });
