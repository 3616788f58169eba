/**
 * Group commit: the writes of concurrent requests go to Postgres together, one statement (so one
 * transaction and one WAL flush) per batch, with at most `concurrency` batches in flight. Nothing
 * waits for a timer: a write submitted while a slot is free goes at once (alone, when the service
 * is quiet); writes submitted while every slot is busy queue up and leave together as soon as a
 * slot frees. Each caller's promise settles only after its batch committed (or failed).
 *
 * Failures stay per request: when Postgres refuses a batch (an error with a SQLSTATE, so the
 * transaction was rolled back and nothing of it was written), each write of that batch is retried
 * on its own, in submission order, and only the one that fails again fails. An error without a
 * SQLSTATE (connection lost: the outcome is unknown) fails the whole batch, never retried blindly.
 *
 * Order: a batch keeps submission order, and with `keyOf` (the entity a write belongs to) a batch
 * never starts while an earlier batch holding the same key is in flight, so the writes of one key
 * commit (and take their outbox seq) in submission order even when they were concurrent.
 */

export interface GroupCommitOptions {
  /** Most writes in one statement. */
  maxBatch: number;
  /** Most batches in flight at once (each holds one pooled connection). */
  concurrency: number;
  /** Called with the size of every batch sent (metrics, tests). */
  onBatch?: (size: number) => void;
}

export interface GroupCommit<I, R> {
  /** Resolves with this item's result once its batch committed; rejects with its own error. */
  submit(item: I): Promise<R>;
  /** Writes queued and not yet sent. */
  queued(): number;
}

/**
 * Two batches in flight: the next batch forms while one commits, and one statement stuck behind a
 * lock does not stall every write. Measured on the loaded 2-core machine, one in flight cost ~10-20 %
 * less CPU per application (concurrent writers share FOR KEY SHARE locks on the same employee and
 * rule rows), but waited on each commit in turn and gave less throughput than two.
 */
export const GROUP_COMMIT_DEFAULTS = { maxBatch: 64, concurrency: 2 } as const;

interface Entry<I, R> { item: I; resolve: (r: R) => void; reject: (e: unknown) => void }

/** Postgres reported the error (SQLSTATE): the statement's transaction is rolled back. */
export const isDatabaseError = (e: unknown): boolean => typeof (e as { code?: unknown } | null)?.code === 'string' && /^[0-9A-Z]{5}$/.test((e as { code: string }).code);

/**
 * `write` writes the items in ONE statement and returns one result per item, in order; it must
 * write all of them or none (a single statement is one transaction). `keyOf` names the key whose
 * writes must commit in submission order (see above).
 */
export function createGroupCommit<I, R>(
  write: (items: I[]) => Promise<R[]>, opts: GroupCommitOptions & { keyOf?: (item: I) => string },
): GroupCommit<I, R> {
  if (opts.maxBatch < 1 || opts.concurrency < 1) throw new Error('maxBatch and concurrency must be at least 1');
  const keyOf = opts.keyOf ?? (() => '');
  const ordered = opts.keyOf !== undefined;
  const queue: Array<Entry<I, R>> = [];
  /** Keys of the batches in flight, with how many writes of each. */
  const busy = new Map<string, number>();
  let inFlight = 0;

  async function writeOne(e: Entry<I, R>): Promise<void> {
    opts.onBatch?.(1);
    try {
      const [r] = await write([e.item]);
      e.resolve(r as R);
    } catch (err) {
      e.reject(err);
    }
  }

  async function flush(batch: Array<Entry<I, R>>): Promise<void> {
    opts.onBatch?.(batch.length);
    let results: R[];
    try {
      results = await write(batch.map((e) => e.item));
    } catch (err) {
      if (batch.length > 1 && isDatabaseError(err)) {
        for (const e of batch) await writeOne(e);
      } else {
        for (const e of batch) e.reject(err);
      }
      return;
    }
    if (results.length !== batch.length) {
      const err = new Error(`group commit: ${results.length} results for ${batch.length} writes`);
      for (const e of batch) e.reject(err);
      return;
    }
    batch.forEach((e, i) => { e.resolve(results[i] as R); });
  }

  /** The next batch: queued writes from the head, up to maxBatch, stopping at a key in flight. */
  function take(): Array<Entry<I, R>> {
    let n = 0;
    while (n < queue.length && n < opts.maxBatch && !(ordered && busy.has(keyOf(queue[n]!.item)))) n++;
    return queue.splice(0, n);
  }

  function pump(): void {
    while (inFlight < opts.concurrency && queue.length > 0) {
      const batch = take();
      if (batch.length === 0) return; // the head waits for the batch holding its key
      const keys = ordered ? batch.map((e) => keyOf(e.item)) : [];
      for (const k of keys) busy.set(k, (busy.get(k) ?? 0) + 1);
      inFlight++;
      void flush(batch).finally(() => {
        for (const k of keys) { const left = busy.get(k)! - 1; if (left === 0) busy.delete(k); else busy.set(k, left); }
        inFlight--;
        pump();
      });
    }
  }

  return {
    submit(item: I): Promise<R> {
      return new Promise<R>((resolve, reject) => {
        queue.push({ item, resolve, reject });
        pump();
      });
    },
    queued: () => queue.length,
  };
}
