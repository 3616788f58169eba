/**
 * Enrichment projection (phase 2; a projector: idempotent, rebuildable by replaying the compacted
 * products.enrichment.v1): upserts each SKU's enrichment into Postgres `product_enrichment` (an older
 * version never replaces a newer one; a tombstone marks it removed) and says which locations hold a
 * live package of a touched SKU, whose snapshots must then be rebuilt. The join itself is
 * shared/inventory/enrichment.ts, applied in rebuildInventorySnapshot.
 */
import { sql } from 'kysely';
import type { Kysely } from '../../shared/db/db';
import type { Database } from '../../shared/db/schema';
import type { ProductEnrichment } from '../../shared/events';

export interface EnrichmentChange {
  /** the message key: the SKU */
  sku: string;
  /** null = tombstone (the catalog no longer describes the SKU) */
  enrichment: ProductEnrichment | null;
  /** the message timestamp (ms): the version of a tombstone */
  timestamp: number;
}

/** Applies a batch (the last change per SKU wins, the topic being ordered per key); returns the SKUs touched. */
export async function applyEnrichmentBatch(db: Kysely<Database>, changes: readonly EnrichmentChange[], now: Date): Promise<string[]> {
  const last = new Map<string, EnrichmentChange>();
  for (const c of changes) last.set(c.sku, c);
  if (last.size === 0) return [];
  const rows = [...last.values()].map((c) => ({
    sku: c.sku, payload: JSON.stringify(c.enrichment ?? {}), version: c.enrichment?.version ?? c.timestamp, removed: c.enrichment === null, synced_at: now,
  }));
  await db.insertInto('product_enrichment').values(rows)
    .onConflict((oc) => oc.column('sku').doUpdateSet({
      payload: sql`case when excluded.removed then product_enrichment.payload else excluded.payload end`,
      version: (eb) => eb.ref('excluded.version'), removed: (eb) => eb.ref('excluded.removed'), synced_at: (eb) => eb.ref('excluded.synced_at'),
    }).where(sql<boolean>`product_enrichment.version <= excluded.version`))
    .execute();
  return [...last.keys()];
}

/** The locations with a live package of any of these SKUs. */
export async function locationsOfSkus(db: Kysely<Database>, skus: readonly string[]): Promise<string[]> {
  if (skus.length === 0) return [];
  const rows = await db.selectFrom('inventory').select('location_id').distinct().where('sku', 'in', [...skus]).where('removed', '=', false).execute();
  return rows.map((r) => r.location_id);
}

/** The live enrichment of these SKUs, by SKU (shared with the deals API: shared/inventory/from-db.ts). */
export { loadEnrichment } from '../../shared/inventory/from-db';
