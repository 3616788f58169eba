import { createTestWorld, type TestWorld } from '../../test/support/integration';
import type { CycleResult, CycleSummary } from './poller';
import { countMessages, givenSandboxAndPoller, type PollerWorld } from './testing';
import type { BuiltPoller } from './wiring';

const done = (r: CycleResult): CycleSummary => {
  if (r.kind !== 'done') throw new Error(`cycle ${r.kind}`);
  return r.summary;
};

describe('poller against failing sources (real Kafka, registry, Postgres + sandbox faults)', () => {
  let world: TestWorld;
  let pw: PollerWorld;
  let p: BuiltPoller;
  let az: number;
  let fl: number;
  const TIMEOUT_MS = 1000;
  const dutchie = () => countMessages(world.kafka, `${world.topicPrefix}deals.raw.dutchie.v1`);
  const ptl = () => countMessages(world.kafka, `${world.topicPrefix}deals.raw.ptl.v1`);
  /** a new deal for every store of the LSP */
  const addDeal = (lsp: number): number => {
    const d = pw.sandbox.newDeal(lsp);
    pw.sandbox.state.putDeal(lsp, { ...d, locationRestrictions: [] });
    return d.id;
  };

  beforeAll(async () => {
    world = await createTestWorld('poller-faults');
    // AZ: one POS LSP with 2 stores; FL: one Backoffice LSP with 2 stores; one PTL deal per market.
    pw = await givenSandboxAndPoller(world, { includeFixture: false, markets: ['AZ', 'FL'], lspsPerMarket: 1, storesPerLsp: 2, dealsPerLsp: 30, ptlDealsPerMarket: 1 },
      { FETCH_TIMEOUT_MS: String(TIMEOUT_MS), FETCH_RETRIES: '0' });
    p = await pw.poller();
    az = pw.sandbox.state.stores.find((s) => s.state === 'AZ')!.lspId;
    fl = pw.sandbox.state.stores.find((s) => s.state === 'FL')!.lspId;
    const first = done(await p.poller.runLocked());
    expect(first).toMatchObject({ locations: 4, locationsFailed: 0, removals: 0 });
    expect(first.upserts).toBeGreaterThan(4 * 10);
  });
  afterAll(async () => { await pw.close(); await world.close(); });

  it('a store whose fetch times out, returns 500 or truncated JSON publishes nothing (no removals), others go on within the timeout; the next good fetch catches up', async () => {
    const removed = pw.sandbox.state.deals(az).filter((d) => d.locationRestrictions.length === 0)[0]!.id;
    pw.sandbox.state.removeDeal(az, removed);
    for (const fault of [{ kind: 'timeout' }, { kind: 'status', status: 500 }, { kind: 'truncate' }] as const) {
      pw.sandbox.faults.remove();
      pw.sandbox.faults.add({ endpoint: 'pos.list', lspId: az, ...fault });
      addDeal(fl);
      const before = await dutchie();
      const started = Date.now();
      const s = done(await p.poller.runLocked());
      const took = Date.now() - started;
      expect(s).toMatchObject({ locationsFailed: 2, upserts: 2, removals: 0 });
      expect(s.failures.every((f) => f.source === 'dutchie')).toBe(true);
      expect(await dutchie()).toBe(before + 2);
      expect(took).toBeLessThan(TIMEOUT_MS + 1500);
    }
    pw.sandbox.faults.remove();
    const s = done(await p.poller.runLocked());
    expect(s).toMatchObject({ locationsFailed: 0, upserts: 0, removals: 2 });
  });

  it('a transient 500 is retried with backoff and succeeds', async () => {
    const retrying = await pw.poller({ FETCH_RETRIES: '2' }, 'poller-retry');
    pw.sandbox.faults.add({ endpoint: 'pos.list', lspId: az, kind: 'status', status: 503, count: 1 });
    addDeal(az);
    expect(done(await retrying.poller.runLocked())).toMatchObject({ locationsFailed: 0, upserts: 2 });
  });

  it('429 with Retry-After is honoured (the wait is the server\'s, not the 20 ms backoff)', async () => {
    const retrying = await pw.poller({ FETCH_RETRIES: '2' }, 'poller-429');
    pw.sandbox.faults.add({ endpoint: 'pos.list', lspId: az, kind: 'rate_limit', retryAfterSeconds: 2, count: 1 });
    addDeal(az);
    const started = Date.now();
    expect(done(await retrying.poller.runLocked())).toMatchObject({ locationsFailed: 0, upserts: 2 });
    expect(Date.now() - started).toBeGreaterThanOrEqual(1900);
  });

  it('Backoffice session expiry leads to one re-login and success', async () => {
    const logins = p.sources.logins;
    expect(pw.sandbox.sessions.count()).toBeGreaterThan(0);
    pw.sandbox.sessions.expireAll();
    addDeal(fl);
    expect(done(await p.poller.runLocked())).toMatchObject({ locationsFailed: 0, upserts: 2 });
    expect(p.sources.logins).toBe(logins + 1);
    expect(pw.sandbox.sessions.count()).toBe(1);
  });

  it('Odoo refusing connections fails PTL only: no PTL removals, Dutchie goes on, PTL catches up after', async () => {
    const ptlBefore = await ptl();
    const [rec] = pw.sandbox.odoo.records('mint.discount', [['source', '=', 'ptl']]);
    pw.sandbox.odoo.unlink('mint.discount', [rec!.id]);
    await pw.running.servers.odoo.down(1500);
    addDeal(az);
    const s = done(await p.poller.runLocked());
    expect(s).toMatchObject({ ptl: 'failed', locationsFailed: 4, upserts: 2, removals: 0 });
    expect(s.failures.every((f) => f.source === 'ptl')).toBe(true);
    expect(await ptl()).toBe(ptlBefore);
    await new Promise((r) => setTimeout(r, 1600));
    const after = done(await p.poller.runLocked());
    expect(after).toMatchObject({ ptl: 'ok', locationsFailed: 0, removals: 2 });
  });
});
