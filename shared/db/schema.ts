/**
 * The database types, in one place, mirroring migrations/. Row types are derived with
 * Selectable / Insertable / Updateable.
 */
import type { ColumnType, Generated, Insertable, Selectable, Updateable } from 'kysely';
import type { InventoryItem } from '../events';

export const DUTCHIE_APIS = ['pos', 'backoffice'] as const;
export type DutchieApi = (typeof DUTCHIE_APIS)[number];

export const DEAL_SOURCES = ['dutchie', 'ptl'] as const;
export type DealSource = (typeof DEAL_SOURCES)[number];

type Timestamp = ColumnType<Date, Date | string, Date | string>;
/** JSONB column: written as a JSON string or value, read as the parsed value. */
type Json<T> = ColumnType<T, string, string>;

export interface RestrictionJson { ids: number[]; isExclusion: boolean }

export interface LocationsTable {
  id: string; // store UUID
  name: string;
  state: string; // two-letter market, e.g. AZ
  time_zone: string; // IANA, e.g. America/Phoenix
  lsp_id: number;
  pos_loc_id: number; // Dutchie LocId (not the UUID)
  dutchie_api: DutchieApi;
  org_id: number | null; // Backoffice OrgId
  created_at: Generated<Timestamp>;
  odoo_store_id: number | null; // the store in Odoo (PTL deals' store_ids); 0002_poller
}

/** What the poller last published per deal of a store (0002_poller). */
export interface PollerPublishedTable {
  location_id: string;
  discount_id: string; // Dutchie id as text, or ptl_{odoo id}
  source: DealSource;
  content_hash: string;
  fetched_at: ColumnType<string, string | number, string | number>;
}

export interface DiscountsTable {
  id: string; // {locationUUID}_{discountId}
  location_id: string;
  discount_id: string;
  source: DealSource;
  name: string;
  discount_code: string | null;
  discount_type: string;
  calculation_method_id: number | null;
  /** decimal string; percent deals hold a 0-1 fraction */
  discount_amount: string | null;
  is_active: boolean;
  is_available_online: boolean;
  valid_from: Timestamp | null;
  valid_until: Timestamp | null;
  start_time: string | null; // local HH:MM:SS
  end_time: string | null;
  monday: boolean; tuesday: boolean; wednesday: boolean; thursday: boolean;
  friday: boolean; saturday: boolean; sunday: boolean;
  products: Json<RestrictionJson | null> | null;
  brands: Json<RestrictionJson | null> | null;
  product_categories: Json<RestrictionJson | null> | null;
  first_time_customer_only: boolean;
  minimum_items_required: number | null;
  /** the canonical deal as the pipeline carries it (fields the table has no column for) */
  payload: Json<Record<string, unknown>>;
  /** source version (fetch time, ms) of the stored state; older events are ignored */
  version: ColumnType<string, string | number | bigint, string | number | bigint>;
  removed: Generated<boolean>;
  synced_at: Timestamp;
}

export interface InventoryTable {
  id: string; // {locationUUID}_{productId}
  location_id: string;
  product_id: string;
  sku: string;
  name: string;
  category: string | null;
  brand_id: string | null;
  brand: string | null;
  /** decimal string */
  price: string;
  /** decimal string */
  quantity: string;
  /** the canonical InventoryItem */
  item: Json<InventoryItem>;
  version: ColumnType<string, string | number | bigint, string | number | bigint>;
  removed: Generated<boolean>;
  synced_at: Timestamp;
}

/** Poller: the content hash last published per product (migration 0006). */
export interface InventoryPublishedTable {
  location_id: string;
  product_id: string;
  content_hash: string;
  fetched_at: ColumnType<string, string | number | bigint, string | number | bigint>;
}

/** Projector: when a location's read model was last rebuilt (migration 0003). */
export interface LocationSyncTable {
  location_id: string;
  last_sync: Timestamp;
  deal_count: number;
}

export interface Database {
  locations: LocationsTable;
  discounts: DiscountsTable;
  inventory: InventoryTable;
  inventory_published: InventoryPublishedTable;
  poller_published: PollerPublishedTable;
  location_sync: LocationSyncTable;
}

export type Location = Selectable<LocationsTable>;
export type NewLocation = Insertable<LocationsTable>;
export type DiscountRow = Selectable<DiscountsTable>;
export type NewDiscountRow = Insertable<DiscountsTable>;
export type DiscountUpdate = Updateable<DiscountsTable>;
export type InventoryRow = Selectable<InventoryTable>;
export type LocationSync = Selectable<LocationSyncTable>;
