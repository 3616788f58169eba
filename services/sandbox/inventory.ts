/**
 * Sandbox inventory: a realistic, deterministic product catalog for one store, served as the
 * Dutchie POS `GET /reporting/inventory` record (camelCase) and its Backoffice form (PascalCase,
 * the same rule as the sandbox's discount records).
 *
 * Ids must agree with the ids the sandbox's deals use in their restrictions (brand and category
 * ids per LSP, product ids per location): pass the sandbox catalog's brands and categories in;
 * the defaults below are only for standalone use.
 */
import { Decimal } from 'decimal.js';
import type { PosInventoryRecord } from '../normaliser/inventory-handler';

export interface CatalogBrand { id: number; name: string }
export interface CatalogCategory { id: number; name: string; masterCategory: string; weightsG: readonly (number | null)[]; basePrice: number }

export const DEFAULT_BRANDS: readonly CatalogBrand[] = [
  { id: 301, name: 'Sonoran Farms' }, { id: 302, name: 'Cactus Co' }, { id: 303, name: 'Desert Bloom' }, { id: 304, name: 'Mesa Labs' },
  { id: 305, name: 'Copper State' }, { id: 306, name: 'Saguaro Gardens' }, { id: 307, name: 'Red Rock Extracts' }, { id: 308, name: 'High Plateau' },
];

export const DEFAULT_CATEGORIES: readonly CatalogCategory[] = [
  { id: 12, name: 'Flower', masterCategory: 'Flower', weightsG: [1, 3.5, 7, 14, 28], basePrice: 12 },
  { id: 13, name: 'Pre-Rolls', masterCategory: 'Flower', weightsG: [0.5, 1], basePrice: 8 },
  { id: 14, name: 'Edibles', masterCategory: 'Edibles', weightsG: [null], basePrice: 18 },
  { id: 15, name: 'Vape Cartridges', masterCategory: 'Vaporizers', weightsG: [0.5, 1], basePrice: 30 },
  { id: 16, name: 'Concentrates', masterCategory: 'Concentrates', weightsG: [1], basePrice: 40 },
  { id: 17, name: 'Tinctures', masterCategory: 'Tinctures', weightsG: [null], basePrice: 45 },
];

const STRAINS = ['Desert Kush', 'Blue Dream', 'Gelato', 'OG Kush', 'Sour Diesel', 'Wedding Cake', 'Runtz', 'GMO'] as const;
const STRAIN_TYPES = ['Indica', 'Sativa', 'Hybrid'] as const;

export interface InventoryOptions {
  /** the store's POS LocId: seeds the generator and numbers the product ids */
  posLocId: number;
  count: number;
  brands?: readonly CatalogBrand[];
  categories?: readonly CatalogCategory[];
}

function rng(seed: number): () => number {
  let s = seed >>> 0;
  return () => ((s = (Math.imul(s, 1664525) + 1013904223) >>> 0) / 2 ** 32);
}

// weights as POS catalogs show them: an eighth is 3.54 g, an ounce 28.35 g
const shownWeight = (g: number): number => ({ 3.5: 3.54, 7: 7.09, 14: 14.17, 28: 28.35 } as Record<number, number>)[g] ?? g;

/** The store's inventory as POS records. Product ids are `posLocId * 100000 + n` (per location). */
export function generateInventory(opts: InventoryOptions): PosInventoryRecord[] {
  const brands = opts.brands ?? DEFAULT_BRANDS;
  const categories = opts.categories ?? DEFAULT_CATEGORIES;
  const r = rng(opts.posLocId);
  const pick = <T>(xs: readonly T[]): T => xs[Math.floor(r() * xs.length)]!;
  return Array.from({ length: opts.count }, (_, n) => {
    const brand = pick(brands);
    const cat = pick(categories);
    const grams = pick(cat.weightsG);
    const strain = pick(STRAINS);
    const productId = opts.posLocId * 100000 + n;
    // price grows with weight, ends in .99 or .00; computed in decimals
    const base = new Decimal(cat.basePrice).times(grams === null ? 1 : Math.max(1, grams)).times(0.8 + r() * 0.5);
    const price = base.lt(5) ? new Decimal('4.99') : base.floor().plus(r() < 0.7 ? '0.99' : '0');
    return {
      productId,
      sku: `SBX-${opts.posLocId}-${String(n).padStart(5, '0')}`,
      productName: `${brand.name} ${strain}${grams === null ? '' : ` ${grams}g`} ${cat.name}`,
      description: null,
      categoryId: cat.id,
      category: cat.name,
      masterCategory: cat.masterCategory,
      brandId: brand.id,
      brandName: brand.name,
      strainId: 500 + STRAINS.indexOf(strain),
      strain,
      strainType: pick(STRAIN_TYPES),
      vendorId: 900 + brand.id,
      vendor: `${brand.name} LLC`,
      pricingTierId: null,
      tags: r() < 0.2 ? [{ tagId: 41, tagName: 'Staff Pick' }] : [],
      unitWeight: grams === null ? null : shownWeight(grams),
      unitWeightUnit: grams === null ? null : 'g',
      unitPrice: Number(price.toFixed(2)), // the POS API sends JSON numbers
      recUnitPrice: Number(price.toFixed(2)),
      quantityAvailable: Math.floor(r() * 60),
      imageUrl: null,
    };
  });
}

/** The Backoffice form of a record: every key PascalCase, recursively. */
export function toBackoffice(record: unknown): unknown {
  if (Array.isArray(record)) return record.map(toBackoffice);
  if (record !== null && typeof record === 'object') {
    return Object.fromEntries(Object.entries(record).map(([k, v]) => [k.charAt(0).toUpperCase() + k.slice(1), toBackoffice(v)]));
  }
  return record;
}
