/** Seeds the `locations` table from a sandbox's store directory (used by `npm start` and `npm run sandbox:seed`). */
import type { Kysely } from 'kysely';
import type { Database } from '../../shared/db/schema';
import type { DutchieApi } from '../../shared/db/schema';

/** A store as the sandbox's `GET /admin/stores` lists it. */
export interface StoreRow {
  id: string; name: string; city: string | null; slug: string | null; state: string; timeZone: string; lspId: number; posLocId: number;
  api: DutchieApi; orgId: number | null; odooStoreId: number;
}

export async function upsertSandboxLocations(db: Kysely<Database>, dir: { locations: readonly StoreRow[] }): Promise<number> {
  for (const s of dir.locations) {
    const row = { name: s.name, city: s.city, slug: s.slug, state: s.state, time_zone: s.timeZone, lsp_id: s.lspId, pos_loc_id: s.posLocId, dutchie_api: s.api, org_id: s.orgId, odoo_store_id: s.odooStoreId };
    await db.insertInto('locations').values({ id: s.id, ...row }).onConflict((oc) => oc.column('id').doUpdateSet(row)).execute();
  }
  return dir.locations.length;
}
