import fs from 'node:fs';
import { arrayElementTexts } from '../../shared/json-slices';
import { createTestWorld, type TestWorld } from '../../test/support/integration';
import { publishPtlDeal } from '../sandbox/odoo-ptl';
import { FIXTURE_PATH } from '../sandbox/state';
import { FIXTURE_STORE } from '../sandbox/stores';
import type { CycleResult, CycleSummary } from './poller';
import { countMessages, givenSandboxAndPoller, readTopic, type PollerWorld } from '../../test/support/poller';

const done = (r: CycleResult): CycleSummary => {
  if (r.kind !== 'done') throw new Error(`cycle ${r.kind}`);
  return r.summary;
};

describe('poller over the recorded fixture store (real Kafka, registry, Postgres + sandbox)', () => {
  let world: TestWorld;
  let pw: PollerWorld;
  const topics = () => ({ dutchie: `${world.topicPrefix}deals.raw.dutchie.v1`, ptl: `${world.topicPrefix}deals.raw.ptl.v1` });
  const count = async () => ({ dutchie: await countMessages(world.kafka, topics().dutchie), ptl: await countMessages(world.kafka, topics().ptl) });

  beforeAll(async () => {
    world = await createTestWorld('poller');
    // Only the fixture store (AZ, LocId 1568) and the AZ PTL deals.
    pw = await givenSandboxAndPoller(world, { markets: [], ptlDealsPerMarket: 3 });
  });
  afterAll(async () => { await pw.close(); await world.close(); });

  it('first cycle publishes 691 upserts, each the untouched fixture record keyed {location}_{id} on one partition', async () => {
    const p = await pw.poller();
    const summary = done(await p.poller.runLocked());
    expect(summary).toMatchObject({ locations: 1, locationsOk: 1, locationsFailed: 0, ptl: 'ok' });
    expect(await count()).toEqual({ dutchie: 691, ptl: 3 });
    expect(summary.upserts).toBe(691 + 3);
    const fixtureText = fs.readFileSync(FIXTURE_PATH, 'utf8');
    const fixture = JSON.parse(fixtureText) as Array<{ id: number }>;
    const recordedTexts = arrayElementTexts(fixtureText);
    const events = await readTopic(world.kafka, world.serde, topics().dutchie, `${world.topicPrefix}read1`);
    expect(events).toHaveLength(691);
    expect(new Set(events.map((e) => e.partition)).size).toBe(1);
    const byId = new Map(events.map((e) => [e.value.discountId, e]));
    for (const rec of fixture) {
      const e = byId.get(String(rec.id))!;
      expect(e.key).toBe(`${FIXTURE_STORE.id}_${rec.id}`);
      expect(JSON.parse(e.value.record!)).toEqual(rec);
      expect(e.value.record).toBe(recordedTexts[fixture.indexOf(rec)]); // untouched: the source's own bytes
      expect(e.value).toMatchObject({ source: 'dutchie', api: 'pos', op: 'upsert', locationId: FIXTURE_STORE.id, market: 'AZ', timeZone: 'America/Phoenix', posLocId: 1568 });
      expect(e.value.contentHash).toMatch(/^[0-9a-f]{64}$/);
    }
    const ptl = await readTopic(world.kafka, world.serde, topics().ptl, `${world.topicPrefix}read2`);
    for (const e of ptl) {
      const rec = JSON.parse(e.value.record!) as { id: number; source: string; dutchie_discount_id: string; valid_from: string };
      expect(e.value).toMatchObject({ source: 'ptl', api: 'odoo', discountId: `ptl_${rec.id}` });
      expect(e.key).toBe(`${FIXTURE_STORE.id}_ptl_${rec.id}`);
      expect(rec.source).toBe('ptl');
      expect(rec.valid_from).toMatch(/^\d{4}-\d{2}-\d{2}$/);
    }
  });

  it('the next cycle publishes 0', async () => {
    const p = await pw.poller();
    expect(done(await p.poller.runLocked())).toMatchObject({ upserts: 0, removals: 0 });
    expect(await count()).toEqual({ dutchie: 691, ptl: 3 });
  });

  it('one changed deal gives exactly 1 upsert, one deleted deal exactly 1 remove, a new deal 1 upsert', async () => {
    const p = await pw.poller();
    const [first, second] = pw.sandbox.state.deals(FIXTURE_STORE.lspId);
    pw.sandbox.state.patchDeal(FIXTURE_STORE.lspId, first!.id, { onlineName: 'Changed name' });
    expect(done(await p.poller.runLocked())).toMatchObject({ upserts: 1, removals: 0 });
    pw.sandbox.state.removeDeal(FIXTURE_STORE.lspId, second!.id);
    expect(done(await p.poller.runLocked())).toMatchObject({ upserts: 0, removals: 1 });
    const added = pw.sandbox.newDeal(FIXTURE_STORE.lspId);
    pw.sandbox.state.putDeal(FIXTURE_STORE.lspId, { ...added, locationRestrictions: [] });
    expect(done(await p.poller.runLocked())).toMatchObject({ upserts: 1, removals: 0 });
    const events = (await readTopic(world.kafka, world.serde, topics().dutchie, `${world.topicPrefix}read3`)).slice(691);
    expect(events.map((e) => [e.value.op, e.value.discountId])).toEqual([['upsert', String(first!.id)], ['remove', String(second!.id)], ['upsert', String(added.id)]]);
    expect(JSON.parse(events[0]!.value.record!)).toMatchObject({ onlineName: 'Changed name' });
    expect(events[1]!.value).toMatchObject({ record: null, contentHash: null });
  });

  it('a deal restricted to other LocIds is not this store\'s deal; a new PTL deal of the market is', async () => {
    const p = await pw.poller();
    const other = pw.sandbox.newDeal(FIXTURE_STORE.lspId);
    pw.sandbox.state.putDeal(FIXTURE_STORE.lspId, { ...other, locationRestrictions: [2351, 2352] });
    const mine = pw.sandbox.newDeal(FIXTURE_STORE.lspId);
    pw.sandbox.state.putDeal(FIXTURE_STORE.lspId, { ...mine, id: other.id + 1, locationRestrictions: [1568, 2351] });
    expect(done(await p.poller.runLocked())).toMatchObject({ upserts: 1, removals: 0 });
    const before = await count();
    publishPtlDeal(pw.sandbox.odoo, { name: 'PTL AZ 10%', market: 'AZ', discount_value: 10, date_start: '2026-11-20', date_end: '2026-11-30' }, new Date());
    publishPtlDeal(pw.sandbox.odoo, { name: 'PTL FL 10%', market: 'FL', discount_value: 10, date_start: '2026-11-20', date_end: '2026-11-30' }, new Date());
    expect(done(await p.poller.runLocked())).toMatchObject({ upserts: 1, removals: 0 });
    expect(await count()).toEqual({ dutchie: before.dutchie, ptl: before.ptl + 1 });
  });

  it('two pollers started together: only one cycle runs, the other skips', async () => {
    const [a, b] = [await pw.poller({}, 'poller-a'), await pw.poller({}, 'poller-b')];
    pw.sandbox.state.patchDeal(FIXTURE_STORE.lspId, pw.sandbox.state.deals(FIXTURE_STORE.lspId)[5]!.id, { onlineName: 'Raced' });
    // Latency keeps the first cycle busy while the second tries to start.
    pw.sandbox.faults.add({ endpoint: 'pos.list', kind: 'latency', latencyMs: 500, count: 1 });
    const before = await count();
    const results = await Promise.all([a.poller.runLocked(), b.poller.runLocked()]);
    expect(results.map((r) => r.kind).sort()).toEqual(['done', 'skipped']);
    expect((await count()).dutchie).toBe(before.dutchie + 1);
  });

  it('a restarted poller publishes nothing new when nothing changed', async () => {
    const first = await pw.poller({}, 'poller-before-restart');
    done(await first.poller.runLocked());
    await first.close();
    const before = await count();
    const restarted = await pw.poller({}, 'poller-after-restart');
    expect(done(await restarted.poller.runLocked())).toMatchObject({ upserts: 0, removals: 0, locationsOk: 1 });
    expect(await count()).toEqual(before);
  });
});
