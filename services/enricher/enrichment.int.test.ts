/**
 * Phase 2 against the running pipeline (real Kafka, registry, Postgres, Redis; the sandbox Odoo):
 * the chain's catalog enriches the storefront's items, an image or description changed in Odoo reaches
 * the item within seconds without an inventory poll, a product leaving the catalog falls back to the
 * POS feed's values (never blanks), and replaying products.enrichment.v1 rebuilds it.
 */
import request from 'supertest';
import { createProducer } from '../../shared/kafka';
import { eventually } from '../../test/support/deals';
import { createTestWorld, type TestWorld } from '../../test/support/integration';
import { givenPipeline, type PipelineWorld } from '../../test/support/pipeline';
import { ContractRoutes, type ContractItem } from '../../test/support/storefront';
import { runEnrichmentReplay } from '../projector/enrichment-replay';
import type { SandboxStore } from '../sandbox/stores';

describe('phase 2: product enrichment from the sandbox Odoo, through the pipeline', () => {
  let world: TestWorld;
  let pipe: PipelineWorld;
  let store: SandboxStore;
  const get = (path: string) => request(pipe.app).get(path).set('Accept', 'application/json');
  const item = async (sku: string): Promise<ContractItem | undefined> => {
    const res = await get(`/api/locations/${store.id}/inventory/${sku}`);
    return res.status === 200 ? ContractRoutes.item.parse(res.body).data : undefined;
  };
  const catalog = () => pipe.pw.sandbox.odoo.records('product.template', [['x_dutchie_store_id', '=', false]]);
  const feedRecord = (sku: string) => pipe.pw.sandbox.inventory.list(store.posLocId)!.find((r) => r.sku === sku && r.isActive !== false)!;

  beforeAll(async () => {
    world = await createTestWorld('enrichment');
    pipe = await givenPipeline(world, { markets: ['AZ'], lspsPerMarket: 1, storesPerLsp: 2, dealsPerLsp: 20, includeFixture: false, ptlDealsPerMarket: 0 });
    store = pipe.pw.sandbox.directory().locations[0]!;
    await pipe.pollOnce();
    const described = catalog().find((t) => feedRecord(String(t.default_code)) !== undefined)!;
    await eventually(() => item(String(described.default_code)), (i) => i?.images[0]?.url === described.x_image_url, 90_000);
  }, 180_000);
  afterAll(async () => { await pipe?.close(); await world.close(); }, 60_000);

  it('items the catalog describes carry its images, description, effects, tags, staff pick and slug; the others are exactly the feed\'s', async () => {
    const skus = new Set(pipe.pw.sandbox.inventory.list(store.posLocId)!.filter((r) => r.isActive !== false).map((r) => r.sku));
    const described = catalog().filter((t) => skus.has(String(t.default_code)));
    expect(described.length).toBeGreaterThan(5);
    for (const t of described.slice(0, 10)) {
      const i = (await item(String(t.default_code)))!;
      expect(i.description).toBe(t.description_sale);
      expect(i.image_url).toBe(t.x_image_url);
      expect(i.images.map((x) => x.url).slice(0, JSON.parse(String(t.x_images)).length)).toEqual(JSON.parse(String(t.x_images)));
      expect(i.effects).toEqual(JSON.parse(String(t.x_effects)));
      for (const tag of JSON.parse(String(t.x_tags)) as string[]) expect(i.tags).toContain(tag);
      expect(i.staff_pick).toBe(t.x_staff_pick);
      expect(i.slug).toBe(t.x_slug);
      const r = feedRecord(String(t.default_code));
      // never blanks a POS value: the feed's image stays among the images, its tags stay
      if (r.imageUrl) expect(i.images.map((x) => x.url)).toContain(r.imageUrl);
      for (const tag of r.tags) expect(i.tags).toContain(tag.tagName);
    }
    const plain = [...skus].find((sku) => !described.some((t) => t.default_code === sku))!;
    const r = feedRecord(plain);
    const i = (await item(plain))!;
    expect(i).toMatchObject({ description: r.description ?? null, image_url: r.imageUrl ?? null, effects: [], slug: null, staff_pick: false });
  });

  it('an image or a description changed in Odoo is on the item within seconds, with no inventory poll', async () => {
    const t = catalog().find((x) => feedRecord(String(x.default_code)) !== undefined)!;
    const sku = String(t.default_code);
    const publishedBefore = await world.db.selectFrom('inventory_published').select(['inventory_id', 'content_hash']).where('location_id', '=', store.id).execute();
    let stop = false;
    // the enricher's loop, as the service runs it (ENRICHMENT_POLL_INTERVAL_MS, here 250 ms)
    const loop = (async () => { while (!stop) { await pipe.enricher.runLocked(); await new Promise((r) => setTimeout(r, 250)); } })();
    try {
      const started = Date.now();
      pipe.pw.sandbox.odoo.write('product.template', [t.id], { x_image_url: 'https://images.mint.test/new-shot.jpg', description_sale: 'Rewritten by the buyers today.' });
      const after = await eventually(() => item(sku), (i) => i?.image_url === 'https://images.mint.test/new-shot.jpg' && i.description === 'Rewritten by the buyers today.', 15_000);
      const seconds = (Date.now() - started) / 1000;
      expect(after).toMatchObject({ image_url: 'https://images.mint.test/new-shot.jpg', description: 'Rewritten by the buyers today.' });
      expect(after!.images[0]!.url).toBe('https://images.mint.test/new-shot.jpg');
      expect(seconds).toBeLessThan(10);
    } finally {
      stop = true;
      await loop;
    }
    const publishedAfter = await world.db.selectFrom('inventory_published').select(['inventory_id', 'content_hash']).where('location_id', '=', store.id).execute();
    expect(publishedAfter).toEqual(publishedBefore);
  });

  it('a product that leaves the catalog shows the feed\'s values again, never blanks', async () => {
    const t = catalog().find((x) => { const r = feedRecord(String(x.default_code)); return r !== undefined && r.imageUrl !== undefined; })!;
    const sku = String(t.default_code);
    const r = feedRecord(sku);
    pipe.pw.sandbox.odoo.unlink('product.template', [t.id]);
    await pipe.enricher.runLocked();
    const i = await eventually(() => item(sku), (x) => x?.image_url === r.imageUrl, 30_000);
    expect(i).toMatchObject({ image_url: r.imageUrl, description: r.description ?? null, effects: [], slug: null });
    expect(i!.images).toEqual([{ url: r.imageUrl }]);
  });

  it('replaying products.enrichment.v1 rebuilds the enrichment (table dropped, snapshots rebuilt from the topic)', async () => {
    const t = catalog().find((x) => feedRecord(String(x.default_code)) !== undefined)!;
    const sku = String(t.default_code);
    const before = (await item(sku))!;
    expect(before.slug).toBe(t.x_slug);
    const producer = createProducer(world.kafka);
    await producer.connect();
    try {
      const result = await runEnrichmentReplay({
        kafka: world.kafka, serde: world.serde, db: world.db, redis: world.redis, producer, logger: world.logger, topicPrefix: world.topicPrefix, redisPrefix: world.redisPrefix,
      });
      expect(result.events).toBeGreaterThan(0);
    } finally {
      await producer.disconnect();
    }
    const rows = await world.db.selectFrom('product_enrichment').select('sku').where('removed', '=', false).execute();
    expect(rows.map((x) => x.sku)).toContain(sku);
    const after = await eventually(() => item(sku), (i) => i?.slug === t.x_slug, 30_000);
    expect({ ...after, synced_at: null }).toEqual({ ...before, synced_at: null });
  });
});
