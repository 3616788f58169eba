/**
 * Serving a precomputed inventory snapshot to the storefront (GET /api/locations/:id/inventory,
 * /inventory/:sku, /categories, /brands) in the shape and types the live storefront reads
 * (storefront-contract.md): one item per inventory package, ids and decimals as strings (decimals
 * with 4 places, "45.0000", as the original served its DECIMAL(10,4) columns), booleans as
 * booleans, `effects`/`tags`/`images` as arrays, timestamps as ISO strings.
 *
 * Our server-side pricing (4-tier matching, liveness applied at the request's instant) rides on
 * each item under names of our own, so nothing collides with what the storefront computes itself
 * (`discounted_price`, `discount_name`, `discount_type`, `discount_amount`, `discount_valid_*`):
 *   deal_price  the best unit price after live deals (decimal string, 2 places) or null
 *   best_deal   the best live match (an offer such as "2 for $30" when no unit price applies) or null
 *   deal_count  how many live deals apply
 *   deals       every live match, most specific tier first: only on the single item
 *               (/inventory/:sku). In a list a store's store-wide deals would repeat on every item
 *               (a 500-item page of a store with 100 store-wide deals would weigh ~15 MB).
 *
 * Speed: a snapshot is compiled once per version into one JSON text per item (everything but the
 * deal fields) plus what the filters compare; a request computes the deals' liveness once per
 * second, each item's deal fields once per liveness state, and splices texts. No JSON per request.
 */
import { Decimal } from 'decimal.js';
import { compileTiming, isLiveOnClock, localClock, type CompiledTiming, type LocalClock } from '../deal-time';
import { pickBest, type DealMatch, type Offer } from '../matching';
import type { InventorySnapshot, SnapshotItem } from './snapshot';

export interface StorefrontDeal {
  id: string;
  discount_id: string;
  name: string;
  kind: string;
  tier: number;
  tier_name: string;
  /** resulting unit price, or null for offers */
  unit_price: string | null;
  savings: string | null;
  offer: Offer | null;
}

/** An item as the storefront reads it (contract fields first, then ours). */
export interface StorefrontItem {
  id: string;
  location_id: string;
  inventory_id: string;
  product_id: string;
  sku: string | null;
  product_name: string | null;
  alternate_name: string | null;
  description: string | null;
  category: string | null;
  master_category: string | null;
  brand_name: string | null;
  strain: string | null;
  strain_type: string | null;
  price: string | null;
  unit_price: string | null;
  rec_unit_price: string | null;
  med_unit_price: string | null;
  quantity_available: string;
  is_active: boolean;
  is_cannabis: boolean;
  slug: string | null;
  effects: string[];
  tags: string[];
  images: Array<{ url: string }>;
  image_url: string | null;
  staff_pick: boolean;
  potency_thc_formatted: string | null;
  potency_cbd_formatted: string | null;
  effective_potency_mg: string | null;
  unit_thc_content_dose: string | null;
  unit_cbd_content_dose: string | null;
  synced_at: string;
  // ours (not in the original, read by nothing of the storefront's)
  category_id: string | null;
  brand_id: string | null;
  vendor: string | null;
  size: string | null;
  weight_grams: string | null;
  medical_only: boolean;
  deal_price: string | null;
  best_deal: StorefrontDeal | null;
  deal_count: number;
  /** only on the single item (/inventory/:sku) */
  deals?: StorefrontDeal[];
}

export type ItemDealFields = Pick<StorefrontItem, 'deal_price' | 'best_deal' | 'deal_count'> & { deals: StorefrontDeal[] };

export interface InventoryQuery {
  category?: string;
  brand?: string;
  search?: string;
  limit: number;
  offset: number;
}

/** A DECIMAL(10,4) value as the original served it: a string with 4 places ("45.0000"). */
const dec4 = (v: string | null): string | null => (v === null ? null : new Decimal(v).toFixed(4));

/** The item's fields, without our deal fields. */
export function itemFields(i: SnapshotItem): Omit<StorefrontItem, keyof ItemDealFields | 'deals'> {
  return {
    id: i.id,
    location_id: i.locationId,
    inventory_id: i.inventoryId,
    product_id: i.productId,
    sku: i.sku,
    product_name: i.name,
    alternate_name: i.alternateName,
    description: i.description,
    category: i.category,
    master_category: i.masterCategory,
    brand_name: i.brand,
    strain: i.strain,
    strain_type: i.strainType,
    price: null, // the feed has no `price` (external-apis.md §5); unit_price is the price
    unit_price: dec4(i.unitPrice),
    rec_unit_price: dec4(i.recUnitPrice),
    med_unit_price: dec4(i.medUnitPrice),
    quantity_available: dec4(i.quantity)!,
    is_active: i.isActive,
    is_cannabis: i.isCannabis,
    slug: i.slug,
    effects: i.effects,
    tags: i.tags,
    images: i.images.map((url) => ({ url })),
    image_url: i.imageUrl,
    staff_pick: i.staffPick,
    potency_thc_formatted: i.potencyThcFormatted,
    potency_cbd_formatted: i.potencyCbdFormatted,
    effective_potency_mg: dec4(i.effectivePotencyMg),
    unit_thc_content_dose: dec4(i.unitThcContentDose),
    unit_cbd_content_dose: dec4(i.unitCbdContentDose),
    synced_at: new Date(i.version).toISOString(),
    category_id: i.categoryId,
    brand_id: i.brandId,
    vendor: i.vendor,
    size: i.size,
    weight_grams: i.weightGrams,
    medical_only: i.medicalOnly,
  };
}

function toStorefrontDeal(m: DealMatch): StorefrontDeal {
  const e = m.effect;
  return {
    id: m.dealId,
    discount_id: m.discountId,
    name: m.name,
    kind: m.kind,
    tier: m.tier,
    tier_name: m.tierName,
    unit_price: e.kind === 'unit_price' ? e.unitPrice : null,
    savings: e.kind === 'unit_price' ? e.savings : null,
    offer: e.kind === 'offer' ? e.offer : null,
  };
}

/** The live matches of an item, in display order (the snapshot stores them in that order). */
function liveMatches(s: InventorySnapshot, item: SnapshotItem, live: Uint8Array): DealMatch[] {
  const out: DealMatch[] = [];
  for (let i = 0; i + 1 < item.m.length; i += 2) {
    const di = item.m[i]!;
    const deal = s.deals[di];
    const effect = s.effects[item.m[i + 1]!];
    if (deal === undefined || effect === undefined || live[di] !== 1) continue;
    out.push({ dealId: deal.id, discountId: deal.discountId, name: deal.name, kind: deal.kind, tier: deal.tier, tierName: deal.tierName, effect });
  }
  return out;
}

/** Our deal fields of an item, given which of the snapshot's deals are live. */
export function dealFields(s: InventorySnapshot, item: SnapshotItem, live: Uint8Array): ItemDealFields {
  const match = pickBest(item.productId, liveMatches(s, item, live));
  return { deal_price: match.discountedPrice, best_deal: match.best === null ? null : toStorefrontDeal(match.best), deal_count: match.matches.length, deals: match.matches.map(toStorefrontDeal) };
}

const lower = (v: string | null): string | null => (v === null ? null : v.toLowerCase());
const distinct = (xs: (string | null)[]): string[] => [...new Set(xs.filter((x): x is string => x !== null && x !== ''))].sort();

/** The original's query semantics, over lower-cased fields. */
interface FilterKeys { category: string | null; master: string | null; brand: string | null; name: string | null; strain: string | null }

/** `?category` exact (either category or master category), `?brand` substring of the brand, `?search` substring of name, brand or strain; all case-insensitive. */
export function matchesQuery(k: FilterKeys, q: Pick<InventoryQuery, 'category' | 'brand' | 'search'>): boolean {
  if (q.category !== undefined) {
    const c = q.category.toLowerCase();
    if (k.category !== c && k.master !== c) return false;
  }
  if (q.brand !== undefined && !(k.brand?.includes(q.brand.toLowerCase()) ?? false)) return false;
  if (q.search !== undefined) {
    const t = q.search.toLowerCase();
    if (!(k.name?.includes(t) || k.brand?.includes(t) || k.strain?.includes(t))) return false;
  }
  return true;
}

/** memoised list bodies per snapshot: at most this many, and this many bytes */
const MAX_BODIES = 16;
const MAX_BODY_BYTES = 8 * 1024 * 1024;
const MAX_LIVE_STATES = 8;

interface LiveState { key: string; live: Uint8Array; tails: (string | undefined)[] }

/**
 * One location's snapshot compiled for serving. Keeps texts and filter keys, not the parsed
 * snapshot's objects beyond what deal fields need (deals, effects, each item's match list).
 */
export class ServedInventory {
  readonly etag: string;
  readonly computedAt: number;
  /** each item's JSON text without its closing brace */
  private readonly heads: string[];
  private readonly keys: FilterKeys[];
  private readonly skus: (string | null)[];
  private readonly timings: Array<{ zone: string; timing: CompiledTiming | null }>;
  private readonly zones: string[];
  private readonly categoriesBody: Buffer;
  private readonly brandsBody: Buffer;
  /** approximate bytes held (for the API's memory budget) */
  readonly size: number;
  private second = -1;
  private state: LiveState | null = null;
  private readonly states = new Map<string, LiveState>();
  private readonly bodies = new Map<string, Buffer>();
  private bodyBytes = 0;

  constructor(private readonly snapshot: InventorySnapshot, etag: string) {
    this.etag = etag;
    this.computedAt = snapshot.computedAt;
    this.heads = snapshot.items.map((i) => { const t = JSON.stringify(itemFields(i)); return t.slice(0, -1); });
    this.keys = snapshot.items.map((i) => ({ category: lower(i.category), master: lower(i.masterCategory), brand: lower(i.brand), name: lower(i.name), strain: lower(i.strain) }));
    this.skus = snapshot.items.map((i) => i.sku);
    this.timings = snapshot.deals.map((d) => {
      try { return { zone: d.live.timeZone, timing: compileTiming(d.live) }; } catch { return { zone: d.live.timeZone, timing: null }; }
    });
    this.zones = [...new Set(this.timings.map((t) => t.zone))];
    this.categoriesBody = Buffer.from(JSON.stringify({ categories: distinct(snapshot.items.map((i) => i.category)), masterCategories: distinct(snapshot.items.map((i) => i.masterCategory)) }));
    this.brandsBody = Buffer.from(JSON.stringify({ brands: distinct(snapshot.items.map((i) => i.brand)) }));
    this.size = this.heads.reduce((n, h) => n + h.length, 0) * 2 + this.snapshot.items.length * 200;
  }

  /** Which deals are live at `nowMs` (computed once per second: liveness changes on whole seconds). */
  private liveState(nowMs: number): LiveState {
    const second = Math.floor(nowMs / 1000);
    if (this.state !== null && second === this.second) return this.state;
    const clocks = new Map<string, LocalClock | null>();
    for (const z of this.zones) { try { clocks.set(z, localClock(nowMs, z)); } catch { clocks.set(z, null); } }
    const live = new Uint8Array(this.timings.length);
    for (let i = 0; i < this.timings.length; i += 1) {
      const t = this.timings[i]!;
      const clock = clocks.get(t.zone);
      // a deal whose timing cannot be evaluated is not live (never a wrong price)
      if (t.timing !== null && clock != null && isLiveOnClock(t.timing, clock)) live[i] = 1;
    }
    const key = Buffer.from(live.buffer, live.byteOffset, live.byteLength).toString('latin1');
    let state = this.states.get(key);
    if (state === undefined) {
      state = { key, live, tails: new Array<string | undefined>(this.heads.length) };
      if (this.states.size >= MAX_LIVE_STATES) { this.states.delete(this.states.keys().next().value!); this.bodies.clear(); this.bodyBytes = 0; }
      this.states.set(key, state);
    }
    this.second = second;
    this.state = state;
    return state;
  }

  /** An item's text as a list shows it (our best deal and the count of live deals). */
  private itemText(i: number, state: LiveState): string {
    let tail = state.tails[i];
    if (tail === undefined) {
      const f = dealFields(this.snapshot, this.snapshot.items[i]!, state.live);
      tail = `,"deal_price":${JSON.stringify(f.deal_price)},"best_deal":${JSON.stringify(f.best_deal)},"deal_count":${f.deal_count}}`;
      state.tails[i] = tail;
    }
    return this.heads[i]! + tail;
  }

  /** `{data, total, limit, offset}` as JSON bytes: filtered, then counted, then paged (memoised per query and liveness). */
  list(q: InventoryQuery, nowMs: number): Buffer {
    const state = this.liveState(nowMs);
    const memo = `${state.key}\u0000${q.category ?? '\u0001'}\u0000${q.brand ?? '\u0001'}\u0000${q.search ?? '\u0001'}\u0000${q.limit}\u0000${q.offset}`;
    const hit = this.bodies.get(memo);
    if (hit !== undefined) return hit;
    const filtered = q.category === undefined && q.brand === undefined && q.search === undefined;
    let total = this.heads.length;
    const page: number[] = [];
    if (filtered) {
      for (let i = q.offset; i < Math.min(total, q.offset + q.limit); i += 1) page.push(i);
    } else {
      total = 0;
      for (let i = 0; i < this.keys.length; i += 1) {
        if (!matchesQuery(this.keys[i]!, q)) continue;
        if (total >= q.offset && page.length < q.limit) page.push(i);
        total += 1;
      }
    }
    const body = Buffer.from(`{"data":[${page.map((i) => this.itemText(i, state)).join(',')}],"total":${total},"limit":${q.limit},"offset":${q.offset}}`, 'utf8');
    while (this.bodies.size > 0 && (this.bodies.size >= MAX_BODIES || this.bodyBytes + body.length > MAX_BODY_BYTES)) {
      const [oldest, text] = this.bodies.entries().next().value!;
      this.bodies.delete(oldest);
      this.bodyBytes -= text.length;
    }
    if (body.length <= MAX_BODY_BYTES) { this.bodies.set(memo, body); this.bodyBytes += body.length; }
    return body;
  }

  /** The first item (in list order) with this SKU, as JSON text with every live deal, and their ids. */
  bySku(sku: string, nowMs: number): { text: string; dealIds: string[] } | null {
    const i = this.skus.indexOf(sku);
    if (i === -1) return null;
    const f = dealFields(this.snapshot, this.snapshot.items[i]!, this.liveState(nowMs).live);
    const text = `${this.heads[i]!},"deal_price":${JSON.stringify(f.deal_price)},"best_deal":${JSON.stringify(f.best_deal)},"deal_count":${f.deal_count},"deals":${JSON.stringify(f.deals)}}`;
    return { text, dealIds: f.deals.map((d) => d.id) };
  }

  categories(): Buffer { return this.categoriesBody; }

  brands(): Buffer { return this.brandsBody; }
}
