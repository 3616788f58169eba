/**
 * The Odoo models the sandbox serves, as field specifications. `mint.discount` carries exactly the
 * field list of the external contract (external-apis.md §3) plus Odoo's own `id`; the PTL models
 * and the store/market models carry what publishing PTL deals needs.
 */
export const FIELD_TYPES = ['char', 'text', 'integer', 'float', 'boolean', 'date', 'datetime', 'selection', 'many2one', 'many2many'] as const;
export type FieldType = (typeof FIELD_TYPES)[number];

export interface FieldSpec {
  type: FieldType;
  /** longest value of a char field (Odoo's `size`: Postgres varchar(n), a longer value is refused) */
  size?: number;
  /** a SQL unique constraint on the field (Odoo refuses a duplicate with a ValidationError) */
  unique?: boolean;
  /** allowed values of a selection field */
  selection?: readonly string[];
  /** target model of a relational field */
  relation?: string;
  required?: boolean;
}

export type ModelSpec = Record<string, FieldSpec>;

const char: FieldSpec = { type: 'char' };
const text: FieldSpec = { type: 'text' };
const int: FieldSpec = { type: 'integer' };
const float: FieldSpec = { type: 'float' };
const bool: FieldSpec = { type: 'boolean' };
const date: FieldSpec = { type: 'date' };

// The contract lists `percent|fixed|price_to_amount|bogo|bundle|dollar_off_total|...`; the
// sandbox closes the list with the two methods Dutchie has beyond those (loyalty, price_to_amount_total).
export const DISCOUNT_TYPES = ['percent', 'fixed', 'price_to_amount', 'bogo', 'bundle', 'dollar_off_total', 'price_to_amount_total', 'loyalty'] as const;
export const THRESHOLD_TYPES = ['none', 'items', 'order_total', 'subtotal'] as const;
export const DISCOUNT_SOURCES = ['ptl', 'dutchie', 'manual'] as const;

export const MINT_DISCOUNT: ModelSpec = {
  name: { type: 'char', required: true },
  code: char,
  description: text,
  discount_type: { type: 'selection', selection: DISCOUNT_TYPES },
  discount_amount: float,
  discount_value: float,
  calculation_method_id: int,
  is_active: bool,
  is_available_online: bool,
  valid_from: date,
  valid_until: date,
  start_time: float,
  end_time: float,
  monday: bool, tuesday: bool, wednesday: bool, thursday: bool, friday: bool, saturday: bool, sunday: bool,
  threshold_type: { type: 'selection', selection: THRESHOLD_TYPES },
  threshold_min: float,
  threshold_max: float,
  minimum_items_required: int,
  apply_to_only_one_item: bool,
  is_bundled_discount: bool,
  first_time_customer_only: bool,
  can_stack_automatically: bool,
  online_name: char,
  menu_display_name: char,
  menu_display_image_url: char,
  menu_display_rank: int,
  external_id: char,
  dutchie_discount_id: char,
  dutchie_is_deleted: bool,
  store_ids: { type: 'many2many', relation: 'mint.store' },
  brand_restriction_ids_raw: text,
  category_restriction_ids_raw: text,
  product_restriction_ids_raw: text,
  raw_payload: text,
  source: { type: 'selection', selection: DISCOUNT_SOURCES },
  synced_at: { type: 'datetime' },
};

export const MINT_MARKET: ModelSpec = { name: { type: 'char', required: true }, code: char };

export const MINT_STORE: ModelSpec = {
  name: { type: 'char', required: true },
  market_id: { type: 'many2one', relation: 'mint.market' },
  dutchie_loc_id: int,
};

export const MINT_PTL_DEAL: ModelSpec = {
  name: { type: 'char', required: true },
  state: { type: 'selection', selection: ['pending', 'approved', 'rejected', 'live', 'expired'] },
  discount_type: { type: 'selection', selection: DISCOUNT_TYPES },
  discount_value: float,
  original_price: float,
  bogo_buy_qty: int,
  bogo_get_qty: int,
  bogo_get_pct: float,
  brand_ids: { type: 'many2many', relation: 'mint.brand' },
  product_category: char,
  explicit_product_ids: text,
  store_ids: { type: 'many2many', relation: 'mint.store' },
  market_id: { type: 'many2one', relation: 'mint.market' },
  date_start: date,
  date_end: date,
  is_available_online: bool,
};

export const MINT_PTL_DAY: ModelSpec = {
  date,
  market_id: { type: 'many2one', relation: 'mint.market' },
  state: { type: 'selection', selection: ['draft', 'confirmed', 'published'] },
  deal_ids: { type: 'many2many', relation: 'mint.ptl.deal' },
};

export const MINT_BRAND: ModelSpec = { name: { type: 'char', required: true }, dutchie_brand_id: int };

// ---- products and stock (issue 14): the standard models, with the custom fields this chain adds ----------

/** Odoo's automatic last-write instant ('YYYY-MM-DD HH:MM:SS', UTC); the store maintains it, callers cannot set it. */
const writeDate: FieldSpec = { type: 'datetime' };

/**
 * `product.template`. Two kinds live here: the chain's CATALOG (no `x_dutchie_store_id`; staff keep
 * descriptions, images, effects, tags, staff picks, potency text and slugs: product enrichment reads
 * these by `default_code` = SKU), and one product per store and SKU written by phase 5 (inventory to
 * Odoo: `x_dutchie_store_id` set, list price, cost, weight, the Dutchie ids). Creating a template
 * creates its variant (`product.product`), as Odoo does.
 */
export const PRODUCT_TEMPLATE: ModelSpec = {
  name: { type: 'char', required: true },
  default_code: char,
  type: { type: 'selection', selection: ['consu', 'service', 'product'] },
  sale_ok: bool,
  list_price: float,
  standard_price: float,
  weight: float,
  description_sale: text,
  x_dutchie_store_id: char,
  x_dutchie_product_id: char,
  x_dutchie_inventory_ids: char,
  x_image_url: char,
  x_images: text,
  x_effects: text,
  x_tags: text,
  x_staff_pick: bool,
  x_slug: char,
  x_potency_thc_formatted: char,
  x_potency_cbd_formatted: char,
  write_date: writeDate,
};

/** `product.product`: the variant of a template (one each here); `default_code` follows its template's. */
export const PRODUCT_PRODUCT: ModelSpec = {
  product_tmpl_id: { type: 'many2one', relation: 'product.template', required: true },
  default_code: char,
  x_dutchie_store_id: char,
  write_date: writeDate,
};

export const STOCK_LOCATION: ModelSpec = {
  name: { type: 'char', required: true },
  usage: { type: 'selection', selection: ['view', 'internal', 'customer', 'supplier', 'inventory'] },
};

/** `stock.warehouse`: `code` is Odoo's 5-character short name, unique like the name; creating one creates its stock location. */
export const STOCK_WAREHOUSE: ModelSpec = {
  name: { type: 'char', required: true, unique: true },
  code: { type: 'char', required: true, size: 5, unique: true },
  lot_stock_id: { type: 'many2one', relation: 'stock.location' },
  x_dutchie_store_id: char,
  write_date: writeDate,
};

/** `stock.quant`: the quantity of a product at a stock location. */
export const STOCK_QUANT: ModelSpec = {
  product_id: { type: 'many2one', relation: 'product.product', required: true },
  location_id: { type: 'many2one', relation: 'stock.location', required: true },
  quantity: float,
  inventory_quantity: float,
  write_date: writeDate,
};

export const MODELS: Record<string, ModelSpec> = {
  'product.template': PRODUCT_TEMPLATE,
  'product.product': PRODUCT_PRODUCT,
  'stock.location': STOCK_LOCATION,
  'stock.warehouse': STOCK_WAREHOUSE,
  'stock.quant': STOCK_QUANT,
  'mint.discount': MINT_DISCOUNT,
  'mint.market': MINT_MARKET,
  'mint.store': MINT_STORE,
  'mint.brand': MINT_BRAND,
  'mint.ptl.deal': MINT_PTL_DEAL,
  'mint.ptl.day': MINT_PTL_DAY,
};
