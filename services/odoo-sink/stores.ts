/**
 * Which Odoo store a location UUID is. Odoo keeps its own store ids (`store_ids` is a many2many to
 * them); the sink looks each location up once by a configurable model/field and caches the answer.
 * Unknown locations are asked again at most once per `missTtlMs`.
 */
import type { OdooClient } from './odoo-client';

export interface StoreDirectory {
  /** Odoo store id by location UUID; locations Odoo does not know are absent. */
  resolve(locationIds: readonly string[]): Promise<Map<string, number>>;
}

export interface OdooStoreLookup { model: string; locationField: string }

export function createOdooStoreDirectory(odoo: OdooClient, lookup: OdooStoreLookup, now: () => number, missTtlMs = 60_000): StoreDirectory {
  const known = new Map<string, number>();
  const missedAt = new Map<string, number>();
  return {
    async resolve(locationIds) {
      const ask = [...new Set(locationIds)].filter((l) => !known.has(l) && now() - (missedAt.get(l) ?? -Infinity) >= missTtlMs);
      if (ask.length) {
        const rows = await odoo.executeKw<Array<Record<string, unknown>>>(
          lookup.model, 'search_read', [[[lookup.locationField, 'in', ask]]], { fields: ['id', lookup.locationField] });
        for (const r of rows) {
          const loc = r[lookup.locationField];
          if (typeof loc === 'string' && typeof r.id === 'number') known.set(loc, r.id);
        }
        for (const l of ask) if (!known.has(l)) missedAt.set(l, now());
      }
      return new Map(locationIds.flatMap((l) => { const id = known.get(l); return id === undefined ? [] : [[l, id] as const]; }));
    },
  };
}

/** A fixed map (tests, or deployments that configure it): `uuid=7,uuid2=8`. */
export function staticStoreDirectory(map: ReadonlyMap<string, number>): StoreDirectory {
  return { resolve: (ids) => Promise.resolve(new Map(ids.flatMap((l) => { const id = map.get(l); return id === undefined ? [] : [[l, id] as const]; }))) };
}
