import { appliesToStore, contentHash, dutchieSourceRecord, isSuspiciousDrop, planChanges, ptlForStore, type PollLocation } from './handler';
import { KeyRateLimiter, RetryableError, backoffDelay, parseRetryAfter, withRetry } from './retry';

const store: PollLocation = { id: '3f6b0a52-8c1d-4e2a-9b7f-5d0c1e2a6b91', state: 'AZ', timeZone: 'America/Phoenix', lspId: 100, posLocId: 1568, api: 'pos', orgId: null, odooStoreId: 7 };
const rec = (id: number, name = `deal ${id}`) => ({ discountId: String(id), text: JSON.stringify({ id, onlineName: name }) });
const plan = (records: ReturnType<typeof rec>[] | 'failed', previous: Map<string, string>) => planChanges({
  location: store, source: 'dutchie', api: 'pos', previous, fetchedAt: 1_763_000_000_000,
  fetch: records === 'failed' ? { kind: 'failed', reason: 'HTTP 500' } : { kind: 'ok', records },
});

describe('planChanges', () => {
  it('upserts new deals, nothing for unchanged ones, one upsert for a changed one, one remove for a vanished one', () => {
    const first = plan([rec(1), rec(2), rec(3)], new Map());
    if (first.kind !== 'publish') throw new Error('expected publish');
    expect(first.upserts).toBe(3);
    expect(first.events[0]).toMatchObject({ key: `${store.id}_1`, value: { op: 'upsert', discountId: '1', market: 'AZ', posLocId: 1568, record: JSON.stringify({ id: 1, onlineName: 'deal 1' }) } });
    const again = plan([rec(1), rec(2, 'changed'), rec(4)], first.hashes);
    if (again.kind !== 'publish') throw new Error('expected publish');
    expect(again.events.map((e) => [e.value.op, e.value.discountId])).toEqual([['upsert', '2'], ['upsert', '4'], ['remove', '3']]);
    expect(again.events[2]!.value).toMatchObject({ contentHash: null, record: null });
  });

  it('a failed fetch is a skip, never removals; a genuinely empty list removes everything', () => {
    const previous = new Map([['1', 'h1'], ['2', 'h2']]);
    expect(plan('failed', previous)).toEqual({ kind: 'skip', reason: 'HTTP 500' });
    const empty = plan([], previous);
    expect(empty.kind === 'publish' && empty.events.map((e) => e.value.op)).toEqual(['remove', 'remove']);
  });

  it('hashes the published record text; event ids are stable', () => {
    expect(contentHash({ a: 1, b: 2 })).toBe(contentHash({ a: 1, b: 2 }));
    expect(contentHash({ a: 1 })).not.toBe(contentHash({ a: 2 }));
    const a = plan([rec(1)], new Map()); const b = plan([rec(1)], new Map());
    expect(a.kind === 'publish' && b.kind === 'publish' && a.events[0]!.value.eventId === b.events[0]!.value.eventId).toBe(true);
  });
});

describe('which deals are a store\'s', () => {
  it('Dutchie: empty locationRestrictions = every store of the LSP; otherwise the LocId must be listed (POS and Backoffice keys)', () => {
    const applies = (record: Record<string, unknown>, api: 'pos' | 'backoffice') => appliesToStore(dutchieSourceRecord(record, JSON.stringify(record), api)!, 1568);
    expect(applies({ id: 1, locationRestrictions: [] }, 'pos')).toBe(true);
    expect(applies({ id: 1 }, 'pos')).toBe(true);
    expect(applies({ id: 1, locationRestrictions: [1568, 2] }, 'pos')).toBe(true);
    expect(applies({ id: 1, locationRestrictions: [2351] }, 'pos')).toBe(false);
    expect(applies({ Id: 1, LocationRestrictions: [2351] }, 'backoffice')).toBe(false);
    expect(applies({ Id: 1, LocationRestrictions: [1568] }, 'backoffice')).toBe(true);
    expect(applies({ Id: 1, locationRestrictions: [2351] }, 'backoffice')).toBe(true); // the POS name means nothing in a Backoffice record
    expect(dutchieSourceRecord({ id: '1' }, '{"id":"1"}', 'pos')).toBeUndefined();
    expect(dutchieSourceRecord({ Id: 1.5 }, '{"Id":1.5}', 'backoffice')).toBeUndefined();
  });

  it('PTL: same market only; empty store_ids = the whole market, else the store must be listed', () => {
    const records = [
      { record: { id: 1, store_ids: [] }, market: 'AZ' },
      { record: { id: 2, store_ids: [7] }, market: 'AZ' },
      { record: { id: 3, store_ids: [8] }, market: 'AZ' },
      { record: { id: 4, store_ids: [] }, market: 'FL' },
      { record: { id: 5, store_ids: [7] }, market: 'FL' },
      { record: { id: 6, store_ids: [] }, market: undefined },
    ];
    expect(ptlForStore(records, store).map((r) => r.discountId)).toEqual(['ptl_1', 'ptl_2']);
  });
});

describe('retries', () => {
  const policy = { retries: 3, baseMs: 1000, maxMs: 8000, maxRetryAfterMs: 60_000 };

  it('backs off exponentially with jitter, and honours Retry-After instead when given', () => {
    expect(backoffDelay(policy, 1, () => 0)).toBe(500);
    expect(backoffDelay(policy, 3, () => 0.999)).toBeLessThanOrEqual(4000);
    expect(backoffDelay(policy, 3, () => 0)).toBeGreaterThanOrEqual(2000);
    expect(backoffDelay(policy, 10, () => 1)).toBe(8000);
    expect(backoffDelay(policy, 1, () => 0, 2000)).toBe(2000);
    expect(parseRetryAfter('3', 0)).toBe(3000);
    expect(parseRetryAfter(null, 0)).toBeUndefined();
  });

  it('retries retryable errors only, up to the limit', async () => {
    const waits: number[] = [];
    let calls = 0;
    const ok = await withRetry(() => { calls++; return calls < 3 ? Promise.reject(new RetryableError('429', 1500)) : Promise.resolve('ok'); }, policy, { sleep: (ms) => { waits.push(ms); return Promise.resolve(); }, random: () => 0 });
    expect(ok).toBe('ok');
    expect(waits).toEqual([1500, 1500]);
    await expect(withRetry(() => Promise.reject(new Error('401')), policy, { sleep: () => Promise.resolve(), random: () => 0 })).rejects.toThrow('401');
    let n = 0;
    await expect(withRetry(() => { n++; return Promise.reject(new RetryableError('500')); }, policy, { sleep: () => Promise.resolve(), random: () => 0 })).rejects.toThrow('500');
    expect(n).toBe(4);
  });

  it('rate-limits per key within a sliding minute', async () => {
    let t = 0;
    const waited: number[] = [];
    const limiter = new KeyRateLimiter(2, () => t, (ms) => { waited.push(ms); t += ms; return Promise.resolve(); });
    await limiter.acquire('a'); await limiter.acquire('a'); await limiter.acquire('b');
    expect(waited).toEqual([]);
    await limiter.acquire('a');
    expect(waited).toEqual([60_001]);
  });
});

describe('isSuspiciousDrop (removals held a cycle)', () => {
  it('holds a drop to zero and one by more than the share, not a small drop, a rise or a first fetch', () => {
    expect(isSuspiciousDrop(10, 0, 0.5)).toBe(true);
    expect(isSuspiciousDrop(1, 0, 0.9)).toBe(true);
    expect(isSuspiciousDrop(10, 4, 0.5)).toBe(true);
    expect(isSuspiciousDrop(10, 5, 0.5)).toBe(false);
    expect(isSuspiciousDrop(10, 9, 0)).toBe(true);
    expect(isSuspiciousDrop(10, 12, 0.5)).toBe(false);
    expect(isSuspiciousDrop(0, 0, 0.5)).toBe(false);
  });
});
