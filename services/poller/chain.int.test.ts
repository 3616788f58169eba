/**
 * A real chain (issue 14) through the running pipeline: the stores come from the sandbox's CMS (no
 * `locations` seeded), keyed stores are placed with /whoami and read through POS with their own key,
 * keyless ones through Backoffice; a store opened in the CMS is served within one cycle with its deals and
 * inventory; a revoked POS key falls back to Backoffice without a false removal; a CMS outage or an empty
 * listing changes nothing; a store marked inactive is withdrawn (deals and inventory removed, logged).
 */
import { sql } from 'kysely';
import request from 'supertest';
import { eventually } from '../../test/support/deals';
import { createTestWorld, type TestWorld } from '../../test/support/integration';
import { givenPipeline, type PipelineWorld } from '../../test/support/pipeline';
import { ContractRoutes } from '../../test/support/storefront';
import type { CycleResult, CycleSummary } from './poller';
import type { SandboxStore } from '../sandbox/stores';

describe('a real chain: the store directory and the source choice, through the pipeline', () => {
  let world: TestWorld;
  let pipe: PipelineWorld;
  const get = (path: string) => request(pipe.app).get(path).set('Accept', 'application/json');
  const stores = () => pipe.pw.sandbox.state.stores;
  const activePackages = (s: SandboxStore) => pipe.pw.sandbox.inventory.list(s.posLocId)!.filter((r) => r.isActive !== false).length;
  const done = (r: CycleResult): CycleSummary => { if (r.kind !== 'done') throw new Error('cycle skipped'); return r.summary; };
  const discounts = async (id: string) => { const r = await get(`/api/locations/${id}/discounts`); return r.status === 200 ? ContractRoutes.discounts.parse(r.body).data : undefined; };
  const inventoryTotal = async (id: string) => { const r = await get(`/api/locations/${id}/inventory?limit=0`); return r.status === 200 ? (r.body as { total: number }).total : undefined; };
  const listed = async () => ContractRoutes.locations.parse((await get('/api/locations').expect(200)).body).data;
  /** the deals the store's feed applies to it (what the storefront gets when every deal is live and enabled is a subset) */
  const settled = async (s: SandboxStore) => {
    await eventually(() => get(`/api/locations/${s.id}/sync-status`).then((r) => r.body as { lastSync?: string | null }), (b) => typeof b.lastSync === 'string', 90_000);
    await eventually(() => inventoryTotal(s.id), (t) => t === activePackages(s), 90_000);
  };
  /** the Dutchie APIs the store's stored deals were read through */
  const sourceApis = async (id: string) => (await sql<{ api: string }>`select distinct payload->>'sourceApi' as api from discounts where location_id = ${id} and not removed`.execute(world.db)).rows.map((r) => r.api);
  const entryOf = (s: SandboxStore) => pipe.pw.sandbox.cms.list().find((e) => e.DutchieStoreID === s.id)!;

  beforeAll(async () => {
    world = await createTestWorld('chain');
    pipe = await givenPipeline(world, { markets: ['AZ', 'FL'], lspsPerMarket: 1, storesPerLsp: 2, dealsPerLsp: 40, includeFixture: false, ptlDealsPerMarket: 0 }, undefined, { directory: true });
    expect(await world.db.selectFrom('locations').select('id').execute()).toEqual([]);
    await pipe.pollOnce();
    for (const s of stores()) await settled(s);
  }, 300_000);
  afterAll(async () => { await pipe?.close(); await world.close(); }, 60_000);

  it('takes every store from the CMS: keyed stores placed by /whoami and read with their own key, keyless ones through Backoffice', async () => {
    const rows = await world.db.selectFrom('locations').selectAll().orderBy('pos_loc_id').execute();
    expect(rows.map((r) => r.id).sort()).toEqual(stores().map((s) => s.id).sort());
    for (const s of stores()) {
      const row = rows.find((r) => r.id === s.id)!;
      // the CMS gives a keyed store no LocId, city or state: /whoami did; the time zone follows the state
      expect(row).toMatchObject({ name: s.name, slug: s.slug, city: s.city, state: s.state, time_zone: s.timeZone, pos_loc_id: s.posLocId, lsp_id: s.lspId, org_id: s.orgId });
      expect(row).toMatchObject(s.api === 'pos' ? { dutchie_api: 'pos', has_store_key: true } : { dutchie_api: 'backoffice', has_store_key: false });
      expect((await discounts(s.id))!.length).toBeGreaterThan(0);
    }
    // the keyless (FL) stores were read through Backoffice, the keyed (AZ) ones with their own key
    for (const s of stores()) expect(await sourceApis(s.id)).toEqual([s.api]);
    expect(pipe.poller.keys.of({ id: stores()[0]!.id, lspId: stores()[0]!.lspId, hasStoreKey: true })).toMatchObject({ kind: 'key', origin: 'store' });
    expect((await listed()).map((l) => l.id).sort()).toEqual(stores().map((s) => s.id).sort());
  });

  it('a store opened in the CMS is at /api/locations within one cycle, with its deals and inventory', async () => {
    const lspId = stores().find((s) => s.api === 'pos')!.lspId;
    const { store } = pipe.pw.sandbox.openStore({ lspId, city: 'Yuma' });
    const s = done(await pipe.poller.poller.runLocked());
    expect(s).toMatchObject({ locationsFailed: 0, removals: 0 });
    expect((await listed()).find((l) => l.id === store.id)).toEqual({ id: store.id, name: store.name, city: 'Yuma', state: 'AZ', slug: store.slug });
    await pipe.poller.inventory.runLocked();
    await settled(store);
    const deals = await eventually(() => discounts(store.id), (d) => (d?.length ?? 0) > 0, 60_000);
    // its deals are the LSP's deals without a location restriction (those naming other stores do not reach it)
    const open = pipe.pw.sandbox.state.deals(lspId).filter((d) => d.locationRestrictions.length === 0 || d.locationRestrictions.includes(store.posLocId)).map((d) => d.id);
    for (const d of deals!) expect(open).toContain(d.discount_id);
  });

  it('a POS key revoked in Dutchie: the next cycle reads the store through Backoffice, says so, and removes nothing', async () => {
    const store = stores().find((s) => s.api === 'pos')!;
    const before = (await discounts(store.id))!.map((d) => d.id).sort();
    const beforeTotal = await inventoryTotal(store.id);
    await request(pipe.pw.running.urls.pos).post(`/admin/stores/${store.posLocId}/revoke-pos-key`).expect(200);
    const s = done(await pipe.poller.poller.runLocked());
    expect(s).toMatchObject({ locationsFailed: 0, removals: 0 });
    expect(s.fallbacks).toEqual([expect.objectContaining({ locationIds: [store.id], from: 'pos', to: 'backoffice', keyOrigin: 'store', reason: expect.stringMatching(/HTTP 401/) })]);
    expect(JSON.stringify(s.fallbacks)).not.toContain(pipe.pw.sandbox.state.storeKeys.get(store.posLocId)!);
    const inv = await pipe.poller.inventory.runLocked();
    expect(inv).toMatchObject({ failed: 0, removals: 0, fallbacks: 1 });
    expect(await pipe.poller.registry.getSingleMetricAsString('poller_source_fallbacks_total')).toMatch(/feed="deals",key="store",service="poller"} 1\n[\s\S]*feed="inventory",key="store",service="poller"} 1$/);
    // the same deals and packages, now from Backoffice: nothing was removed on the way
    await eventually(() => discounts(store.id), (d) => d?.map((x) => x.id).sort().join() === before.join(), 30_000);
    expect((await discounts(store.id))!.map((d) => d.id).sort()).toEqual(before);
    await eventually(() => sourceApis(store.id), (a) => a.join() === 'backoffice', 30_000);
    expect(await sourceApis(store.id)).toEqual(['backoffice']);
    expect(await inventoryTotal(store.id)).toBe(beforeTotal);
    const removed = await world.db.selectFrom('discounts').select('id').where('location_id', '=', store.id).where('removed', '=', true).execute();
    expect(removed).toEqual([]);
  });

  it('a CMS outage and an empty listing change nothing', async () => {
    const snapshot = async () => (await world.db.selectFrom('locations').select(['id', 'name', 'pos_loc_id', 'dutchie_api']).orderBy('id').execute());
    const before = await snapshot();
    pipe.pw.sandbox.faults.add({ endpoint: 'cms.stores', kind: 'status', status: 503 });
    try {
      expect(await pipe.poller.directory!.refresh()).toMatchObject({ kind: 'failed', reason: expect.stringMatching(/HTTP 503/) });
      expect(done(await pipe.poller.poller.runLocked())).toMatchObject({ locationsFailed: 0, removals: 0 });
    } finally {
      pipe.pw.sandbox.faults.remove();
    }
    expect(await snapshot()).toEqual(before);
    const entries = pipe.pw.sandbox.cms.list();
    pipe.pw.sandbox.cms.replace([]);
    try {
      expect(await pipe.poller.directory!.refresh()).toMatchObject({ kind: 'failed', reason: expect.stringMatching(/empty/) });
      expect(done(await pipe.poller.poller.runLocked())).toMatchObject({ locationsFailed: 0, removals: 0 });
      expect(await pipe.poller.inventory.runLocked()).toMatchObject({ removals: 0 });
    } finally {
      pipe.pw.sandbox.cms.replace(entries);
    }
    expect(await snapshot()).toEqual(before);
    expect((await listed()).length).toBe(before.length);
  });

  it('a store marked inactive in the CMS is withdrawn: gone from /api/locations, its deals and inventory removed', async () => {
    const store = stores().find((s) => s.api === 'backoffice')!;
    expect((await discounts(store.id))!.length).toBeGreaterThan(0);
    pipe.pw.sandbox.cms.patch(entryOf(store).documentId, { is_active: false });
    const s = done(await pipe.poller.poller.runLocked());
    expect(s.removals).toBe(0); // the withdrawal's removals are its own, before the cycle's
    expect((await listed()).map((l) => l.id)).not.toContain(store.id);
    const published = await world.db.selectFrom('poller_published').select('discount_id').where('location_id', '=', store.id).execute();
    expect(published).toEqual([]);
    await pipe.poller.inventory.runLocked();
    expect(await world.db.selectFrom('inventory_published').select('inventory_id').where('location_id', '=', store.id).execute()).toEqual([]);
    expect(await world.db.selectFrom('store_withdrawals').selectAll().execute()).toEqual([]);
    await eventually(() => discounts(store.id), (d) => d?.length === 0, 60_000);
    expect(await discounts(store.id)).toEqual([]);
    await eventually(() => inventoryTotal(store.id), (t) => t === 0, 60_000);
    const live = await world.db.selectFrom('discounts').select('id').where('location_id', '=', store.id).where('removed', '=', false).execute();
    expect(live).toEqual([]);
    expect(await pipe.poller.registry.getSingleMetricAsString('poller_stores_withdrawn_total')).toMatch(/ 1$/m);
    // listed again, it comes back
    pipe.pw.sandbox.cms.patch(entryOf(store).documentId, { is_active: true });
    await pipe.pollOnce();
    expect((await listed()).map((l) => l.id)).toContain(store.id);
    await settled(store);
  });
});
