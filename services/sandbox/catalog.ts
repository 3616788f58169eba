/**
 * The sandbox's product catalog: brand and category ids per LSP, product ids and SKUs per location
 * (deal-semantics rule 13). Deals' restrictions are drawn from it, and the inventory sandbox (issue 6)
 * uses the same generator, so a generated deal's brand/category/product ids exist in inventory.
 * Deterministic: the same seed and LSP give the same catalog.
 */

/** mulberry32: a small, fast, seeded PRNG (uniform in [0, 1)). */
export function prng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** A seed for one purpose derived from the sandbox seed (so catalogs do not depend on call order). */
export function subSeed(seed: number, ...parts: Array<string | number>): number {
  let h = 2166136261 ^ seed;
  for (const ch of parts.join('/')) h = Math.imul(h ^ ch.charCodeAt(0), 16777619);
  return h >>> 0;
}

export const pick = <T>(rand: () => number, xs: readonly T[]): T => xs[Math.floor(rand() * xs.length)]!;

export interface Brand { id: number; name: string }
export interface Category { id: number; name: string; masterCategory: string }
export interface Product {
  id: number;
  sku: string;
  name: string;
  brandId: number;
  categoryId: number;
  /** grams, or null for non-weighted items; a decimal string, never a float */
  weightGrams: string | null;
  /** unit price as a decimal string */
  price: string;
}

export interface LspCatalog { lspId: number; brands: Brand[]; categories: Category[] }

const BRAND_NAMES = ['Mint Cannabis', 'Grassroots', 'Stiiizy', 'Wyld', 'Select', 'Cookies', 'Kiva', 'Alien Labs', 'Connected', 'Dr. Zodiak', 'Timeless', 'Ozone', 'Cresco', 'Rythm', 'Good News', 'Jeeter', 'Raw Garden', 'Camino', 'Dime', 'Lost Dutchmen'];
const CATEGORIES: Array<[string, string]> = [
  ['Flower', 'Flower'], ['Pre-Roll', 'Pre-Rolls'], ['Vape Cartridge', 'Vapes'], ['Disposable Vape', 'Vapes'], ['Edible Gummy', 'Edibles'],
  ['Chocolate', 'Edibles'], ['Concentrate', 'Concentrates'], ['Live Resin', 'Concentrates'], ['Tincture', 'Tinctures'], ['Topical', 'Topicals'],
  ['Beverage', 'Edibles'], ['Accessories', 'Accessories'], ['Apparel', 'Merch'],
];
const WEIGHTS = ['1', '3.5', '7', '14', '28', '0.5', '0.7'];

/** Brands and categories of an LSP: ids unique per LSP (lspId*1000+n brands, lspId*100+n categories). */
export function lspCatalog(seed: number, lspId: number): LspCatalog {
  const rand = prng(subSeed(seed, 'catalog', lspId));
  const brandCount = 8 + Math.floor(rand() * (BRAND_NAMES.length - 8));
  const brands = [...BRAND_NAMES].sort(() => rand() - 0.5).slice(0, brandCount).map((name, i) => ({ id: lspId * 1000 + i + 1, name }));
  const categories = CATEGORIES.map(([name, masterCategory], i) => ({ id: lspId * 100 + i + 1, name, masterCategory }));
  return { lspId, brands, categories };
}

/** Products of one location (ids posLocId*10000+n, SKUs per location) over its LSP's brands/categories. */
export function locationProducts(seed: number, catalog: LspCatalog, posLocId: number, count = 150): Product[] {
  const rand = prng(subSeed(seed, 'products', catalog.lspId, posLocId));
  return Array.from({ length: count }, (_, i) => {
    const brand = pick(rand, catalog.brands);
    const category = pick(rand, catalog.categories);
    const weighted = ['Flower', 'Pre-Roll', 'Concentrate', 'Live Resin', 'Vape Cartridge'].includes(category.name);
    const weightGrams = weighted ? pick(rand, WEIGHTS) : null;
    const cents = 500 + Math.floor(rand() * 9500);
    return {
      id: posLocId * 10000 + i + 1, sku: `SKU-${posLocId}-${String(i + 1).padStart(4, '0')}`,
      name: `${brand.name} ${category.name}${weightGrams ? ` ${weightGrams}g` : ''} #${i + 1}`,
      brandId: brand.id, categoryId: category.id, weightGrams, price: `${Math.floor(cents / 100)}.${String(cents % 100).padStart(2, '0')}`,
    };
  });
}
