import http from 'node:http';
import type { AddressInfo } from 'node:net';
import express from 'express';
import { storeInventory } from '../sandbox/inventory';
import { sandboxInventoryRoutes } from '../sandbox/inventory-routes';
import { diffInventory } from './inventory-diff';
import { fetchPosInventory } from './inventory-fetch';

let n = 0;
const newId = () => `e${(n += 1)}`;
const records = [{ inventoryId: 1, productId: 7, sku: 'a', unitPrice: 10 }, { inventoryId: 2, productId: 7, sku: 'a', unitPrice: 20 }];
const base = { api: 'pos' as const, locationId: 'loc', fetchedAt: 100, newId };

describe('diffInventory (change-only)', () => {
  it('publishes every package the first time (two packages of one product are two changes), nothing when unchanged, only what changed after', () => {
    const first = diffInventory({ ...base, fetch: { ok: true, records }, previous: new Map() });
    if (first.kind !== 'changes') throw new Error('expected changes');
    expect(first.events.map((e) => [e.inventoryId, e.op])).toEqual([['1', 'upsert'], ['2', 'upsert']]);
    const again = diffInventory({ ...base, fetch: { ok: true, records: [{ unitPrice: 10, sku: 'a', productId: 7, inventoryId: 1 }, records[1]!] }, previous: first.hashes });
    expect(again.kind === 'changes' && again.events).toEqual([]); // key order does not matter
    const changed = diffInventory({ ...base, fetch: { ok: true, records: [{ ...records[0]!, unitPrice: 9 }] }, previous: first.hashes });
    expect(changed.kind === 'changes' && changed.events.map((e) => [e.inventoryId, e.op])).toEqual([['1', 'upsert'], ['2', 'remove']]);
  });

  it('a failed fetch publishes nothing and keeps the hashes (never "everything was removed")', () => {
    expect(diffInventory({ ...base, fetch: { ok: false, reason: 'HTTP 500' }, previous: new Map([['1', 'h']]) })).toEqual({ kind: 'skip', reason: 'HTTP 500' });
  });

  it('a record without an inventory id, or one id twice, makes the whole feed untrusted', () => {
    expect(diffInventory({ ...base, fetch: { ok: true, records: [{ productId: 7, sku: 'x' }] }, previous: new Map() }).kind).toBe('skip');
    expect(diffInventory({ ...base, fetch: { ok: true, records: [records[0]!, { ...records[0]!, unitPrice: 3 }] }, previous: new Map() }).kind).toBe('skip');
  });
});

describe('fetchPosInventory against the sandbox', () => {
  let server: http.Server;
  let url: string;
  const sleeps: number[] = [];
  beforeAll(async () => {
    const app = express().use(sandboxInventoryRoutes({
      storesOfKey: (k) => (k === 'secret-key' ? [4201] : undefined), inventory: (loc) => storeInventory(42, { lspId: 7, posLocId: loc }, 5), now: () => 0, reportingPerMinute: 2,
    }));
    server = app.listen(0, '127.0.0.1');
    await new Promise((r) => server.once('listening', r));
    url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  });
  afterAll(async () => { await new Promise((r) => server.close(r)); });

  it('reads the inventory with the location key, and waits out a 429 as Retry-After says', async () => {
    const sleep = async (ms: number) => { sleeps.push(ms); };
    const a = await fetchPosInventory({ baseUrl: url, apiKey: 'secret-key', sleep });
    expect(a.ok && a.records).toHaveLength(storeInventory(42, { lspId: 7, posLocId: 4201 }, 5).length);
    await fetchPosInventory({ baseUrl: url, apiKey: 'secret-key', sleep });
    // the sandbox clock is frozen, so the window never frees: the fetch gives up, reporting a failure
    const c = await fetchPosInventory({ baseUrl: url, apiKey: 'secret-key', sleep, maxAttempts: 2 });
    expect(c).toEqual({ ok: false, reason: 'still rate-limited after 2 attempts' });
    expect(sleeps).toEqual([60_000, 60_000]);
  });

  it('a wrong key is a failed fetch that does not reveal the key', async () => {
    const r = await fetchPosInventory({ baseUrl: url, apiKey: 'not-the-key' });
    expect(r).toEqual({ ok: false, reason: 'HTTP 401 (the POS key was refused)', rejected: true });
    expect(JSON.stringify(r)).not.toContain('not-the-key');
  });

  it('an unreachable server is a failed fetch, not an empty inventory', async () => {
    expect((await fetchPosInventory({ baseUrl: 'http://127.0.0.1:1', apiKey: 'k' })).ok).toBe(false);
  });
});
