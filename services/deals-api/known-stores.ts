/**
 * The stores the API serves: the rows of `locations` (the store directory writes them; a store the
 * CMS marks inactive is deleted from it and moved to `store_withdrawals`, services/poller/directory-sync.ts).
 * Any other id is a 404, even while Redis still holds deals or a snapshot written before the store
 * was withdrawn (storefront-contract.md: an id that is not a known store is a 404).
 *
 * Refreshed on demand, at most every `refreshMs`, one query at a time: a request for a known store
 * answers at once (a stale set starts a refresh in the background); one for an id not in the set
 * waits for the refresh when the set is older than `refreshMs`, so a store added to `locations` is
 * served within `refreshMs`, and made-up ids cost at most one query per `refreshMs`. On a Postgres
 * error the last set is kept. Until the first load succeeds the set says nothing (`unchecked`).
 */
import type { Logger } from '../../shared/logger';

export interface StoreRow { id: string; name: string; city: string | null; state: string; slug: string | null }

export type StoreVerdict = 'known' | 'unknown' | 'unchecked';

export interface KnownStores {
  /** sync when it can answer from memory; a promise when it must wait for a refresh */
  verdict(id: string): StoreVerdict | Promise<StoreVerdict>;
  /** the stores of the last successful load (null before one), for /api/locations during an outage */
  readonly rows: readonly StoreRow[] | null;
  /** loads now (shared by concurrent callers); false when the load failed (the last set kept) */
  refresh(): Promise<boolean>;
}

export interface KnownStoresOptions {
  /** the `locations` rows, ordered as /api/locations lists them */
  load: () => Promise<StoreRow[]>;
  refreshMs: number;
  logger: Logger;
  /** monotonic ms */
  now?: () => number;
}

export function createKnownStores(opts: KnownStoresOptions): KnownStores {
  const now = opts.now ?? (() => performance.now());
  let ids: Set<string> | null = null;
  let rows: StoreRow[] | null = null;
  let attemptedAt = -Infinity;
  let failing = false;
  let inFlight: Promise<boolean> | undefined;

  function refresh(): Promise<boolean> {
    inFlight ??= (async () => {
      attemptedAt = now();
      try {
        const loaded = await opts.load();
        rows = loaded;
        ids = new Set(loaded.map((r) => r.id));
        if (failing) opts.logger.info({ stores: ids.size }, 'known stores loaded again');
        failing = false;
        return true;
      } catch (err) {
        if (!failing) opts.logger.warn({ err: err instanceof Error ? err.message : String(err), kept: ids?.size ?? null }, 'known stores not refreshed (Postgres?): the last set is kept');
        failing = true;
        return false;
      } finally {
        inFlight = undefined;
      }
    })();
    return inFlight;
  }

  const stale = (): boolean => now() - attemptedAt >= opts.refreshMs;
  const judge = (id: string): StoreVerdict => (ids === null ? 'unchecked' : ids.has(id) ? 'known' : 'unknown');

  return {
    verdict(id) {
      if (ids?.has(id) === true) {
        if (stale()) void refresh();
        return 'known';
      }
      if (!stale()) return judge(id);
      return refresh().then(() => judge(id));
    },
    get rows() { return rows; },
    refresh,
  };
}
