/**
 * The projector's memory of the locations it owns: per deal its stored version, whether it is
 * removed, and its storefront fragment (shared/storefront.ts) when it is served. A location's Redis
 * value is then built from memory after a batch instead of reading every row of the location back
 * from Postgres and re-serialising it (that read-back was about a third of the projector's CPU and
 * of Postgres's).
 *
 * Postgres stays the truth; the memory only mirrors it for locations whose only writer is this
 * process (the owner of their partition):
 * - a location is loaded from Postgres (`load`) before its first change is applied, and each change
 *   is applied (`apply`) only AFTER its transaction committed, by the same rule the SQL applies
 *   (shared/versioned.ts), so it holds what Postgres holds;
 * - a row whose stored form Postgres would normalise in a way this file does not reproduce exactly
 *   (more than 6 decimals, fractional seconds, far dates) drops its location, which is then read
 *   back from Postgres as before;
 * - `invalidate()` forgets everything: on every rebalance (another instance may have written the
 *   locations of a partition meanwhile) and when the `discounts` table was swapped by a rebuild's
 *   switch (`checkTable`, once per batch under the switch lock);
 * - a crash loses nothing: a restarted projector loads from Postgres.
 * Memory is bounded: least recently used locations are dropped beyond `maxBytes` of fragments.
 */
import { sql } from 'kysely';
import type { Kysely } from '../../shared/db/db';
import type { Database } from '../../shared/db/schema';
import { STOREFRONT_COLUMNS, discountFragment, locationValue, toStorefrontDiscount, type StorefrontRow } from '../../shared/storefront';
import { locationOfKey } from '../../shared/topics';
import { applies } from '../../shared/versioned';
import type { BatchPlan, ProjectedRow } from './handler';

interface CachedDeal { version: number | string | bigint; removed: boolean; fragment: string | null }
interface CachedLocation { deals: Map<string, CachedDeal>; bytes: number }

const ENTRY_BYTES = 120; // a Map entry, its key and its object, roughly
const DEFAULT_MAX_BYTES = 32 * 1024 * 1024;

const HH_MM = /^\d\d:\d\d$/;
const HH_MM_SS = /^\d\d:\d\d:\d\d$/;
const SIX_DECIMALS = /^-?\d+(\.\d{1,6})?$/;
const NEGATIVE_ZERO = /^-0+(\.0+)?$/;
// instants both sides print alike (4-digit years, no BC)
const YEAR_1000 = Date.UTC(1000, 0, 1);
const YEAR_9999_END = Date.UTC(9999, 11, 31, 23, 59, 59, 999);

/** A `time` column as Postgres prints it, or undefined when that is not certain (fractional seconds). */
function pgTime(t: string | null | undefined): string | null | undefined {
  if (t === null) return null;
  if (t === undefined) return undefined;
  if (HH_MM_SS.test(t)) return t;
  if (HH_MM.test(t)) return `${t}:00`;
  return undefined;
}

const inDateRange = (ms: number | null): boolean => ms === null || (ms >= YEAR_1000 && ms <= YEAR_9999_END);

/**
 * The storefront fragment of a row as it will read back from Postgres (numeric(20,6), time,
 * timestamptz), or undefined when this cannot be sure of that form.
 */
export function fragmentOfRow(row: ProjectedRow): string | undefined {
  const amount = row.discount_amount;
  if (amount !== null && amount !== undefined && (!SIX_DECIMALS.test(amount) || NEGATIVE_ZERO.test(amount))) return undefined;
  const start = pgTime(row.start_time);
  const end = pgTime(row.end_time);
  if (start === undefined || end === undefined) return undefined;
  if (!inDateRange(row.valid_from) || !inDateRange(row.valid_until) || !inDateRange(row.synced_at)) return undefined;
  const stored: StorefrontRow = {
    id: row.id, location_id: row.location_id, discount_id: row.discount_id, source: row.source, name: row.name,
    discount_code: row.discount_code ?? null, discount_type: row.discount_type, calculation_method_id: row.calculation_method_id ?? null,
    discount_amount: amount ?? null, is_active: row.is_active, is_available_online: row.is_available_online,
    valid_from: row.valid_from === null ? null : new Date(row.valid_from), valid_until: row.valid_until === null ? null : new Date(row.valid_until),
    start_time: start, end_time: end,
    monday: row.monday, tuesday: row.tuesday, wednesday: row.wednesday, thursday: row.thursday, friday: row.friday, saturday: row.saturday, sunday: row.sunday,
    products: row.products, brands: row.brands, product_categories: row.product_categories,
    first_time_customer_only: row.first_time_customer_only ?? false, minimum_items_required: row.minimum_items_required ?? null,
    version: String(row.version), time_zone: row.time_zone,
  };
  return discountFragment(toStorefrontDiscount(stored));
}

const served = (removed: boolean, active: boolean): boolean => !removed && active;

export class LocationCache {
  private readonly locations = new Map<string, CachedLocation>(); // insertion order = least recently used first
  private bytes = 0;
  private tableOid: string | undefined;

  constructor(private readonly maxBytes = DEFAULT_MAX_BYTES) {}

  /** Forgets every location (a rebalance, a swapped table), or one. */
  invalidate(locationId?: string): void {
    if (locationId === undefined) { this.locations.clear(); this.bytes = 0; return; }
    const l = this.locations.get(locationId);
    if (l) { this.bytes -= l.bytes; this.locations.delete(locationId); }
  }

  has(locationId: string): boolean { return this.locations.has(locationId); }

  /** Forgets everything when `discounts` is no longer the table the memory was loaded from (a rebuild switched in its shadow). */
  async checkTable(db: Kysely<Database>): Promise<void> {
    const { rows } = await sql<{ oid: string }>`select 'discounts'::regclass::oid::text as oid`.execute(db);
    const oid = rows[0]?.oid;
    if (oid !== this.tableOid) { this.invalidate(); this.tableOid = oid; }
  }

  /** Loads the locations not in memory from Postgres (every row, removed ones too: their versions count). */
  async load(db: Kysely<Database>, locationIds: readonly string[]): Promise<void> {
    const missing = locationIds.filter((id) => !this.locations.has(id));
    if (missing.length === 0 || this.maxBytes === 0) return; // 0: no memory, every value read back
    const rows = await db.selectFrom('discounts').select([...STOREFRONT_COLUMNS, 'removed'])
      .where('location_id', 'in', missing).execute();
    const loaded = new Map<string, CachedLocation>(missing.map((id) => [id, { deals: new Map(), bytes: 0 }]));
    for (const r of rows) {
      const l = loaded.get(r.location_id)!;
      const fragment = served(r.removed, r.is_active) ? discountFragment(toStorefrontDiscount(r)) : null;
      l.deals.set(r.id, { version: r.version, removed: r.removed, fragment });
      l.bytes += ENTRY_BYTES + (fragment?.length ?? 0);
    }
    for (const [id, l] of loaded) { this.locations.set(id, l); this.bytes += l.bytes; }
    this.evict(new Set(locationIds));
  }

  /** Applies a plan that Postgres has committed, by the SQL's rule (store.ts): a change not older than the stored row. */
  apply(plan: BatchPlan): void {
    for (const row of plan.upserts) {
      const l = this.locations.get(row.location_id);
      if (!l) continue;
      const prev = l.deals.get(row.id);
      if (!applies(row.version, prev)) continue;
      let fragment: string | null = null;
      if (served(false, row.is_active)) {
        const f = fragmentOfRow(row);
        if (f === undefined) { this.invalidate(row.location_id); continue; } // read back from Postgres instead
        fragment = f;
      }
      const delta = (fragment?.length ?? 0) - (prev ? (prev.fragment?.length ?? 0) : -ENTRY_BYTES);
      l.bytes += delta;
      this.bytes += delta;
      l.deals.set(row.id, { version: row.version, removed: false, fragment });
    }
    for (const r of plan.removals) {
      const l = this.locations.get(locationOfKey(r.id));
      const prev = l?.deals.get(r.id);
      // the SQL updates an existing row only: a removal of an unknown deal leaves nothing behind
      if (!l || !prev || !applies(r.version, prev)) continue;
      l.bytes -= prev.fragment?.length ?? 0;
      this.bytes -= prev.fragment?.length ?? 0;
      l.deals.set(r.id, { version: r.version, removed: true, fragment: null });
    }
  }

  /** The location's Redis value (storefront.ts's layout, ordered by id), or undefined when it is not in memory. */
  value(locationId: string): { value: string; count: number } | undefined {
    const l = this.locations.get(locationId);
    if (!l) return undefined;
    this.locations.delete(locationId); this.locations.set(locationId, l); // most recently used
    const live: Array<[string, string]> = [];
    for (const [id, d] of l.deals) if (d.fragment !== null) live.push([id, d.fragment]);
    live.sort((a, b) => (a[0] < b[0] ? -1 : a[0] > b[0] ? 1 : 0)); // code point order, as buildLocationValue's `collate "C"`
    return { value: locationValue(live.map(([, f]) => f)), count: live.length };
  }

  /** Fragment bytes held (tests, metrics). */
  get size(): { locations: number; bytes: number } { return { locations: this.locations.size, bytes: this.bytes }; }

  private evict(keep: ReadonlySet<string>): void {
    for (const [id, l] of this.locations) {
      if (this.bytes <= this.maxBytes) return;
      if (keep.has(id)) continue;
      this.locations.delete(id);
      this.bytes -= l.bytes;
    }
  }
}
