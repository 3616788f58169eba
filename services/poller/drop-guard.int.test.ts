/**
 * Issue 13, item 7, through the real stack (Kafka, registry, Postgres) and the sandbox Dutchie: a store's
 * deals falling to zero (a well-formed but empty reply) or by more than POLLER_MAX_DROP_SHARE are removed
 * only when a second cycle confirms it; and a cycle whose advisory lock went with its session publishes nothing.
 */
import { sql } from 'kysely';
import { createTestWorld, type TestWorld } from '../../test/support/integration';
import { countMessages, givenSandboxAndPoller, type PollerWorld } from '../../test/support/poller';
import type { CycleResult, CycleSummary } from './poller';
import type { BuiltPoller } from './wiring';

const done = (r: CycleResult): CycleSummary => {
  if (r.kind !== 'done') throw new Error(`cycle ${r.kind}`);
  return r.summary;
};

describe('poller: sharp drops held a cycle, the cycle lock fenced', () => {
  let world: TestWorld;
  let pw: PollerWorld;
  let p: BuiltPoller;
  let lsp: number;
  const published = () => countMessages(world.kafka, `${world.topicPrefix}deals.raw.dutchie.v1`);
  const deals = () => pw.sandbox.state.deals(lsp);
  const held = async () => (await p.registry.getSingleMetric('poller_drops_held_total')!.get()).values.reduce((n, v) => n + v.value, 0);

  beforeAll(async () => {
    world = await createTestWorld('poller-drops');
    // one POS store, 10 deals for every store of its LSP, no PTL
    pw = await givenSandboxAndPoller(world, { includeFixture: false, markets: ['AZ'], lspsPerMarket: 1, storesPerLsp: 1, dealsPerLsp: 10, ptlDealsPerMarket: 0 },
      { FETCH_RETRIES: '0', POLLER_MAX_DROP_SHARE: '0.5' });
    p = await pw.poller();
    lsp = pw.sandbox.state.stores[0]!.lspId;
    for (const d of deals()) pw.sandbox.state.putDeal(lsp, { ...d, locationRestrictions: [] });
    expect(done(await p.poller.runLocked())).toMatchObject({ upserts: 10, removals: 0 });
  });
  afterAll(async () => { await pw.close(); await world.close(); });

  it('an empty reply removes nothing in its first cycle; a second empty cycle confirms it', async () => {
    const saved = deals();
    for (const d of saved) pw.sandbox.state.removeDeal(lsp, d.id);
    const before = await published();
    expect(done(await p.poller.runLocked())).toMatchObject({ removals: 0, locationsFailed: 0 });
    expect(await published()).toBe(before);
    expect(await held()).toBe(1);
    expect(done(await p.poller.runLocked())).toMatchObject({ removals: 10 });
    expect(await published()).toBe(before + 10);
    // back again
    for (const d of saved) pw.sandbox.state.putDeal(lsp, d);
    expect(done(await p.poller.runLocked())).toMatchObject({ upserts: 10, removals: 0 });
  });

  it('a drop by more than the share is held, and a reply that recovers removes nothing; a small drop goes out at once', async () => {
    const saved = deals();
    for (const d of saved.slice(0, 7)) pw.sandbox.state.removeDeal(lsp, d.id); // 70 % gone
    const heldBefore = await held();
    expect(done(await p.poller.runLocked())).toMatchObject({ removals: 0 });
    expect(await held()).toBe(heldBefore + 1);
    for (const d of saved.slice(0, 7)) pw.sandbox.state.putDeal(lsp, d); // a glitch: the next reply is whole
    expect(done(await p.poller.runLocked())).toMatchObject({ removals: 0, upserts: 0 });
    pw.sandbox.state.removeDeal(lsp, saved[0]!.id); // 10 %: published in this cycle
    expect(done(await p.poller.runLocked())).toMatchObject({ removals: 1 });
    expect(await held()).toBe(heldBefore + 1);
  });

  it('a cycle whose session (and so its advisory lock) dies before it publishes is aborted and publishes nothing', async () => {
    const d = pw.sandbox.newDeal(lsp);
    pw.sandbox.state.putDeal(lsp, { ...d, locationRestrictions: [] });
    const before = await published();
    pw.sandbox.faults.add({ endpoint: 'pos.list', kind: 'latency', latencyMs: 2000, count: 1 });
    const cycle = p.poller.runLocked();
    // while it fetches: the session holding the cycle lock is terminated (a network cut, a failover)
    const killed = await (async () => {
      for (let i = 0; i < 50; i++) {
        const { rows } = await sql<{ ok: boolean }>`select pg_terminate_backend(pid) as ok from pg_locks
          where locktype = 'advisory' and granted and database = (select oid from pg_database where datname = current_database())`.execute(world.db);
        if (rows.length > 0) return rows.every((r) => r.ok);
        await new Promise((r) => setTimeout(r, 50));
      }
      return false;
    })();
    expect(killed).toBe(true);
    expect(await cycle).toEqual({ kind: 'aborted', reason: 'lock lost' });
    expect(await published()).toBe(before);
    pw.sandbox.faults.remove();
    // the next cycle takes the lock again and publishes the new deal
    expect(done(await p.poller.runLocked())).toMatchObject({ upserts: 1 });
  });
});
