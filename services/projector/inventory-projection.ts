/**
 * Inventory projection (a projector: idempotent, rebuildable by replaying inventory.items.v2).
 *
 * 1. applyInventoryBatch: upserts the batch's items into Postgres `inventory`, ignoring versions
 *    older than the stored one; a tombstone marks the row removed. Returns the locations touched.
 * 2. rebuildInventorySnapshot: for one location, reads its live rows and its deals, precomputes
 *    the matches (shared/inventory) and writes the Redis hash `inventory:{locationId}`
 *    ({etag, computedAt, snapshot}) in one HSET (atomic). Call it after a batch for every touched location, and after the deals of a
 *    location change.
 *
 * A separate module until the projector service lands; its consumer wires these in.
 */
import { randomUUID } from 'node:crypto';
import { sql } from 'kysely';
import type { Kysely } from '../../shared/db/db';
import type { Database } from '../../shared/db/schema';
import type { Deal, InventoryItem } from '../../shared/events';
import { loadDealsFromDb, loadInventoryItems, snapshotFromDb } from '../../shared/inventory/from-db';
import { locationOfKey } from '../../shared/topics';
import type { Redis } from '../../shared/redis';
import { applies, notOlderSql } from '../../shared/versioned';

export interface InventoryChange {
  key: string;
  /** null = tombstone (the package left the store's inventory) */
  item: InventoryItem | null;
  /** the version of a tombstone (shared/versioned.ts: its header, else its timestamp); an item's own is item.version */
  version: number;
}

/** Rows per upsert statement (15 parameters each: well under Postgres's 65,535). */
const UPSERT_ROWS = 1000;

export async function applyInventoryBatch(db: Kysely<Database>, changes: readonly InventoryChange[], now: Date): Promise<Set<string>> {
  const touched = new Set<string>();
  // the last change per key wins within a batch unless it is older (shared/versioned.ts), so every
  // key below is unique: one multi-row statement may upsert them all
  const last = new Map<string, InventoryChange>();
  const versionOf = (c: InventoryChange): number => c.item?.version ?? c.version;
  for (const c of changes) {
    const prev = last.get(c.key);
    if (prev !== undefined && !applies(versionOf(c), { version: versionOf(prev), removed: prev.item === null })) continue;
    last.set(c.key, c);
  }
  const removed: InventoryChange[] = [];
  const rows = [];
  for (const c of last.values()) {
    touched.add(c.item?.locationId ?? locationOfKey(c.key));
    if (c.item === null) { removed.push(c); continue; }
    const i = c.item;
    rows.push({
      id: c.key, location_id: i.locationId, inventory_id: i.inventoryId, product_id: i.productId, sku: i.sku, name: i.name, category: i.category,
      brand_id: i.brandId, brand: i.brand, price: i.price, quantity: i.quantity, item: JSON.stringify(i), version: i.version, removed: false, synced_at: now,
    });
  }
  if (removed.length > 0) {
    // the removal records its version: a replayed older upsert of the package stays ignored
    await sql`update inventory i set removed = true, version = t.v, synced_at = ${now}
      from unnest(${removed.map((c) => c.key)}::text[], ${removed.map((c) => String(c.version))}::bigint[]) as t(id, v)
      where i.id = t.id and i.version <= t.v`.execute(db);
  }
  for (let at = 0; at < rows.length; at += UPSERT_ROWS) {
    await db.insertInto('inventory').values(rows.slice(at, at + UPSERT_ROWS))
      .onConflict((oc) => oc.column('id').doUpdateSet({
        location_id: (eb) => eb.ref('excluded.location_id'), inventory_id: (eb) => eb.ref('excluded.inventory_id'), product_id: (eb) => eb.ref('excluded.product_id'), sku: (eb) => eb.ref('excluded.sku'),
        name: (eb) => eb.ref('excluded.name'), category: (eb) => eb.ref('excluded.category'), brand_id: (eb) => eb.ref('excluded.brand_id'),
        brand: (eb) => eb.ref('excluded.brand'), price: (eb) => eb.ref('excluded.price'), quantity: (eb) => eb.ref('excluded.quantity'),
        item: (eb) => eb.ref('excluded.item'), version: (eb) => eb.ref('excluded.version'), removed: false, synced_at: (eb) => eb.ref('excluded.synced_at'),
      }).where(notOlderSql('inventory')))
      .execute();
  }
  return touched;
}

export interface SnapshotDeps {
  db: Kysely<Database>;
  redis: Redis;
  /** redisKeys(prefix).inventory */
  inventoryKey: (locationId: string) => string;
  /** the location's current canonical deals (see loadDealsFromDb) */
  loadDeals: (locationId: string) => Promise<Deal[]>;
  now: () => number;
}

/** The canonical deals of a location (shared with the deals API, which builds the same snapshot while Redis is out). */
export { loadDealsFromDb };

/**
 * Rebuilds the location's snapshot. With `onlyIfKnown` (after a deal change) a location that has
 * never had inventory is left alone, so its inventory endpoints stay 404 (not synced) rather than
 * an empty list.
 */
export async function rebuildInventorySnapshot(deps: SnapshotDeps, locationId: string, opts: { onlyIfKnown?: boolean } = {}): Promise<{ items: number; deals: number } | null> {
  // One rebuild of a location at a time in this process: the deals consumer and the inventory consumer
  // both rebuild a location's snapshot, and one that read the rows before the other's write committed
  // must not write its older snapshot last. Queued, each reads after the previous one wrote.
  const key = deps.inventoryKey(locationId);
  const run = (rebuilding.get(key) ?? Promise.resolve()).catch(() => undefined).then(() => rebuildNow(deps, locationId, opts));
  rebuilding.set(key, run);
  try { return await run; } finally { if (rebuilding.get(key) === run) rebuilding.delete(key); }
}

const rebuilding = new Map<string, Promise<unknown>>();

async function rebuildNow(deps: SnapshotDeps, locationId: string, opts: { onlyIfKnown?: boolean }): Promise<{ items: number; deals: number } | null> {
  const items = await loadInventoryItems(deps.db, locationId);
  if (opts.onlyIfKnown && items.length === 0 && (await deps.redis.exists(deps.inventoryKey(locationId))) === 0) return null;
  const deals = await deps.loadDeals(locationId);
  const computedAt = deps.now();
  // phase 2: each package joined with its SKU's enrichment from the Odoo catalog (shared/inventory/from-db.ts)
  const snapshot = await snapshotFromDb(deps.db, locationId, items, deals, computedAt);
  // one HSET: readers see the old or the new snapshot, never a mix; etag lets them cache the parse
  await deps.redis.hset(deps.inventoryKey(locationId), { etag: randomUUID(), computedAt: String(computedAt), snapshot: JSON.stringify(snapshot) });
  return { items: items.length, deals: snapshot.deals.length };
}
