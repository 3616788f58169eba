/**
 * Which Dutchie API reads a store, as the source document says: POS when a POS key is configured for
 * the store (its own key from the store directory, else its LSP's `DUTCHIE_POS_API_KEY_{lspId}`),
 * Backoffice otherwise. A POS key that Dutchie rejects (401/403) falls back to Backoffice in the same
 * cycle when Backoffice can read the store (credentials and the store's organisation), and the cycle
 * says so (log, metrics, summary). A store whose own key this process has not read yet (the directory
 * not reachable since start) is not read at all: that changes nothing, where a switch would republish.
 */
import type { PollLocation } from './handler';

/** Where a store's POS key comes from (for logs: never the key itself). */
export type KeyOrigin = 'store' | 'lsp';

export type PosKey = { kind: 'key'; key: string; origin: KeyOrigin } | { kind: 'none' } | { kind: 'not-loaded' };

/** The POS keys of this process: per LSP from the environment, per store from the directory (memory only). */
export class PosKeys {
  private byStore = new Map<string, string>();
  private storeKeysLoaded = false;

  constructor(private readonly byLsp: ReadonlyMap<number, string>) {}

  /** The directory's per-store keys (replaces the previous set). */
  setStoreKeys(keys: ReadonlyMap<string, string>): void {
    this.byStore = new Map(keys);
    this.storeKeysLoaded = true;
  }

  get lspKeys(): number { return this.byLsp.size; }

  of(loc: Pick<PollLocation, 'id' | 'lspId' | 'hasStoreKey'>): PosKey {
    const own = this.byStore.get(loc.id);
    if (own !== undefined) return { kind: 'key', key: own, origin: 'store' };
    if (loc.hasStoreKey === true && !this.storeKeysLoaded) return { kind: 'not-loaded' };
    const lsp = this.byLsp.get(loc.lspId);
    return lsp === undefined ? { kind: 'none' } : { kind: 'key', key: lsp, origin: 'lsp' };
  }
}

/** How one feed is read: POS with a key (Backoffice as the fallback), Backoffice, or not at all. */
export type FeedSource =
  | { api: 'pos'; key: string; origin: KeyOrigin; lspId: number; fallback: { lspId: number; orgId: number } | null }
  | { api: 'backoffice'; lspId: number; orgId: number }
  | { api: 'none'; reason: string };

export interface Feed<L> { source: FeedSource; stores: L[] }

/**
 * The feeds of a cycle: stores sharing a POS key share one fetch (a key serves its LSP's feed), stores
 * read through Backoffice share one per (LSP, organisation). `backoffice` says whether Backoffice
 * credentials are configured.
 */
export function planFeeds<L extends Pick<PollLocation, 'id' | 'lspId' | 'orgId' | 'hasStoreKey'>>(locations: readonly L[], keys: PosKeys, backoffice: boolean): Array<Feed<L>> {
  const feeds = new Map<string, Feed<L>>();
  const add = (k: string, source: FeedSource, l: L): void => {
    const f = feeds.get(k);
    if (f) f.stores.push(l); else feeds.set(k, { source, stores: [l] });
  };
  for (const l of locations) {
    const key = keys.of(l);
    const bo = backoffice && l.orgId !== null ? { lspId: l.lspId, orgId: l.orgId } : null;
    if (key.kind === 'key') add(`pos:${key.key}`, { api: 'pos', key: key.key, origin: key.origin, lspId: l.lspId, fallback: bo }, l);
    else if (key.kind === 'not-loaded') add(`none:${l.id}`, { api: 'none', reason: 'its POS key is not loaded: the store directory has not been read since the poller started' }, l);
    else if (bo) add(`backoffice:${bo.lspId}:${bo.orgId}`, { api: 'backoffice', ...bo }, l);
    else add(`none:${l.id}`, { api: 'none', reason: backoffice ? `no POS key (DUTCHIE_POS_API_KEY_${l.lspId} or the directory's) and no Backoffice organisation` : `no POS key (DUTCHIE_POS_API_KEY_${l.lspId} or the directory's) and no Backoffice credentials` }, l);
  }
  // a POS feed's fallback must serve every store of the feed: stores of several organisations cannot share one
  return [...feeds.values()].map((f) => {
    if (f.source.api !== 'pos' || f.source.fallback === null) return f;
    const orgs = new Set(f.stores.map((s) => s.orgId));
    return orgs.size === 1 ? f : { ...f, source: { ...f.source, fallback: null } };
  });
}

export interface Fallback { from: 'pos'; to: 'backoffice'; keyOrigin: KeyOrigin; reason: string }
