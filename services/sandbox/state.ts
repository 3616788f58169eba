/**
 * The sandbox's Dutchie state: the stores, one deal feed per LSP (a POS key or a Backoffice LspId
 * reads its LSP's feed; `locationRestrictions` says which of its stores a deal applies to), the POS
 * keys and the Backoffice account. The fixture LSP serves the recorded file byte for byte until
 * someone changes one of its deals.
 */
import fs from 'node:fs';
import path from 'node:path';
import { createHash } from 'node:crypto';
import { z } from 'zod';
import { arrayElementTexts } from '../../shared/json-slices';
import { ROOT } from '../../shared/paths';
import { PosDiscount, toBackoffice } from './dutchie-record';
import { generateDeals } from './generate';
import { selectPosDeals, selectionIsIdentity, type PosListFlags } from './handler';
import { FIXTURE_STORE, MARKETS, generatedStores, seededUuid, slugOf, type Market, type SandboxStore } from './stores';

export const FIXTURE_PATH = path.join(ROOT, 'services', 'sandbox', 'data', 'az-store-discounts.json');

export interface StateOptions {
  seed: number;
  /** the day generated deals are built around */
  nowMs: number;
  includeFixture: boolean;
  markets: readonly Market[];
  lspsPerMarket: number;
  storesPerLsp: number;
  dealsPerLsp: number;
}

export const DEFAULT_STATE: Omit<StateOptions, 'nowMs'> = {
  seed: 42, includeFixture: true, markets: MARKETS.map((m) => m.state), lspsPerMarket: 2, storesPerLsp: 3, dealsPerLsp: 300,
};

export interface Feed {
  lspId: number;
  api: 'pos' | 'backoffice';
  deals: Map<number, PosDiscount>;
  /** the recorded bytes, served while the fixture feed is unchanged */
  verbatim?: string;
  /** bumped on every change; serialised answers are cached per version */
  version: number;
  /** recorded text of each fixture record not changed since (served as recorded, formatting included) */
  recordedTexts?: Map<number, string>;
}

export class DutchieState {
  readonly stores: SandboxStore[];
  readonly feeds = new Map<number, Feed>();
  readonly posKeys = new Map<number, string>();
  /** a POS key per POS store (real Dutchie's kind: one key, one location), by LocId */
  readonly storeKeys = new Map<number, string>();
  private readonly keyToLsp = new Map<string, number>();
  private readonly keyToStore = new Map<string, number>();
  /** keys the chain revoked in Dutchie: every call with one is a 401 */
  private readonly revoked = new Set<string>();
  readonly backofficeUser: { username: string; password: string; userId: number };

  constructor(readonly options: StateOptions) {
    const base = [
      ...(options.includeFixture ? [FIXTURE_STORE] : []),
      ...generatedStores(options.seed, options.lspsPerMarket, options.storesPerLsp).filter((s) => options.markets.includes(s.state)),
    ];
    this.stores = base.map((s) => ({ ...s, odooStoreId: 0 }));
    this.backofficeUser = { username: 'sandbox-backoffice@dealstream.test', password: this.secret('backoffice-password'), userId: 4242 };
    for (const s of this.stores) {
      if (s.api === 'pos') this.issueStoreKey(s);
      if (s.api === 'pos' && !this.posKeys.has(s.lspId)) {
        const key = `sbx_${s.lspId}_${this.secret(`pos-key-${s.lspId}`)}`;
        this.posKeys.set(s.lspId, key);
        this.keyToLsp.set(key, s.lspId);
      }
      if (this.feeds.has(s.lspId)) continue;
      if (s.kind === 'fixture') {
        const text = fs.readFileSync(FIXTURE_PATH, 'utf8');
        const deals = z.array(PosDiscount).parse(JSON.parse(text));
        const texts = arrayElementTexts(text);
        this.feeds.set(s.lspId, {
          lspId: s.lspId, api: s.api, deals: new Map(deals.map((d) => [d.id, d])), verbatim: text, version: 0,
          recordedTexts: new Map(deals.map((d, i) => [d.id, texts[i]!])),
        });
      } else {
        const locIds = base.filter((x) => x.lspId === s.lspId).map((x) => x.posLocId);
        const deals = generateDeals({ seed: options.seed, lspId: s.lspId, locIds, timeZone: s.timeZone, count: options.dealsPerLsp, nowMs: options.nowMs });
        this.feeds.set(s.lspId, { lspId: s.lspId, api: s.api, deals: new Map(deals.map((d) => [d.id, d])), version: 0 });
      }
    }
  }

  private secret(what: string): string { return createHash('sha256').update(`${this.options.seed}:${what}`).digest('hex').slice(0, 24); }

  private issueStoreKey(s: SandboxStore): void {
    const key = `sbx_loc_${s.posLocId}_${this.secret(`pos-store-key-${s.posLocId}`)}`;
    this.storeKeys.set(s.posLocId, key);
    this.keyToLsp.set(key, s.lspId);
    this.keyToStore.set(key, s.posLocId);
  }

  /** The LocIds a POS key may read: its store, or every store of its LSP; undefined for an unknown or revoked key. */
  storesOfKey(key: string): number[] | undefined {
    const lspId = this.lspOfKey(key);
    if (lspId === undefined) return undefined;
    const own = this.keyToStore.get(key);
    return own !== undefined ? [own] : this.stores.filter((s) => s.lspId === lspId).map((s) => s.posLocId);
  }

  /** `GET /whoami`: the key's store (an LSP key answers with its LSP's first store). */
  whoami(key: string): { locationId: number; locationName: string; address: string; city: string; state: string } | undefined {
    const locId = this.storesOfKey(key)?.[0];
    const s = this.stores.find((x) => x.posLocId === locId);
    return s === undefined ? undefined : { locationId: s.posLocId, locationName: s.name, address: `${100 + (s.posLocId % 900)} W Main St`, city: s.city, state: s.state };
  }

  /** The chain revokes a key in Dutchie (every call with it is a 401 from now on). */
  revokeKey(key: string): boolean {
    if (!this.keyToLsp.has(key) || this.revoked.has(key)) return false;
    this.revoked.add(key);
    return true;
  }

  /**
   * A store the chain opens in an existing LSP (its feed's deals without location restrictions
   * apply to it; its inventory is generated like the others'). A POS LSP's store gets its own key.
   */
  addStore(input: { lspId: number; name?: string; city?: string }): SandboxStore {
    const peer = this.stores.find((s) => s.lspId === input.lspId);
    if (!peer) throw new StateError(404, `no LSP ${input.lspId} in the sandbox`);
    const posLocId = Math.max(...this.stores.map((s) => s.posLocId)) + 1;
    const city = input.city ?? peer.city;
    const name = input.name ?? `Mint ${city} #${posLocId}`;
    const store: SandboxStore = {
      id: seededUuid(this.options.seed, `added-store-${posLocId}`), name, city, slug: slugOf(name), state: peer.state, timeZone: peer.timeZone,
      lspId: peer.lspId, posLocId, api: peer.api, orgId: peer.orgId, odooStoreId: 0, kind: 'generated',
    };
    this.stores.push(store);
    if (store.api === 'pos') this.issueStoreKey(store);
    return store;
  }

  private readonly bodies = new Map<string, { version: number; body: string }>();

  /** A serialised answer for a feed, rebuilt only when the feed changed (the demo and bench poll a lot). */
  cachedBody(lspId: number, variant: string, build: () => string): string {
    const version = this.mustFeed(lspId).version;
    const key = `${lspId}|${variant}`;
    const hit = this.bodies.get(key);
    if (hit && hit.version === version) return hit.body;
    const body = build();
    this.bodies.set(key, { version, body });
    return body;
  }

  /**
   * Each deal's serialised text per variant, keyed by the deal object: every change replaces the
   * object (put/patch/replace), so a changed deal is serialised again and the others are reused.
   */
  private readonly dealTexts = new WeakMap<PosDiscount, Map<string, string>>();

  private dealText(deal: PosDiscount, variant: string, build: () => string): string {
    let texts = this.dealTexts.get(deal);
    if (!texts) { texts = new Map(); this.dealTexts.set(deal, texts); }
    let text = texts.get(variant);
    if (text === undefined) { text = build(); texts.set(variant, text); }
    return text;
  }

  /** The POS list answer (a bare array) for these flags; unchanged recorded records keep their recorded text. */
  posListBody(lspId: number, flags: PosListFlags): string {
    const feed = this.mustFeed(lspId);
    const variant = `pos|${Number(flags.includeInactive)}${Number(flags.includeInclusionExclusionData)}${Number(flags.includePaymentRestrictions)}`;
    return this.cachedBody(lspId, variant, () => `[${[...feed.deals.values()].filter((d) => flags.includeInactive || d.isActive).map((d) => {
      const recorded = feed.recordedTexts?.get(d.id);
      if (recorded !== undefined && selectionIsIdentity([d], flags)) return recorded;
      return this.dealText(d, variant, () => JSON.stringify(selectPosDeals([d], flags)[0]));
    }).join(',')}]`);
  }

  /** The Backoffice get-discount answer: `{Result, Data, Message}` with the PascalCase records. */
  backofficeListBody(lspId: number, includeInactive: boolean): string {
    const feed = this.mustFeed(lspId);
    return this.cachedBody(lspId, `backoffice|${includeInactive}`, () => {
      const data = [...feed.deals.values()].filter((d) => includeInactive || d.isActive).map((d) => this.dealText(d, 'backoffice', () => JSON.stringify(toBackoffice(d))));
      // Byte for byte JSON.stringify({Result: true, Data: [...], Message: null}).
      return `{"Result":true,"Data":[${data.join(',')}],"Message":null}`;
    });
  }

  /**
   * Serialises the answers a poller asks for (POS: inactive and restrictions included; Backoffice:
   * inactive included) ahead of the first request, as the real API would not pay for it per poll.
   */
  warm(): void {
    for (const f of this.feeds.values()) {
      if (f.api === 'pos') this.posListBody(f.lspId, { includeInactive: true, includeInclusionExclusionData: true, includePaymentRestrictions: false });
      else this.backofficeListBody(f.lspId, true);
    }
  }

  lspOfKey(key: string): number | undefined { return this.revoked.has(key) ? undefined : this.keyToLsp.get(key); }

  feed(lspId: number): Feed | undefined { return this.feeds.get(lspId); }

  private mustFeed(lspId: number): Feed {
    const f = this.feeds.get(lspId);
    if (!f) throw new StateError(404, `no LSP ${lspId} in the sandbox`);
    return f;
  }

  deals(lspId: number): PosDiscount[] { return [...this.mustFeed(lspId).deals.values()]; }

  /** Adds or replaces a deal (whole record). */
  putDeal(lspId: number, deal: PosDiscount): void {
    const f = this.mustFeed(lspId);
    f.verbatim = undefined;
    f.version++;
    f.recordedTexts?.delete(deal.id);
    f.deals.set(deal.id, deal);
  }

  /** Changes some top-level fields of a deal (nested objects are replaced, not merged). */
  patchDeal(lspId: number, id: number, patch: Record<string, unknown>): PosDiscount {
    const f = this.mustFeed(lspId);
    const current = f.deals.get(id);
    if (!current) throw new StateError(404, `no deal ${id} in LSP ${lspId}`);
    const next = PosDiscount.safeParse({ ...current, ...patch, id });
    if (!next.success) throw new StateError(400, next.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`).join('; '));
    f.verbatim = undefined;
    f.version++;
    f.recordedTexts?.delete(id);
    f.deals.set(id, next.data);
    return next.data;
  }

  removeDeal(lspId: number, id: number): void {
    const f = this.mustFeed(lspId);
    if (!f.deals.delete(id)) throw new StateError(404, `no deal ${id} in LSP ${lspId}`);
    f.verbatim = undefined;
    f.version++;
  }

  replaceDeals(lspId: number, deals: PosDiscount[]): void {
    const f = this.mustFeed(lspId);
    f.verbatim = undefined;
    f.version++;
    f.recordedTexts = undefined;
    f.deals = new Map(deals.map((d) => [d.id, d]));
  }

  /** The `locations` rows of the sandbox's stores (to seed the poller's table). */
  locations(): SandboxStore[] { return this.stores.map((s) => ({ ...s })); }
}

export class StateError extends Error {
  constructor(readonly status: 400 | 404, message: string) { super(message); }
}
