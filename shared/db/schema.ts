/**
 * The database types, in one place, mirroring migrations/. Row types are derived with
 * Selectable / Insertable / Updateable.
 */
import type { ColumnType, Generated, Insertable, Selectable, Updateable } from 'kysely';
import type { InventoryItem, ProductEnrichment } from '../events';

export const DUTCHIE_APIS = ['pos', 'backoffice'] as const;
export type DutchieApi = (typeof DUTCHIE_APIS)[number];

export const DEAL_SOURCES = ['dutchie', 'ptl'] as const;
export type DealSource = (typeof DEAL_SOURCES)[number];

type Timestamp = ColumnType<Date, Date | string, Date | string>;
/** JSONB column: written as a JSON string or value, read as the parsed value. */
type Json<T> = ColumnType<T, string, string>;

export interface RestrictionJson { ids: number[]; isExclusion: boolean }

export interface LocationsTable {
  id: string; // the store's id in the chain's CMS (DutchieStoreID): opaque text, see shared/location-id.ts
  name: string;
  city: string | null; // 0008
  slug: string | null; // 0008
  state: string; // two-letter market, e.g. AZ
  time_zone: string; // IANA, e.g. America/Phoenix
  lsp_id: number;
  pos_loc_id: number; // Dutchie LocId (not the UUID)
  dutchie_api: DutchieApi;
  org_id: number | null; // Backoffice OrgId
  created_at: Generated<Timestamp>;
  odoo_store_id: number | null; // the store in Odoo (PTL deals' store_ids); 0002_poller
  /** the directory gave the store its own POS key (kept in the poller's memory, never stored); 0010 */
  has_store_key: Generated<boolean>;
  /** when the store directory last listed the store (null: the row was not written by the directory); 0010 */
  directory_seen_at: Timestamp | null;
}

/** A store the directory marked inactive, until its deals and inventory are withdrawn (0010). */
export interface StoreWithdrawalsTable {
  location_id: string;
  name: string;
  state: string;
  time_zone: string;
  pos_loc_id: number;
  reason: string;
  requested_at: DefaultTimestamp;
  deals_done_at: Timestamp | null;
  inventory_done_at: Timestamp | null;
}

/** Projector: the newest enrichment of each SKU (products.enrichment.v1), joined into snapshots (0010). */
export interface ProductEnrichmentTable {
  sku: string;
  payload: Json<ProductEnrichment>;
  version: ColumnType<string, string | number | bigint, string | number | bigint>;
  removed: Generated<boolean>;
  synced_at: Timestamp;
}

/** Enricher: the content hash published per SKU (0010). */
export interface EnrichmentPublishedTable {
  sku: string;
  content_hash: string;
  published_at: ColumnType<string, string | number, string | number>;
}

/** Phase 5: the packages of each store (fold of inventory.items.v2, newest version wins) (0010). */
export interface OdooInventoryPackagesTable {
  id: string;
  location_id: string;
  sku: string;
  package: Json<OdooPackage>;
  version: ColumnType<string, string | number | bigint, string | number | bigint>;
  removed: Generated<boolean>;
}

/** What phase 5 keeps of a package: what Odoo's product of its store and SKU is computed from. */
export interface OdooPackage { inventoryId: string; productId: string; name: string | null; price: string; cost: string | null; weightGrams: string | null; quantity: string; isActive: boolean }

/** What the poller last published per deal of a store (0002_poller). */
export interface PollerPublishedTable {
  location_id: string;
  discount_id: string; // Dutchie id as text, or ptl_{odoo id}
  source: DealSource;
  content_hash: string;
  fetched_at: ColumnType<string, string | number, string | number>;
}

export interface DiscountsTable {
  id: string; // {locationId}_{discountId}
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
  /** IANA zone of the store; the deal's hours and weekdays are local to it */
  time_zone: string;
  /** the canonical deal as the pipeline carries it (Postgres `json`: stored as written, read back whole) */
  payload: Json<Record<string, unknown>>;
  /** source version (fetch time, ms) of the stored state; older events are ignored */
  version: ColumnType<string, string | number | bigint, string | number | bigint>;
  removed: Generated<boolean>;
  synced_at: Timestamp;
}

export interface InventoryTable {
  id: string; // {locationId}_{inventoryId}: one row per inventory package
  location_id: string;
  inventory_id: string;
  product_id: string;
  sku: string | null;
  name: string | null;
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

/** Poller: the content hash last published per inventory package (migrations 0006, 0008). */
export interface InventoryPublishedTable {
  location_id: string;
  inventory_id: string;
  content_hash: string;
  fetched_at: ColumnType<string, string | number | bigint, string | number | bigint>;
}

/** Poller: the identity of the raw topic its hashes describe (migration 0011). */
export interface PollerLogIdentityTable {
  topic: string;
  cluster_id: string;
  /** {partition: end offset} after the last cycle */
  ends: Json<Record<string, string>>;
  checked_at: Generated<Timestamp>;
}

/** Redrive: dead letters that went back to their origin topic (migration 0012). */
export interface DlqRedrivenTable {
  dlq_topic: string;
  partition: number;
  offset: ColumnType<string, string | number | bigint, string | number | bigint>;
  origin_topic: string;
  run_id: string;
  redriven_at: Generated<Timestamp>;
}

/** Projector: when a location's read model was last rebuilt (migration 0003). */
export interface LocationSyncTable {
  location_id: string;
  last_sync: Timestamp;
  deal_count: number;
}

/** odoo-sink: newest deal version applied to Odoo, per deal key (migration 0005). */
export interface OdooSinkAppliedTable {
  deal_key: string;
  version: ColumnType<string, string | number, string | number>;
  removed: boolean;
  applied_at: Generated<Timestamp>;
}

/** Who owns a consumer group's partition, and since which epoch (migration 0013, shared/fencing.ts). */
export interface PartitionOwnersTable {
  group_id: string;
  topic: string;
  partition: number;
  epoch: ColumnType<string, string | number, string | number>;
  owner: string;
  claimed_at: Generated<Timestamp>;
}

export interface Database {
  locations: LocationsTable;
  discounts: DiscountsTable;
  inventory: InventoryTable;
  inventory_published: InventoryPublishedTable;
  poller_published: PollerPublishedTable;
  poller_log_identity: PollerLogIdentityTable;
  dlq_redriven: DlqRedrivenTable;
  location_sync: LocationSyncTable;
  employee: EmployeeTable;
  promotion: PromotionTable;
  discount_rule: DiscountRuleTable;
  discount_application: DiscountApplicationTable;
  discount_approval: DiscountApprovalTable;
  discount_outbox: DiscountOutboxTable;
  odoo_sink_applied: OdooSinkAppliedTable;
  store_withdrawals: StoreWithdrawalsTable;
  product_enrichment: ProductEnrichmentTable;
  enrichment_published: EnrichmentPublishedTable;
  odoo_inventory_packages: OdooInventoryPackagesTable;
  partition_owners: PartitionOwnersTable;
}

export type Location = Selectable<LocationsTable>;
export type NewLocation = Insertable<LocationsTable>;
export type DiscountRow = Selectable<DiscountsTable>;
export type NewDiscountRow = Insertable<DiscountsTable>;
export type DiscountUpdate = Updateable<DiscountsTable>;
export type InventoryRow = Selectable<InventoryTable>;
export type LocationSync = Selectable<LocationSyncTable>;

// --- discounts service (migrations/0004_discounts.ts) ---
export const DISCOUNT_SCOPES = ['line', 'cart'] as const;
export type DiscountScope = (typeof DISCOUNT_SCOPES)[number];
export const DISCOUNT_TYPES = ['manual', 'promotion', 'markdown', 'override', 'comp', 'loyalty'] as const;
export type DiscountType = (typeof DISCOUNT_TYPES)[number];
export const DISCOUNT_METHODS = ['percent', 'amount'] as const;
export type DiscountMethod = (typeof DISCOUNT_METHODS)[number];
/** In increasing order of authority: the index is the level. */
export const EMPLOYEE_ROLES = ['cashier', 'manager', 'owner'] as const;
export type EmployeeRole = (typeof EMPLOYEE_ROLES)[number];

/** numeric(20,6): read as a decimal string (shared/db/db.ts), written as a decimal string. */
type Numeric = string;
/** timestamptz with a database default. */
type DefaultTimestamp = ColumnType<Date, Date | string | undefined, Date | string>;

export interface EmployeeTable {
  id: Generated<string>;
  business_id: string;
  name: string;
  role: EmployeeRole;
  can_approve_discounts: Generated<boolean>;
  can_override_prices: Generated<boolean>;
  is_active: Generated<boolean>;
  created_at: DefaultTimestamp;
  /** the identity provider's subject (`sub`) of this employee's tokens; unique per business (0008) */
  subject: ColumnType<string | null, string | null | undefined, string | null>;
}

export interface PromotionTable {
  id: Generated<string>;
  business_id: string;
  name: string;
  method: DiscountMethod;
  value: Numeric;
  max_value: Numeric | null;
  is_active: Generated<boolean>;
  valid_from: Timestamp | null;
  valid_to: Timestamp | null;
  created_at: DefaultTimestamp;
}

export interface DiscountRuleTable {
  id: Generated<string>;
  business_id: string;
  name: string;
  description: string | null;
  scope: DiscountScope;
  applies_to: Generated<string>;
  type: DiscountType;
  method: DiscountMethod;
  value: Numeric;
  max_value: Numeric | null;
  requires_reason: Generated<boolean>;
  requires_approval: Generated<boolean>;
  min_role_level: EmployeeRole | null;
  is_active: Generated<boolean>;
  valid_from: Timestamp | null;
  valid_to: Timestamp | null;
  created_at: DefaultTimestamp;
  created_by: string | null;
  updated_at: DefaultTimestamp;
  updated_by: string | null;
}

export interface DiscountApplicationTable {
  id: string;
  business_id: string;
  entity_type: string;
  entity_id: string;
  line_id: string | null;
  scope: DiscountScope;
  type: DiscountType;
  method: DiscountMethod;
  value: Numeric;
  amount_applied: Numeric;
  rule_id: string | null;
  promotion_id: string | null;
  reason: string | null;
  approved_by: string | null;
  created_by: string | null;
  redemption_id: string | null;
  created_at: Timestamp;
  /** the one-time approval this application used (0008); unique */
  approval_id: ColumnType<string | null, string | null | undefined, string | null>;
}

/** A one-time approval code issued by an approving employee for one application (0008). */
export interface DiscountApprovalTable {
  id: string;
  business_id: string;
  /** SHA-256 (hex) of the code; the code itself is never stored */
  code_hash: string;
  approver_id: string;
  entity_type: string;
  entity_id: string;
  scope: DiscountScope;
  line_id: string | null;
  /** the discount approved: {kind: rule, ruleId} | {kind: promotion, promotionId} | {kind: manual, type, method, value} */
  discount: Json<Record<string, unknown>>;
  max_amount: Numeric;
  note: string | null;
  created_at: DefaultTimestamp;
  expires_at: Timestamp;
  used_at: Timestamp | null;
}

export interface DiscountOutboxTable {
  seq: ColumnType<string, never, never>;
  id: string; // event id
  topic: string; // logical topic name (unprefixed), see shared/topics.ts
  key: string;
  payload: Json<Record<string, unknown>>;
  created_at: DefaultTimestamp;
  published_at: Timestamp | null;
  attempts: Generated<number>;
}

export type EmployeeRow = Selectable<EmployeeTable>;
export type PromotionRow = Selectable<PromotionTable>;
export type DiscountRuleRow = Selectable<DiscountRuleTable>;
export type NewDiscountRule = Insertable<DiscountRuleTable>;
export type DiscountRuleUpdate = Updateable<DiscountRuleTable>;
export type DiscountApplicationRow = Selectable<DiscountApplicationTable>;
export type NewDiscountApplication = Insertable<DiscountApplicationTable>;
export type DiscountOutboxRow = Selectable<DiscountOutboxTable>;
export type DiscountApprovalRow = Selectable<DiscountApprovalTable>;
export type NewDiscountApproval = Insertable<DiscountApprovalTable>;
