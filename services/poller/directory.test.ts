import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { Sandbox, type RunningSandbox } from '../sandbox/sandbox';
import { keysToResolve, planDirectory, stateCode, type CurrentLocation } from './directory';
import { readDirectory } from './directory-source';
import { PosKeys, planFeeds } from './source-choice';

const entry = (over: Record<string, unknown> = {}) => ({
  id: 1, documentId: 'doc1', name: 'Mint Tempe', slug: 'mint-tempe', is_active: true, dutchieApiKey: 'key-1', DutchieStoreID: 'store-1', tickertape: null,
  DutchieLspId: 100, DutchieOrgId: 9100, ...over,
});
const who = (locationId: number, state = 'AZ', city = 'Tempe') => ({ kind: 'ok' as const, who: { locationId, locationName: 'x', city, state } });
const known: CurrentLocation = { id: 'store-1', name: 'Mint Tempe', state: 'AZ', time_zone: 'America/Phoenix', pos_loc_id: 1568, lsp_id: 100, org_id: 9100, city: 'Tempe' };

describe('store directory: entries to locations', () => {
  it('a keyed store is placed by /whoami; a keyless one by its own fields; the time zone follows the state', () => {
    const plan = planDirectory({
      entries: [entry(), entry({ id: 2, DutchieStoreID: 'store-2', name: 'Mint Miami', dutchieApiKey: null, DutchieLocId: 5004, city: 'Miami', state: 'FL' })],
      current: [], whoami: new Map([['store-1', who(1568)]]), defaults: {},
    });
    expect(plan.rows).toEqual([
      { id: 'store-1', name: 'Mint Tempe', city: 'Tempe', slug: 'mint-tempe', state: 'AZ', time_zone: 'America/Phoenix', lsp_id: 100, pos_loc_id: 1568, dutchie_api: 'pos', org_id: 9100, has_store_key: true },
      { id: 'store-2', name: 'Mint Miami', city: 'Miami', slug: 'mint-tempe', state: 'FL', time_zone: 'America/New_York', lsp_id: 100, pos_loc_id: 5004, dutchie_api: 'backoffice', org_id: 9100, has_store_key: false },
    ]);
    expect(plan.keys).toEqual(new Map([['store-1', 'key-1']]));
    expect(keysToResolve([entry(), entry({ DutchieStoreID: 'x', is_active: false })])).toEqual(new Map([['store-1', 'key-1']]));
  });

  it('only is_active false withdraws a known store; unset, unusable or missing entries change nothing', () => {
    const plan = planDirectory({
      entries: [entry({ is_active: false }), entry({ DutchieStoreID: 'store-9', is_active: null }), entry({ DutchieStoreID: 'bad_id' }), { name: '' }, entry({ DutchieStoreID: 'store-3', is_active: false })],
      current: [known, { ...known, id: 'store-7' }], whoami: new Map(), defaults: {},
    });
    expect(plan.withdrawals).toEqual([{ id: 'store-1', name: 'Mint Tempe', state: 'AZ', timeZone: 'America/Phoenix', posLocId: 1568, reason: 'marked inactive in the store directory' }]);
    expect(plan.rows).toEqual([]);
    expect(plan.skipped.map((s) => s.reason)).toEqual([expect.stringMatching(/is_active is not set/), expect.stringMatching(/DutchieStoreID/), expect.stringMatching(/name/)]);
    expect(plan.unlisted).toEqual(['store-7']);
  });

  it('a failed /whoami keeps a known store as it was and holds back a new one; the chain\'s LSP and org fill in', () => {
    const failed = { kind: 'failed' as const, reason: 'pos whoami: HTTP 401' };
    const plan = planDirectory({
      entries: [entry({ DutchieLspId: null, DutchieOrgId: null }), entry({ DutchieStoreID: 'store-new', dutchieApiKey: 'key-2' })],
      current: [known], whoami: new Map([['store-1', failed], ['store-new', failed]]), defaults: { lspId: 575, orgId: 5134 },
    });
    expect(plan.rows).toEqual([expect.objectContaining({ id: 'store-1', pos_loc_id: 1568, state: 'AZ', lsp_id: 575, org_id: 5134 })]);
    expect(plan.skipped).toEqual([{ entry: 'Mint Tempe (store-new)', reason: 'no POS LocId (/whoami failed: pos whoami: HTTP 401)' }]);
    expect(planDirectory({ entries: [entry({ DutchieLspId: null })], current: [], whoami: new Map([['store-1', who(1)]]), defaults: {} }).skipped[0]!.reason).toMatch(/no LSP id/);
    expect(planDirectory({ entries: [entry()], current: [], whoami: new Map([['store-1', who(1, 'TX')]]), defaults: {} }).skipped[0]!.reason).toMatch(/no time zone for state TX/);
    expect(stateCode('Nevada')).toBe('NV');
  });
});

describe('source choice', () => {
  const loc = (id: string, over: Record<string, unknown> = {}) => ({ id, lspId: 100, orgId: 9100 as number | null, hasStoreKey: false, ...over });

  it('a store\'s own key first, then its LSP\'s; stores sharing a key share a fetch; keyless stores go to Backoffice per organisation', () => {
    const keys = new PosKeys(new Map([[100, 'lsp-key']]));
    keys.setStoreKeys(new Map([['a', 'own-a']]));
    const feeds = planFeeds([loc('a', { hasStoreKey: true }), loc('b'), loc('c'), loc('d', { lspId: 200 }), loc('e', { lspId: 200, orgId: null })], keys, true);
    expect(feeds.map((f) => [f.source.api, f.stores.map((s) => s.id)])).toEqual([['pos', ['a']], ['pos', ['b', 'c']], ['backoffice', ['d']], ['none', ['e']]]);
    expect(feeds[0]!.source).toEqual({ api: 'pos', key: 'own-a', origin: 'store', lspId: 100, fallback: { lspId: 100, orgId: 9100 } });
    expect(feeds[1]!.source).toMatchObject({ origin: 'lsp', key: 'lsp-key' });
  });

  it('no fallback without Backoffice credentials or an organisation; a store key not loaded yet reads nothing', () => {
    const keys = new PosKeys(new Map());
    expect(planFeeds([loc('a', { hasStoreKey: true })], keys, true)[0]!.source).toMatchObject({ api: 'none', reason: expect.stringMatching(/not loaded/) });
    keys.setStoreKeys(new Map([['a', 'k']]));
    expect(planFeeds([loc('a', { hasStoreKey: true })], keys, false)[0]!.source).toMatchObject({ api: 'pos', fallback: null });
    expect(planFeeds([loc('b')], keys, false)[0]!.source).toMatchObject({ api: 'none', reason: expect.stringMatching(/no Backoffice credentials/) });
  });
});

describe('reading the directory', () => {
  let sandbox: Sandbox;
  let running: RunningSandbox;
  const retry = { retries: 1, baseMs: 1, maxMs: 2, maxRetryAfterMs: 10 };
  const deps = { fetch: globalThis.fetch, sleep: () => Promise.resolve(), random: () => 0.5 };
  beforeAll(async () => {
    sandbox = new Sandbox({ markets: ['AZ', 'FL'], lspsPerMarket: 1, storesPerLsp: 3, dealsPerLsp: 1, includeFixture: false, ptlDealsPerMarket: 0, catalogShare: 0 });
    running = await sandbox.start();
  });
  afterAll(() => running.close());
  const settings = (over: Record<string, unknown> = {}) => ({ url: `${running.urls.cms}/api/stores`, token: sandbox.cms.token, pageSize: 4, timeoutMs: 2000, retry, ...over });

  it('pages through the CMS until its total', async () => {
    const r = await readDirectory(settings(), deps);
    expect(r.kind === 'ok' && r.entries.length).toBe(6);
  });

  it('a refused token, an outage, a truncated reply or an empty listing is a failed read, without the token in the reason', async () => {
    const bad = await readDirectory(settings({ token: 'secret-token-xyz' }), deps);
    expect(bad).toEqual({ kind: 'failed', reason: 'store directory: HTTP 401 UnauthorizedError: Missing or invalid credentials (check STORES_API_TOKEN)' });
    sandbox.faults.add({ endpoint: 'cms.stores', kind: 'status', status: 503 });
    expect(await readDirectory(settings(), deps)).toMatchObject({ kind: 'failed', reason: expect.stringMatching(/HTTP 503/) });
    sandbox.faults.remove();
    sandbox.faults.add({ endpoint: 'cms.stores', kind: 'truncate' });
    expect(await readDirectory(settings(), deps)).toMatchObject({ kind: 'failed', reason: expect.stringMatching(/unreadable JSON/) });
    sandbox.faults.remove();
    const entries = sandbox.cms.list();
    sandbox.cms.replace([]);
    expect(await readDirectory(settings(), deps)).toMatchObject({ kind: 'failed', reason: expect.stringMatching(/empty/) });
    sandbox.cms.replace(entries);
  });

  it('reads a JSON file of entries (a list, or Strapi\'s {data})', async () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'stores-'));
    const file = path.join(dir, 'stores.json');
    fs.writeFileSync(file, JSON.stringify({ data: [entry()] }));
    expect(await readDirectory({ file, pageSize: 100, timeoutMs: 1000, retry }, deps)).toEqual({ kind: 'ok', entries: [entry()] });
    fs.writeFileSync(file, '[]');
    expect(await readDirectory({ file, pageSize: 100, timeoutMs: 1000, retry }, deps)).toMatchObject({ kind: 'failed' });
    expect(await readDirectory({ file: path.join(dir, 'missing.json'), pageSize: 100, timeoutMs: 1000, retry }, deps)).toEqual({ kind: 'failed', reason: 'store directory file: ENOENT' });
  });
});
