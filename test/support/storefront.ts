/**
 * The live storefront as a test sees it (../shared/domain/storefront-contract.md): the shapes and
 * types it reads, per route, as zod schemas (strict on types, open to fields we add), and its own
 * client-side pricing rule, written here from the contract so tests can hold what we serve to it.
 */
import { z } from 'zod';

const iso = z.string().refine((s) => !Number.isNaN(Date.parse(s)) && new Date(s).toISOString() === s, 'an ISO instant');
const decimal4 = z.string().regex(/^-?\d+\.\d{4}$/, 'a decimal string with 4 places');
const idText = z.string().regex(/^\d+$/, 'a numeric id as a string');
const restriction = z.object({ ids: z.array(z.number()), isExclusion: z.boolean() }).nullable();

/** An inventory item, field by field as the pages read it (types as the original served them). */
export const ContractItem = z.object({
  id: z.string(),
  location_id: z.string(),
  inventory_id: idText,
  product_id: idText,
  sku: z.string().nullable(),
  product_name: z.string().nullable(),
  brand_name: z.string().nullable(),
  category: z.string().nullable(),
  master_category: z.string().nullable(),
  strain: z.string().nullable(),
  strain_type: z.string().nullable(),
  price: decimal4.nullable(),
  unit_price: decimal4.nullable(),
  rec_unit_price: decimal4.nullable(),
  med_unit_price: decimal4.nullable(),
  quantity_available: decimal4,
  is_active: z.boolean(),
  is_cannabis: z.boolean(),
  slug: z.string().nullable(),
  effects: z.array(z.string()),
  tags: z.array(z.string()),
  images: z.array(z.object({ url: z.string() })),
  image_url: z.string().nullable(),
  staff_pick: z.boolean(),
  potency_thc_formatted: z.string().nullable(),
  potency_cbd_formatted: z.string().nullable(),
  effective_potency_mg: decimal4.nullable(),
  unit_thc_content_dose: decimal4.nullable(),
  unit_cbd_content_dose: decimal4.nullable(),
  description: z.string().nullable(),
  synced_at: iso,
});
export type ContractItem = z.infer<typeof ContractItem>;

/** A discount, field by field as the pages read it. */
export const ContractDiscount = z.object({
  id: z.string(),
  location_id: z.string(),
  discount_id: z.number().int(),
  discount_name: z.string().min(1),
  discount_code: z.string().nullable(),
  discount_type: z.string().min(1),
  discount_amount: z.number(),
  is_active: z.literal(true),
  is_available_online: z.boolean(),
  valid_from: iso.nullable(),
  valid_until: iso.nullable(),
  products: restriction,
  product_categories: restriction,
  brands: restriction,
  weekly_recurrence_info: z.record(z.string(), z.unknown()),
  first_time_customer_only: z.boolean(),
  minimum_items_required: z.number().int().nullable(),
  synced_at: iso,
});
export type ContractDiscount = z.infer<typeof ContractDiscount>;

export const ContractRoutes = {
  health: z.object({ status: z.string(), timestamp: iso }),
  locations: z.object({ data: z.array(z.object({ id: z.string(), name: z.string(), city: z.string().nullable(), state: z.string(), slug: z.string().nullable() })), count: z.number().int() }),
  discounts: z.object({ data: z.array(ContractDiscount), count: z.number().int() }),
  inventory: z.object({ data: z.array(ContractItem), total: z.number().int(), limit: z.number().int(), offset: z.number().int() }),
  item: z.object({ data: ContractItem, discounts: z.array(ContractDiscount) }),
  categories: z.object({ categories: z.array(z.string().min(1)), masterCategories: z.array(z.string().min(1)) }),
  brands: z.object({ brands: z.array(z.string().min(1)) }),
  syncStatus: z.object({ locationId: z.string(), lastSync: iso.nullable(), ageSeconds: z.number().int().nonnegative().nullable() }),
};

/** The storefront's base price of an item: `parseFloat(String(unit_price || rec_unit_price || price || 0))`. */
export function storefrontBasePrice(item: Pick<ContractItem, 'unit_price' | 'rec_unit_price' | 'price'>): number {
  return parseFloat(String(item.unit_price || item.rec_unit_price || item.price || 0));
}

/** Whether the storefront can price a discount at all (by its type). */
export function storefrontPrices(d: Pick<ContractDiscount, 'discount_type'>): boolean {
  const t = d.discount_type.toLowerCase();
  return t.includes('percent') || t.includes('price to amount');
}

/** The price the storefront shows for an item under one discount, or undefined (name only). */
export function storefrontPrice(item: ContractItem, d: ContractDiscount): number | undefined {
  const t = d.discount_type.toLowerCase();
  const base = storefrontBasePrice(item);
  if (t.includes('percent')) return base * (1 - d.discount_amount);
  if (t.includes('price to amount')) return d.discount_amount;
  return undefined;
}

/** Whether a discount reaches an item for the storefront: its `products` include the item's product id. */
export function storefrontTargets(d: ContractDiscount, item: ContractItem): boolean {
  return d.products !== null && !d.products.isExclusion && d.products.ids.some((id) => String(id) === String(item.product_id));
}

/** The storefront's pick per product: of the discounts that reach it, the largest `discount_amount`. */
export function storefrontPick(discounts: readonly ContractDiscount[], item: ContractItem): ContractDiscount | undefined {
  let best: ContractDiscount | undefined;
  for (const d of discounts) if (storefrontTargets(d, item) && (best === undefined || d.discount_amount > best.discount_amount)) best = d;
  return best;
}

/** An item as the storefront's pages see it after merging the discounts (its getInventoryWithDiscounts). */
export type StorefrontProduct = ContractItem & { discount_name?: string; discount_valid_from?: string; discount_valid_until?: string; discounted_price?: number };

export function storefrontMerge(items: readonly ContractItem[], discounts: readonly ContractDiscount[]): StorefrontProduct[] {
  return items.map((item) => {
    const d = storefrontPick(discounts, item);
    if (d === undefined) return item;
    return { ...item, discount_name: d.discount_name, discount_valid_from: d.valid_from ?? undefined, discount_valid_until: d.valid_until ?? undefined, discounted_price: storefrontPrice(item, d) };
  });
}

/** The products page: cannabis items that are not inactive. */
export function storefrontProductsPage(products: readonly StorefrontProduct[]): StorefrontProduct[] {
  return products.filter((p) => p.is_cannabis === true && p.is_active !== false);
}
