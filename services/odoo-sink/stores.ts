/**
 * Which Odoo store a location is. Odoo keeps its own store ids (`store_ids` is a many2many to
 * `mint.store`). Postgres `locations.odoo_store_id` holds it when the poller has recorded it; else
 * the sink finds the `mint.store` whose `dutchie_loc_id` is the location's `pos_loc_id`. Answers are
 * cached; a location either side does not know is asked again at most once per `missTtlMs`.
 */
import type { Kysely } from 'kysely';
import type { Database } from '../../shared/db/schema';
import { isLocationId } from '../../shared/location-id';
import type { OdooClient } from './odoo-client';

export interface StoreDirectory {
  /** Odoo store id by location id; locations without an Odoo store are absent. */
  resolve(locationIds: readonly string[]): Promise<Map<string, number>>;
}


export interface OdooStoreLookup { model: string; locField: string }

function pick(known: ReadonlyMap<string, number>, ids: readonly string[]): Map<string, number> {
  return new Map(ids.flatMap((l) => { const id = known.get(l); return id === undefined ? [] : [[l, id] as const]; }));
}

export function createStoreDirectory(deps: { db: Kysely<Database>; odoo: OdooClient; lookup: OdooStoreLookup; now: () => number; missTtlMs?: number }): StoreDirectory {
  const { db, odoo, lookup, now, missTtlMs = 60_000 } = deps;
  const known = new Map<string, number>();
  const missedAt = new Map<string, number>();
  return {
    async resolve(locationIds) {
      const ask = [...new Set(locationIds)].filter((l) => !known.has(l) && now() - (missedAt.get(l) ?? -Infinity) >= missTtlMs);
      if (ask.length) {
        // a key whose location part is not a well-formed store id cannot be a store
        const ids = ask.filter(isLocationId);
        const rows = ids.length ? await db.selectFrom('locations').select(['id', 'pos_loc_id', 'odoo_store_id']).where('id', 'in', ids).execute() : [];
        // The poller records a store's Odoo id (locations.odoo_store_id); otherwise ask Odoo by LocId.
        for (const r of rows) if (r.odoo_store_id !== null) known.set(r.id, r.odoo_store_id);
        const locOf = new Map(rows.filter((r) => r.odoo_store_id === null).map((r) => [r.id, r.pos_loc_id]));
        if (locOf.size) {
          const stores = await odoo.executeKw<Array<Record<string, unknown>>>(
            lookup.model, 'search_read', [[[lookup.locField, 'in', [...new Set(locOf.values())]]]], { fields: ['id', lookup.locField] });
          const storeOfLoc = new Map(stores.flatMap((s) => (typeof s.id === 'number' && typeof s[lookup.locField] === 'number' ? [[s[lookup.locField] as number, s.id] as const] : [])));
          for (const [location, posLocId] of locOf) { const s = storeOfLoc.get(posLocId); if (s !== undefined) known.set(location, s); }
        }
        for (const l of ask) if (!known.has(l)) missedAt.set(l, now());
      }
      return pick(known, locationIds);
    },
  };
}

/** A fixed map (deployments that configure it, or the benchmark): `loc=7,loc2=8`. */
export function staticStoreDirectory(map: ReadonlyMap<string, number>): StoreDirectory {
  return { resolve: (ids) => Promise.resolve(pick(map, ids)) };
}
