/**
 * Sandbox inventory: the store's products from the sandbox catalog (services/sandbox/catalog.ts,
 * the same generator the deals' restrictions are drawn from, so brand, category and product ids
 * agree), served as the Dutchie POS `GET /reporting/inventory` record (camelCase) and its
 * Backoffice form (PascalCase, the same rule as the sandbox's discount records).
 * Deterministic: the same seed and store give the same inventory.
 */
import { lspCatalog, locationProducts, pick, prng, subSeed, type LspCatalog, type Product } from './catalog';
import type { PosInventoryRecord } from '../normaliser/inventory-handler';

const STRAINS = ['Desert Kush', 'Blue Dream', 'Gelato', 'OG Kush', 'Sour Diesel', 'Wedding Cake', 'Runtz', 'GMO'] as const;
const STRAIN_TYPES = ['Indica', 'Sativa', 'Hybrid'] as const;

// weights as POS catalogs show them: an eighth is 3.54 g, an ounce 28.35 g (deals say 3.5 and 28)
const SHOWN_WEIGHT: Record<string, number> = { '3.5': 3.54, '7': 7.09, '14': 14.17, '28': 28.35 };

/** One catalog product as a POS reporting-inventory record. */
export function toPosInventory(seed: number, catalog: LspCatalog, product: Product): PosInventoryRecord {
  const rand = prng(subSeed(seed, 'inventory', product.id));
  const brand = catalog.brands.find((b) => b.id === product.brandId);
  const category = catalog.categories.find((c) => c.id === product.categoryId);
  const strain = pick(rand, STRAINS);
  return {
    productId: product.id,
    sku: product.sku,
    productName: product.name,
    description: null,
    categoryId: product.categoryId,
    category: category?.name ?? null,
    masterCategory: category?.masterCategory ?? null,
    brandId: product.brandId,
    brandName: brand?.name ?? null,
    strainId: 500 + STRAINS.indexOf(strain),
    strain,
    strainType: pick(rand, STRAIN_TYPES),
    vendorId: product.brandId + 500000,
    vendor: brand ? `${brand.name} LLC` : null,
    pricingTierId: null,
    tags: rand() < 0.2 ? [{ tagId: 41, tagName: 'Staff Pick' }] : [],
    unitWeight: product.weightGrams === null ? null : SHOWN_WEIGHT[product.weightGrams] ?? Number(product.weightGrams),
    unitWeightUnit: product.weightGrams === null ? null : 'g',
    // the POS API sends JSON numbers; the catalog's decimal string has two decimals, so this is exact
    unitPrice: Number(product.price),
    recUnitPrice: Number(product.price),
    quantityAvailable: Math.floor(rand() * 60),
    imageUrl: null,
  };
}

/** The inventory of one store (its LSP's catalog, its own products). */
export function storeInventory(seed: number, store: { lspId: number; posLocId: number }, count?: number): PosInventoryRecord[] {
  const catalog = lspCatalog(seed, store.lspId);
  return locationProducts(seed, catalog, store.posLocId, count).map((p) => toPosInventory(seed, catalog, p));
}

/** The Backoffice form of a record: every key PascalCase, recursively. */
export function toBackoffice(record: unknown): unknown {
  if (Array.isArray(record)) return record.map(toBackoffice);
  if (record !== null && typeof record === 'object') {
    return Object.fromEntries(Object.entries(record).map(([k, v]) => [k.charAt(0).toUpperCase() + k.slice(1), toBackoffice(v)]));
  }
  return record;
}
