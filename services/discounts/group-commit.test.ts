import { createGroupCommit } from './group-commit';

/** A write whose statements are held open until released, recording what each statement carried. */
function heldWrite(fail: (item: string) => Error | null = () => null) {
  const statements: string[][] = [];
  const open: Array<() => void> = [];
  let maxOpen = 0;
  const write = (items: string[]): Promise<string[]> => {
    statements.push(items);
    maxOpen = Math.max(maxOpen, open.length + 1);
    return new Promise((resolve, reject) => {
      open.push(() => {
        const err = items.map(fail).find((e) => e !== null);
        if (err) reject(err); else resolve(items.map((i) => `ok:${i}`));
      });
    });
  };
  /** Lets every open statement finish, until none is left. */
  const drain = async (): Promise<void> => {
    for (let guard = 0; guard < 100; guard++) {
      await new Promise((r) => setImmediate(r));
      if (open.length === 0) return;
      open.splice(0).forEach((release) => { release(); });
    }
  };
  return { write, statements, drain, inFlight: () => open.length, maxInFlight: () => maxOpen };
}

const sqlError = (code: string) => Object.assign(new Error(`db error ${code}`), { code });
const settle = (p: Promise<string>) => p.then((v) => v, (e: Error) => `error:${e.message}`);

describe('group commit', () => {
  it('a write on a quiet service goes at once, alone; writes arriving meanwhile leave together, in order', async () => {
    const w = heldWrite();
    const gc = createGroupCommit(w.write, { maxBatch: 10, concurrency: 1 });
    const first = gc.submit('a');
    expect(w.statements).toEqual([['a']]);
    const rest = ['b', 'c', 'd'].map((i) => gc.submit(i));
    expect(gc.queued()).toBe(3);
    await w.drain();
    expect(w.statements).toEqual([['a'], ['b', 'c', 'd']]);
    expect(await Promise.all([first, ...rest])).toEqual(['ok:a', 'ok:b', 'ok:c', 'ok:d']);
  });

  it('keeps at most `concurrency` statements in flight and at most maxBatch writes in one', async () => {
    const w = heldWrite();
    const gc = createGroupCommit(w.write, { maxBatch: 3, concurrency: 2 });
    const all = Array.from({ length: 10 }, (_, i) => gc.submit(String(i)));
    expect(w.inFlight()).toBe(2);
    await w.drain();
    expect(w.statements).toEqual([['0'], ['1'], ['2', '3', '4'], ['5', '6', '7'], ['8', '9']]);
    expect(w.maxInFlight()).toBe(2);
    expect(await Promise.all(all)).toHaveLength(10);
  });

  it('a batch refused by the database is retried write by write: only the failing request fails', async () => {
    const w = heldWrite((i) => (i === 'bad' ? sqlError('23505') : null));
    const sizes: number[] = [];
    const gc = createGroupCommit(w.write, { maxBatch: 10, concurrency: 1, onBatch: (n) => { sizes.push(n); } });
    const first = gc.submit('x');
    const batch = ['a', 'bad', 'c'].map((i) => settle(gc.submit(i)));
    await w.drain();
    expect(await first).toBe('ok:x');
    expect(await Promise.all(batch)).toEqual(['ok:a', 'error:db error 23505', 'ok:c']);
    expect(w.statements).toEqual([['x'], ['a', 'bad', 'c'], ['a'], ['bad'], ['c']]);
    expect(sizes).toEqual([1, 3, 1, 1, 1]);
  });

  it('an error of unknown outcome (no SQLSTATE: the connection broke) fails the batch, never written again blindly', async () => {
    const w = heldWrite((i) => (i === 'b' ? new Error('Connection terminated unexpectedly') : null));
    const gc = createGroupCommit(w.write, { maxBatch: 10, concurrency: 1 });
    void gc.submit('x');
    const batch = ['a', 'b'].map((i) => settle(gc.submit(i)));
    await w.drain();
    expect(await Promise.all(batch)).toEqual(['error:Connection terminated unexpectedly', 'error:Connection terminated unexpectedly']);
    expect(w.statements).toEqual([['x'], ['a', 'b']]);
  });

  it('per-key order: a write never starts while an earlier batch of its key is in flight', async () => {
    const w = heldWrite();
    const gc = createGroupCommit(w.write, { maxBatch: 10, concurrency: 3, keyOf: (i: string) => i.split(':')[0]! });
    const all = ['e1:1', 'e2:1', 'e1:2', 'e3:1', 'e1:3'].map((i) => gc.submit(i));
    // e1:1 and e2:1 go in the first two slots... (e2:1 joined nothing: a free slot sends at once)
    expect(w.statements).toEqual([['e1:1'], ['e2:1']]);
    // ...and e1:2 heads the queue: it, and everything behind it, waits for e1:1's batch.
    expect(w.inFlight()).toBe(2);
    await w.drain();
    expect(w.statements).toEqual([['e1:1'], ['e2:1'], ['e1:2', 'e3:1', 'e1:3']]);
    expect(await Promise.all(all)).toHaveLength(5);
  });

  it('without keyOf, a free slot takes the next writes whatever their key', async () => {
    const w = heldWrite();
    const gc = createGroupCommit(w.write, { maxBatch: 10, concurrency: 3 });
    const all = ['e1:1', 'e2:1', 'e1:2'].map((i) => gc.submit(i));
    expect(w.statements).toEqual([['e1:1'], ['e2:1'], ['e1:2']]);
    await w.drain();
    await Promise.all(all);
  });
});
