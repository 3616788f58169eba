import { createLogger } from '../../shared/logger';
import { createKnownStores, type StoreRow } from './known-stores';

const store = (id: string): StoreRow => ({ id, name: id, city: null, state: 'AZ', slug: null });

function given(initial: string[]) {
  let clock = 0;
  let rows = initial.map(store);
  let failing = false;
  let loads = 0;
  const known = createKnownStores({
    load: async () => { loads += 1; if (failing) throw new Error('connect ECONNREFUSED'); return rows; },
    refreshMs: 5_000, logger: createLogger('test', 'silent'), now: () => clock,
  });
  return {
    known,
    advance: (ms: number) => { clock += ms; },
    set: (ids: string[]) => { rows = ids.map(store); },
    fail: (f: boolean) => { failing = f; },
    loads: () => loads,
  };
}

describe('known stores', () => {
  it('says nothing until loaded, then knows the stores of locations', async () => {
    const g = given(['a']);
    expect(await g.known.verdict('a')).toBe('known'); // the first call loads
    expect(g.known.verdict('a')).toBe('known'); // then synchronously
    expect(g.known.verdict('zz')).toBe('unknown');
    expect(g.loads()).toBe(1);
  });

  it('a store added is known within the refresh interval; made-up ids cost one load per interval', async () => {
    const g = given(['a']);
    await g.known.refresh();
    g.set(['a', 'b']);
    expect(g.known.verdict('b')).toBe('unknown'); // the set is fresh
    g.advance(5_000);
    expect(await Promise.all([g.known.verdict('b'), g.known.verdict('x'), g.known.verdict('y')])).toEqual(['known', 'unknown', 'unknown']);
    expect(g.loads()).toBe(2);
  });

  it('a withdrawn store is unknown after the next refresh (a known one answers at once and refreshes behind)', async () => {
    const g = given(['a', 'b']);
    await g.known.refresh();
    g.set(['a']);
    g.advance(5_000);
    expect(g.known.verdict('b')).toBe('known'); // answered from the set, a refresh started
    await g.known.refresh();
    expect(g.known.verdict('b')).toBe('unknown');
  });

  it('keeps the last set while Postgres fails, and says unchecked when it never loaded', async () => {
    const g = given(['a']);
    await g.known.refresh();
    g.fail(true);
    g.advance(5_000);
    expect(await g.known.verdict('zz')).toBe('unknown');
    expect(g.known.verdict('a')).toBe('known');
    expect(g.known.rows?.map((r) => r.id)).toEqual(['a']);
    const cold = given(['a']);
    cold.fail(true);
    expect(await cold.known.verdict('a')).toBe('unchecked');
    expect(cold.known.rows).toBeNull();
  });
});
