/**
 * Phase 5's decisions, pure: what Odoo must hold for one store's SKU (a `product.template` of that store,
 * with its variant, and optionally a `stock.quant` at the store's warehouse), computed from the store's
 * packages of that SKU, and the calls that bring Odoo there: creates for what is missing, writes of the
 * changed fields only (records needing the same values share a call), nothing for what is already right.
 *
 * Per store, not per SKU: a product is keyed (`x_dutchie_store_id`, `default_code`), so the same SKU in two
 * stores is two products and one store's price, cost or ids never overwrite the other's.
 * From the packages (inventory ids in order; active ones): the first package that has stock gives name,
 * list price and cost (else the first active one, else the first); weight in kg from its grams; the
 * quantity is the sum over active packages. A SKU whose packages all left the feed keeps its product with
 * quantity 0 (Odoo's history is not deleted).
 */
import { Decimal } from 'decimal.js';
import type { OdooPackage } from '../../shared/db/schema';
import type { InventoryItem } from '../../shared/events';

export const TEMPLATE_FIELDS = ['default_code', 'x_dutchie_store_id', 'name', 'list_price', 'standard_price', 'weight', 'x_dutchie_product_id', 'x_dutchie_inventory_ids', 'type', 'sale_ok'] as const;

/** What phase 5 writes on a store's product (Odoo's wire form: floats as JSON numbers). */
export interface ProductValues {
  default_code: string;
  x_dutchie_store_id: string;
  name: string;
  list_price: number;
  standard_price: number;
  weight: number;
  x_dutchie_product_id: string;
  x_dutchie_inventory_ids: string;
  type: 'product';
  sale_ok: true;
}

export interface StoreProduct { locationId: string; sku: string; values: ProductValues; quantity: number }

export const toPackage = (i: InventoryItem): OdooPackage => ({
  inventoryId: i.inventoryId, productId: i.productId, name: i.name, price: i.price, cost: i.unitCost ?? null, weightGrams: i.weightGrams, quantity: i.quantity, isActive: i.isActive,
});

const byInventoryId = (a: OdooPackage, b: OdooPackage): number => (a.inventoryId.length - b.inventoryId.length) || (a.inventoryId < b.inventoryId ? -1 : a.inventoryId > b.inventoryId ? 1 : 0);
/** Odoo floats: decimals rounded to what Odoo's float fields keep (prices 2 places, weight 3, quantity 3). */
const num = (v: string | null, places: number): number => (v === null ? 0 : new Decimal(v).toDecimalPlaces(places).toNumber());

/**
 * The product of one store's SKU from its packages, live and gone (`removed`: left the feed). With every
 * package gone the product keeps its last values and its quantity is 0. No package at all: null.
 */
export function storeProduct(locationId: string, sku: string, packages: ReadonlyArray<OdooPackage & { removed?: boolean }>): StoreProduct | null {
  if (packages.length === 0) return null;
  const live = packages.filter((p) => p.removed !== true);
  const sorted = [...(live.length ? live : packages)].sort(byInventoryId);
  const active = live.length ? sorted.filter((p) => p.isActive) : [];
  const lead = active.find((p) => new Decimal(p.quantity).gt(0)) ?? active[0] ?? sorted.find((p) => p.isActive) ?? sorted[0]!;
  const quantity = active.reduce((q, p) => q.plus(p.quantity), new Decimal(0));
  return {
    locationId, sku, quantity: quantity.toDecimalPlaces(3).toNumber(),
    values: {
      default_code: sku, x_dutchie_store_id: locationId, name: lead.name ?? sku, list_price: num(lead.price, 2), standard_price: num(lead.cost, 2),
      weight: lead.weightGrams === null ? 0 : new Decimal(lead.weightGrams).div(1000).toDecimalPlaces(3).toNumber(),
      x_dutchie_product_id: lead.productId, x_dutchie_inventory_ids: sorted.map((p) => p.inventoryId).join(','), type: 'product', sale_ok: true,
    },
  };
}

export type OdooRow = { id: number } & Record<string, unknown>;

/** A many2one as Odoo reads it (`[id, name]`) or as written (`id`). */
export const many2oneId = (v: unknown): number | undefined => (Array.isArray(v) && typeof v[0] === 'number' ? v[0] : typeof v === 'number' ? v : undefined);

/** The fields of `want` that differ from the record (floats compared as Odoo keeps them). */
export function changedFields<T extends object>(want: T, have: Record<string, unknown>): Partial<T> {
  const out: Partial<T> = {};
  for (const k of Object.keys(want) as Array<keyof T & string>) {
    const v = want[k];
    const h = have[k];
    const same = typeof v === 'number' && typeof h === 'number' ? Math.abs(v - h) < 1e-9 : v === h || (v === '' && h === false);
    if (!same) out[k] = v;
  }
  return out;
}

export type ProductAction =
  | { kind: 'create'; product: StoreProduct }
  | { kind: 'write'; product: StoreProduct; id: number; values: Partial<ProductValues> }
  | { kind: 'unchanged'; product: StoreProduct; id: number };

const productKey = (locationId: unknown, sku: unknown): string => `${String(locationId)}\u0000${String(sku)}`;

/** Per product: create, write the changed fields, or nothing. Of several records (a lost create reply) the oldest is used. */
export function planProducts(products: readonly StoreProduct[], existing: readonly OdooRow[]): ProductAction[] {
  const have = new Map<string, OdooRow>();
  for (const r of [...existing].sort((a, b) => a.id - b.id)) {
    const k = productKey(r.x_dutchie_store_id, r.default_code);
    if (!have.has(k)) have.set(k, r);
  }
  return products.map((p): ProductAction => {
    const rec = have.get(productKey(p.locationId, p.sku));
    if (!rec) return { kind: 'create', product: p };
    const values = changedFields(p.values, rec);
    return Object.keys(values).length === 0 ? { kind: 'unchanged', product: p, id: rec.id } : { kind: 'write', product: p, id: rec.id, values };
  });
}

export type QuantAction = { kind: 'create'; productId: number; locationId: number; quantity: number } | { kind: 'write'; id: number; quantity: number } | { kind: 'unchanged' };

/** The quant of each (variant, stock location): created, its quantity written when it differs, or nothing. */
export function planQuants(wanted: ReadonlyArray<{ productId: number; locationId: number; quantity: number }>, existing: readonly OdooRow[]): QuantAction[] {
  const have = new Map<string, OdooRow>();
  for (const q of [...existing].sort((a, b) => a.id - b.id)) {
    const k = `${String(many2oneId(q.product_id))}/${String(many2oneId(q.location_id))}`;
    if (!have.has(k)) have.set(k, q);
  }
  return wanted.map((w): QuantAction => {
    const q = have.get(`${w.productId}/${w.locationId}`);
    if (!q) return { kind: 'create', ...w };
    return typeof q.quantity === 'number' && Math.abs(q.quantity - w.quantity) < 1e-9 ? { kind: 'unchanged' } : { kind: 'write', id: q.id, quantity: w.quantity };
  });
}

/** Writes grouped by identical values, at most `batchSize` ids a call (Odoo's `write` sets one set of values on many ids). */
export function groupWrites<V>(writes: ReadonlyArray<{ id: number; values: V }>, batchSize: number): Array<{ ids: number[]; values: V }> {
  const groups = new Map<string, { ids: number[]; values: V }[]>();
  for (const w of writes) {
    const sig = JSON.stringify(w.values, Object.keys(w.values as object).sort());
    const list = groups.get(sig) ?? [];
    const last = list.at(-1);
    if (last && last.ids.length < batchSize) last.ids.push(w.id); else list.push({ ids: [w.id], values: w.values });
    groups.set(sig, list);
  }
  return [...groups.values()].flat();
}

/** A warehouse's short name (Odoo's `code`, at most 5 characters): derived from the store id, stable. */
export function warehouseCode(locationId: string, attempt = 0): string {
  let h = 2166136261 ^ attempt;
  for (const ch of locationId) h = Math.imul(h ^ ch.charCodeAt(0), 16777619);
  return (h >>> 0).toString(36).toUpperCase().padStart(5, '0').slice(-5);
}
