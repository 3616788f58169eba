/**
 * Phase 5 against the real stack and the sandbox Odoo: sandbox stores -> poller (inventory cycle) ->
 * normaliser -> inventory.items.v2 -> odoo-sink with ODOO_INVENTORY_SYNC and ODOO_STOCK_QUANTS. After a
 * cycle Odoo holds each store's warehouse, products and quantities; a second cycle with no change makes no
 * write calls; a replay from the start makes no duplicates and no writes; the same SKU in two stores keeps
 * each store's values; off unless configured.
 */
import { createInventoryNormaliser, type InventoryNormaliser } from '../normaliser/inventory-consumer';
import { TOPICS, topicName } from '../../shared/topics';
import { createTestWorld, type TestWorld } from '../../test/support/integration';
import { caughtUp, eventually } from '../../test/support/odoo-sink';
import { givenSandboxAndPoller, type PollerWorld } from '../../test/support/poller';
import type { BuiltPoller } from '../poller/wiring';
import { parseOdooSinkConfig } from './config';
import { startOdooSink } from './main';

describe('phase 5: each store\'s inventory to the sandbox Odoo', () => {
  let world: TestWorld;
  let pw: PollerWorld;
  let poller: BuiltPoller;
  let normaliser: InventoryNormaliser;
  const sinks: Array<Awaited<ReturnType<typeof startOdooSink>>> = [];
  const odoo = () => pw.sandbox.odoo;
  const storeProducts = () => odoo().records('product.template', [['x_dutchie_store_id', '!=', false]]);
  const writes = () => Object.entries(odoo().callCounts()).filter(([k]) => /^(product\.template|product\.product|stock\.\w+)\.(create|write|unlink)$/.test(k));
  const startSink = async (env: NodeJS.ProcessEnv = {}) => {
    const s = await startOdooSink(parseOdooSinkConfig({
      ...world.env, ODOO_URL: pw.running.urls.odoo, ODOO_DB: pw.sandbox.odooAuth.db, ODOO_LOGIN: pw.sandbox.odooAuth.login, ODOO_API_KEY: pw.sandbox.odooAuth.apiKey,
      ODOO_INVENTORY_SYNC: 'true', ODOO_STOCK_QUANTS: 'true', SINK_RETRY_BASE_MS: '50', ...env,
    }), { withOps: false });
    sinks.push(s);
    return s;
  };
  const settle = (group: string) => eventually(() => caughtUp(world.kafka, `${world.topicPrefix}${group}`, topicName(world.topicPrefix, TOPICS.inventoryItems)), 90_000, `${group} caught up`);
  const itemsSettled = () => eventually(() => caughtUp(world.kafka, `${world.topicPrefix}normaliser-inventory`, topicName(world.topicPrefix, TOPICS.inventoryRaw)), 90_000, 'normaliser caught up');

  /** What the store's products and quants should be, from the sandbox feed (active packages; quantities summed). */
  const expected = (posLocId: number) => {
    const bySku = new Map<string, number>();
    for (const r of pw.sandbox.inventory.list(posLocId)!) bySku.set(r.sku, (bySku.get(r.sku) ?? 0) + (r.isActive === false ? 0 : Math.max(0, r.quantityAvailable)));
    return bySku;
  };

  beforeAll(async () => {
    world = await createTestWorld('odoo-inventory');
    pw = await givenSandboxAndPoller(world, { markets: ['AZ', 'FL'], lspsPerMarket: 1, storesPerLsp: 1, dealsPerLsp: 5, includeFixture: false, ptlDealsPerMarket: 0, catalogShare: 0 });
    poller = await pw.poller();
    normaliser = createInventoryNormaliser({ kafka: world.kafka, serde: world.serde, logger: world.logger, topicPrefix: world.topicPrefix, partitions: 3, groupId: `${world.topicPrefix}normaliser-inventory` });
    await normaliser.start();
  }, 120_000);
  afterAll(async () => {
    for (const s of sinks) await s.stop().catch(() => undefined);
    await normaliser?.stop();
    await pw?.close();
    await world.close();
  }, 60_000);

  it('is off unless configured: the sink alone writes no product', async () => {
    await startSink({ ODOO_INVENTORY_SYNC: 'false', SINK_GROUP_ID: 'deals-only' });
    expect(sinks[0]!.inventory).toBeUndefined();
    await sinks.shift()!.stop();
  });

  it('after a cycle Odoo holds each store\'s warehouse, its products (list price, cost, weight, Dutchie ids) and quantities', async () => {
    await startSink();
    expect(await poller.inventory.runLocked()).toMatchObject({ failed: 0 });
    await itemsSettled();
    await settle('odoo-sink-inventory');
    for (const store of pw.sandbox.state.stores) {
      const [wh] = odoo().records('stock.warehouse', [['x_dutchie_store_id', '=', store.id]]);
      expect(wh).toMatchObject({ name: store.name, code: expect.stringMatching(/^[0-9A-Z]{5}$/) });
      const want = expected(store.posLocId);
      const products = storeProducts().filter((p) => p.x_dutchie_store_id === store.id);
      expect(products.map((p) => p.default_code).sort()).toEqual([...want.keys()].sort());
      const feed = pw.sandbox.inventory.list(store.posLocId)!;
      for (const p of products.slice(0, 20)) {
        const packages = feed.filter((r) => r.sku === p.default_code).sort((a, b) => a.inventoryId - b.inventoryId);
        const lead = packages.find((r) => r.isActive !== false && r.quantityAvailable > 0) ?? packages.find((r) => r.isActive !== false) ?? packages[0]!;
        expect(p).toMatchObject({ name: lead.productName, list_price: lead.unitPrice, standard_price: lead.unitCost, x_dutchie_product_id: String(lead.productId), x_dutchie_inventory_ids: packages.map((r) => r.inventoryId).join(',') });
        const [variant] = odoo().records('product.product', [['product_tmpl_id', '=', p.id]]);
        const [quant] = odoo().records('stock.quant', [['product_id', '=', variant!.id], ['location_id', '=', wh!.lot_stock_id as number]]);
        expect(quant!.quantity).toBe(want.get(String(p.default_code)));
      }
    }
  });

  it('a second cycle with no change makes no write calls', async () => {
    odoo().resetCalls();
    expect(await poller.inventory.runLocked()).toMatchObject({ failed: 0, upserts: 0, removals: 0 });
    await settle('odoo-sink-inventory');
    expect(writes()).toEqual([]);
  });

  it('a change of one package writes that product and its quantity only', async () => {
    const store = pw.sandbox.state.stores[0]!;
    const r = pw.sandbox.inventory.list(store.posLocId)!.find((x) => x.isActive !== false && x.quantityAvailable > 0)!;
    pw.sandbox.inventory.patch(store.posLocId, r.inventoryId, { quantityAvailable: r.quantityAvailable + 7 });
    odoo().resetCalls();
    await poller.inventory.runLocked();
    await itemsSettled();
    await eventually(() => {
      const [t] = storeProducts().filter((p) => p.x_dutchie_store_id === store.id && p.default_code === r.sku);
      const [v] = odoo().records('product.product', [['product_tmpl_id', '=', t!.id]]);
      return odoo().records('stock.quant', [['product_id', '=', v!.id]])[0]?.quantity === expected(store.posLocId).get(r.sku);
    }, 60_000, 'quantity written');
    await settle('odoo-sink-inventory');
    expect(Object.fromEntries(writes())).toEqual({ 'stock.quant.write': 1 });
  });

  it('the same SKU in two stores: each store\'s product keeps its own price and Dutchie ids', async () => {
    const [a, b] = pw.sandbox.state.stores;
    const shared = pw.sandbox.inventory.list(a!.posLocId)!.find((x) => x.isActive !== false)!;
    pw.sandbox.inventory.put(b!.posLocId, { ...shared, inventoryId: b!.posLocId * 100000 + 99_999, productId: 777_777, unitPrice: 123.45, recUnitPrice: 123.45 });
    await poller.inventory.runLocked();
    await itemsSettled();
    await eventually(() => storeProducts().filter((p) => p.default_code === shared.sku).length === 2, 60_000, 'second store product');
    await settle('odoo-sink-inventory');
    const both = storeProducts().filter((p) => p.default_code === shared.sku);
    expect(both.find((p) => p.x_dutchie_store_id === a!.id)).toMatchObject({ list_price: shared.unitPrice, x_dutchie_product_id: String(shared.productId) });
    expect(both.find((p) => p.x_dutchie_store_id === b!.id)).toMatchObject({ list_price: 123.45, x_dutchie_product_id: '777777' });
  });

  it('a replay from the start rebuilds the fold and makes no duplicates and no writes', async () => {
    const before = { products: storeProducts().length, quants: odoo().records('stock.quant').length, warehouses: odoo().records('stock.warehouse').length };
    for (const s of sinks.splice(0)) await s.stop();
    await world.db.deleteFrom('odoo_inventory_packages').execute();
    odoo().resetCalls();
    await startSink({ ODOO_INVENTORY_GROUP_ID: 'odoo-inventory-replay', SINK_GROUP_ID: 'odoo-sink-replay' });
    await settle('odoo-inventory-replay');
    expect(writes()).toEqual([]);
    expect({ products: storeProducts().length, quants: odoo().records('stock.quant').length, warehouses: odoo().records('stock.warehouse').length }).toEqual(before);
    expect(odoo().callCounts()['product.template.search_read']).toBeGreaterThan(0);
  });
});
