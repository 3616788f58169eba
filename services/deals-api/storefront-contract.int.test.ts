/**
 * The storefront's contract (../shared/domain/storefront-contract.md), held against the running
 * pipeline: sandbox stores in every market (POS and Backoffice, the recorded fixture store, one store
 * whose id is not a UUID) -> poller -> normaliser -> projector -> deals API, over the real Kafka,
 * registry, Postgres and Redis. Every route's fields and types are pinned (test/support/storefront.ts),
 * and the storefront's own pricing rule, applied to what we serve, must agree with our matcher.
 */
import request from 'supertest';
import { TOPICS, topicName } from '../../shared/topics';
import { eventually } from '../../test/support/deals';
import { createTestWorld, type TestWorld } from '../../test/support/integration';
import { givenPipeline, type PipelineWorld } from '../../test/support/pipeline';
import {
  ContractRoutes, storefrontMerge, storefrontPrice, storefrontPrices, storefrontProductsPage, storefrontTargets,
  type ContractDiscount, type ContractItem,
} from '../../test/support/storefront';
import { FIXTURE_STORE, type SandboxStore } from '../sandbox/stores';
import type { StorefrontItem } from '../../shared/inventory/storefront';

type ServedItem = ContractItem & Pick<StorefrontItem, 'deal_price' | 'deal_count' | 'deals'>;

describe('the storefront contract, against the running pipeline', () => {
  let world: TestWorld;
  let pipe: PipelineWorld;
  let stores: SandboxStore[];
  const get = (path: string) => request(pipe.app).get(path).set('Accept', 'application/json');

  /** Every package of a store through the storefront's own paging (limit 500, offset omitted when 0). */
  async function allItems(storeId: string): Promise<{ items: ServedItem[]; pages: number; total: number }> {
    const items: ServedItem[] = [];
    for (let offset = 0, pages = 1; ; offset += 500, pages += 1) {
      const res = await get(`/api/locations/${storeId}/inventory?limit=500${offset ? `&offset=${offset}` : ''}`).expect(200);
      const page = ContractRoutes.inventory.parse(res.body);
      items.push(...(res.body.data as ServedItem[]));
      if (page.data.length < 500 || items.length >= page.total) return { items, pages, total: page.total };
    }
  }

  const activePackages = (store: SandboxStore) => pipe.pw.sandbox.inventory.list(store.posLocId)!.filter((r) => r.isActive !== false);

  beforeAll(async () => {
    world = await createTestWorld('storefront-contract');
    pipe = await givenPipeline(world, { markets: ['AZ', 'FL', 'IL', 'MI', 'MO', 'NV'], lspsPerMarket: 1, storesPerLsp: 2, dealsPerLsp: 120 });
    stores = pipe.pw.sandbox.directory().locations;
    await pipe.pollOnce();
    // settled: every store has its deals synced and its whole inventory listed
    for (const s of stores) {
      await eventually(() => get(`/api/locations/${s.id}/sync-status`).then((r) => r.body as { lastSync?: string | null }), (b) => typeof b.lastSync === 'string', 90_000);
      await eventually(() => get(`/api/locations/${s.id}/inventory?limit=0`).then((r) => r.body as { total?: number }), (b) => b.total === activePackages(s).length, 90_000);
    }
  }, 300_000);
  afterAll(async () => { await pipe?.close(); await world.close(); }, 120_000);

  it('covers every market, both Dutchie APIs, the recorded store and a store id that is not a UUID; a second cycle finds no change anywhere', async () => {
    expect(new Set(stores.map((s) => s.state)).size).toBe(6);
    expect(new Set(stores.map((s) => s.api))).toEqual(new Set(['pos', 'backoffice']));
    expect(stores.some((s) => s.id === FIXTURE_STORE.id)).toBe(true);
    expect(stores.some((s) => /^[0-9a-f]{24}$/.test(s.id))).toBe(true);
    // every store's published state was remembered (change-only holds for every id shape)
    expect(await pipe.poller.poller.runLocked()).toMatchObject({ kind: 'done', summary: { locationsFailed: 0, upserts: 0, removals: 0 } });
    expect(await pipe.poller.inventory.runLocked()).toMatchObject({ failed: 0, upserts: 0, removals: 0 });
  });

  it('GET /health and /api/locations: {status, timestamp}; every store with {id, name, city, state, slug}', async () => {
    ContractRoutes.health.parse((await get('/health').expect(200)).body);
    const list = ContractRoutes.locations.parse((await get('/api/locations').expect(200)).body);
    expect(list.count).toBe(stores.length);
    expect(list.data.map((l) => l.id).sort()).toEqual(stores.map((s) => s.id).sort());
    for (const s of stores) expect(list.data.find((l) => l.id === s.id)).toEqual({ id: s.id, name: s.name, city: s.city, state: s.state, slug: s.slug });
  });

  it('GET /inventory pages every package of every store exactly once, with the contract\'s fields and types', async () => {
    for (const s of stores) {
      const { items, total } = await allItems(s.id);
      const expected = activePackages(s);
      expect(total).toBe(expected.length);
      expect(items.map((i) => i.id).sort()).toEqual(expected.map((r) => `${s.id}_${r.inventoryId}`).sort());
      expect(new Set(items.map((i) => i.id)).size).toBe(items.length);
      const names = items.map((i) => i.product_name ?? '\uffff');
      expect(names).toEqual([...names].sort((a, b) => (a < b ? -1 : a > b ? 1 : 0))); // ordered by product_name
      const byInventoryId = new Map(expected.map((r) => [String(r.inventoryId), r]));
      for (const item of items) {
        const record = byInventoryId.get(item.inventory_id)!;
        expect(item).toMatchObject({ location_id: s.id, product_id: String(record.productId), sku: record.sku, is_active: true, is_cannabis: record.isCannabis });
        expect(item.unit_price).toBe(record.unitPrice.toFixed(4));
        if (record.isCannabis) expect(item.is_cannabis).toBe(true);
        if (['Accessories', 'Merch'].includes(record.masterCategory)) expect(item.is_cannabis).toBe(false);
      }
      // several packages of one product are several items
      expect(new Set(items.map((i) => i.product_id)).size).toBeLessThan(items.length);
    }
  });

  it('the storefront\'s products page, filtering as its code does, shows products for every store, and deals reach them', async () => {
    let discounted = 0;
    for (const s of stores) {
      const { items } = await allItems(s.id);
      const discounts = ContractRoutes.discounts.parse((await get(`/api/locations/${s.id}/discounts`).expect(200)).body).data;
      const merged = storefrontMerge(items, discounts);
      expect({ store: s.id, products: storefrontProductsPage(merged).length > 0 }).toEqual({ store: s.id, products: true });
      discounted += storefrontProductsPage(merged).filter((p) => p.discount_name).length;
    }
    expect(discounted).toBeGreaterThan(0);
  });

  it('product enrichment (phase 2): items the Odoo catalog describes carry its images, description, effects, tags, staff pick and slug; the others keep the feed\'s values, none blanked', async () => {
    const catalog = new Map(pipe.pw.sandbox.odoo.records('product.template', [['x_dutchie_store_id', '=', false]]).map((t) => [String(t.default_code), t]));
    const list = (v: unknown): string[] => JSON.parse(String(v)) as string[];
    let enriched = 0;
    for (const s of stores) {
      const feed = new Map(activePackages(s).map((r) => [`${s.id}_${r.inventoryId}`, r]));
      const described = [...feed.values()].find((r) => catalog.has(r.sku))!;
      // the enricher read the catalog in the same poll: its enrichment is joined once the projector applied it
      await eventually(() => get(`/api/locations/${s.id}/inventory/${described.sku}`).then((r) => r.body as { data?: ContractItem }), (b) => b.data?.slug === catalog.get(described.sku)!.x_slug, 60_000);
      for (const item of (await allItems(s.id)).items) {
        const r = feed.get(item.id)!;
        const t = catalog.get(r.sku);
        const labThc = r.labResults?.some((l) => /THC/.test(l.labTest)) ?? false;
        if (t === undefined) {
          expect(item).toMatchObject({ description: r.description ?? null, image_url: r.imageUrl ?? null, images: r.imageUrl ? [{ url: r.imageUrl }] : [], effects: [], slug: null, staff_pick: false });
          continue;
        }
        enriched += 1;
        expect(item).toMatchObject({ description: t.description_sale, image_url: t.x_image_url, effects: list(t.x_effects), slug: t.x_slug, staff_pick: t.x_staff_pick });
        expect(item.images.map((i) => i.url)).toEqual([...list(t.x_images), ...(r.imageUrl && !list(t.x_images).includes(r.imageUrl) ? [r.imageUrl] : [])]);
        expect(item.tags).toEqual([...new Set([...r.tags.map((x) => x.tagName), ...list(t.x_tags)])]);
        // the package's own lab result wins; the catalog's potency fills a package without one
        if (!labThc) expect(item.potency_thc_formatted).toBe(t.x_potency_thc_formatted === false ? null : t.x_potency_thc_formatted);
      }
    }
    expect(enriched).toBeGreaterThan(stores.length * 10);
  });

  it('GET /categories and /brands are the distinct non-empty values of the items, sorted', async () => {
    for (const s of stores.slice(0, 4)) {
      const { items } = await allItems(s.id);
      const distinct = (xs: (string | null)[]) => [...new Set(xs.filter((x): x is string => !!x))].sort();
      const categories = ContractRoutes.categories.parse((await get(`/api/locations/${s.id}/categories`).expect(200)).body);
      expect(categories).toEqual({ categories: distinct(items.map((i) => i.category)), masterCategories: distinct(items.map((i) => i.master_category)) });
      const brands = ContractRoutes.brands.parse((await get(`/api/locations/${s.id}/brands`).expect(200)).body);
      expect(brands).toEqual({ brands: distinct(items.map((i) => i.brand_name)) });
    }
  });

  it('GET /discounts and /sync-status have the contract\'s fields and types; discount_type is in the storefront\'s vocabulary', async () => {
    for (const s of stores) {
      const body = ContractRoutes.discounts.parse((await get(`/api/locations/${s.id}/discounts`).expect(200)).body);
      expect(body.count).toBe(body.data.length);
      for (const d of (await get(`/api/locations/${s.id}/discounts`)).body.data as Array<ContractDiscount & { deal_kind: string }>) {
        const type = d.discount_type.toLowerCase();
        expect(type.includes('percent')).toBe(d.deal_kind === 'percent');
        expect(type.includes('price to amount')).toBe(d.deal_kind === 'price_to_amount');
      }
      ContractRoutes.syncStatus.parse((await get(`/api/locations/${s.id}/sync-status`).expect(200)).body);
    }
    const fixture = ContractRoutes.discounts.parse((await get(`/api/locations/${FIXTURE_STORE.id}/discounts`).expect(200)).body);
    expect(fixture.count).toBeGreaterThan(0);
  });

  it('the storefront\'s own pricing rule gives our matcher\'s price for every product-targeted deal it can price, and no price for the rest', async () => {
    let priced = 0;
    let unpriced = 0;
    for (const s of stores) {
      const discounts = ContractRoutes.discounts.parse((await get(`/api/locations/${s.id}/discounts`).expect(200)).body).data;
      const { items } = await allItems(s.id);
      // every product some deal targets, as /inventory/:sku serves it (with every live deal we matched)
      const targeted = [...new Set(items.filter((i) => i.sku !== null && discounts.some((d) => storefrontTargets(d, i))).map((i) => i.sku!))];
      for (const sku of targeted) {
        const item = (await get(`/api/locations/${s.id}/inventory/${sku}`).expect(200)).body.data as ServedItem;
        for (const d of discounts) {
          if (!storefrontTargets(d, item)) continue;
          const theirs = storefrontPrice(item, d);
          if (!storefrontPrices(d)) {
            expect(theirs).toBeUndefined();
            unpriced += 1;
            continue;
          }
          const ours = item.deals!.find((m) => m.id === d.id);
          expect({ deal: d.id, item: item.id, ours: ours?.unit_price ?? null }).toEqual({ deal: d.id, item: item.id, ours: expect.any(String) });
          // the storefront does not round (it shows toFixed(2) of a float); ours is exact, half-up to cents
          expect(Math.abs(theirs! - Number(ours!.unit_price))).toBeLessThanOrEqual(0.005 + 1e-9);
          priced += 1;
        }
      }
    }
    // not vacuous: the sandbox has product-targeted deals of both sorts
    expect(priced).toBeGreaterThan(10);
    expect(unpriced).toBeGreaterThan(5);
  });

  it('GET /inventory/:sku has the contract\'s shape, its discounts exactly as /discounts serves them', async () => {
    for (const s of stores.slice(0, 6)) {
      const { items } = await allItems(s.id);
      const withDeals = items.find((i) => i.deal_count > 0 && i.sku !== null) ?? items[0]!;
      const body = (await get(`/api/locations/${s.id}/inventory/${withDeals.sku!}`).expect(200)).body as { data: ServedItem; discounts: ContractDiscount[] };
      ContractRoutes.item.parse(body);
      expect(body.data.inventory_id).toBe(items.find((i) => i.sku === withDeals.sku)!.inventory_id); // the first package with that SKU
      expect(body.data.deal_count).toBe(withDeals.deal_count);
      const served = (await get(`/api/locations/${s.id}/discounts`).expect(200)).body.data as ContractDiscount[];
      expect(body.discounts.length).toBe(withDeals.deal_count);
      expect(body.discounts).toEqual(served.filter((d) => body.data.deals!.some((m) => m.id === d.id)));
    }
  });

  it('unknown and malformed location ids are a 404 on every route, never a 400 or a 5xx', async () => {
    const ids = ['00000000-0000-4000-8000-000000000000', 'abcdefabcdefabcdefabcdef', 'not_a_store', 'a%20b', '..%2F..', 'x'.repeat(300), '%00', "1'%20OR%201=1"];
    for (const id of ids) {
      for (const path of ['discounts', 'inventory?limit=500', 'inventory/SKU-1', 'categories', 'brands', 'sync-status']) {
        const res = await get(`/api/locations/${id}/${path}`);
        expect({ id, path, status: res.status }).toEqual({ id, path, status: 404 });
      }
    }
  });

  it('a deal disabled in the sandbox leaves /discounts and matching within one poll cycle; enabled again, it returns', async () => {
    const store = stores.find((s) => s.api === 'pos' && s.id !== FIXTURE_STORE.id)!;
    const { items } = await allItems(store.id);
    const matched = items.find((i) => i.deal_count > 0 && i.sku !== null)!;
    const dealId = ((await get(`/api/locations/${store.id}/inventory/${matched.sku!}`).expect(200)).body.data as ServedItem).deals![0]!.id;
    const discountId = Number(dealId.slice(store.id.length + 1));
    const admin = request(pipe.pw.running.urls.pos);
    const servedIds = async () => ((await get(`/api/locations/${store.id}/discounts`).expect(200)).body.data as ContractDiscount[]).map((d) => d.id);
    const matchedIds = async () => ((await get(`/api/locations/${store.id}/inventory/${matched.sku!}`).expect(200)).body.data as ServedItem).deals!.map((m) => m.id);
    expect(await servedIds()).toContain(dealId);

    await admin.patch(`/admin/lsps/${store.lspId}/deals/${discountId}`).send({ isActive: false }).expect(200);
    await pipe.poller.poller.runLocked(); // ONE cycle
    expect(await eventually(servedIds, (ids) => !ids.includes(dealId), 60_000)).not.toContain(dealId);
    expect(await eventually(matchedIds, (ids) => !ids.includes(dealId), 60_000)).not.toContain(dealId);
    for (const at of ['2020-01-01T00:00:00Z', new Date().toISOString(), '2199-01-01T00:00:00Z']) {
      expect(((await get(`/api/locations/${store.id}/discounts?at=${at}`).expect(200)).body.data as ContractDiscount[]).map((d) => d.id)).not.toContain(dealId);
    }

    await admin.patch(`/admin/lsps/${store.lspId}/deals/${discountId}`).send({ isActive: true }).expect(200);
    await pipe.poller.poller.runLocked();
    expect(await eventually(servedIds, (ids) => ids.includes(dealId), 60_000)).toContain(dealId);
    expect(await eventually(matchedIds, (ids) => ids.includes(dealId), 60_000)).toContain(dealId);
  }, 180_000);

  it('the 691 recorded fixture deals map with no dead letter', async () => {
    const admin = world.kafka.admin();
    await admin.connect();
    const dlq = topicName(world.topicPrefix, TOPICS.dlq);
    const offsets = await admin.fetchTopicOffsets(dlq);
    await admin.disconnect();
    const total = offsets.reduce((n, p) => n + Number(p.high), 0);
    const keys: string[] = [];
    if (total > 0) {
      const consumer = world.kafka.consumer({ groupId: `${world.topicPrefix}dlq-keys` });
      await consumer.connect();
      await consumer.subscribe({ topic: dlq, fromBeginning: true });
      await new Promise<void>((resolve) => { void consumer.run({ eachMessage: async ({ message }) => { keys.push(message.key?.toString() ?? ''); if (keys.length >= total) resolve(); } }); });
      await consumer.disconnect();
    }
    expect(keys.filter((k) => k.startsWith(FIXTURE_STORE.id))).toEqual([]);
    const rows = await world.db.selectFrom('discounts').select((eb) => eb.fn.countAll<string>().as('n')).where('location_id', '=', FIXTURE_STORE.id).executeTakeFirstOrThrow();
    expect(Number(rows.n)).toBeGreaterThan(0);
  }, 60_000);
});
