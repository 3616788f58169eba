/**
 * The inventory snapshot of a location as the projector builds it from Postgres (its `inventory`,
 * `product_enrichment` and `discounts` tables), shared by the projector (which writes it to Redis,
 * services/projector/inventory-projection.ts) and the deals API (which builds the same value while
 * Redis is out). One way to build it, so both serve the same items.
 */
import type { Kysely } from '../db/db';
import type { Database } from '../db/schema';
import type { Deal, InventoryItem, ProductEnrichment } from '../events';
import { enrichItems } from './enrichment';
import { buildSnapshot, type InventorySnapshot } from './snapshot';

/** The live enrichment of these SKUs, by SKU. */
export async function loadEnrichment(db: Kysely<Database>, skus: readonly string[]): Promise<Map<string, ProductEnrichment>> {
  const wanted = [...new Set(skus)];
  if (wanted.length === 0) return new Map();
  const rows = await db.selectFrom('product_enrichment').select(['sku', 'payload']).where('sku', 'in', wanted).where('removed', '=', false).execute();
  return new Map(rows.map((r) => [r.sku, r.payload]));
}

/** The canonical deals of a location from the discounts table's payload column. */
export async function loadDealsFromDb(db: Kysely<Database>, locationId: string): Promise<Deal[]> {
  const rows = await db.selectFrom('discounts').select(['payload']).where('location_id', '=', locationId).where('removed', '=', false).execute();
  // payload is the canonical deal as the projector stored it (services/projector/handler.ts: the
  // Avro record minus rawRecord, which matching never reads); anything without the fields
  // matching reads is skipped rather than guessed at
  return rows.map((r) => r.payload as unknown as Deal).filter((d) => typeof d === 'object' && d !== null && typeof d.kind === 'string' && typeof d.restrictions === 'object');
}

/** The location's packages that are not removed, as the projector stored them. */
export async function loadInventoryItems(db: Kysely<Database>, locationId: string): Promise<InventoryItem[]> {
  const rows = await db.selectFrom('inventory').select(['item']).where('location_id', '=', locationId).where('removed', '=', false).execute();
  return rows.map((r) => r.item);
}

/** The snapshot of these packages: each joined with its SKU's enrichment (phase 2, never blanking a POS value), matched against the deals. */
export async function snapshotFromDb(db: Kysely<Database>, locationId: string, items: readonly InventoryItem[], deals: readonly Deal[], computedAt: number): Promise<InventorySnapshot> {
  const skus = items.flatMap((i) => (i.sku === null ? [] : [i.sku]));
  return buildSnapshot(locationId, enrichItems(items, await loadEnrichment(db, skus)), deals, computedAt);
}
