/**
 * Product enrichment (phase 2) joined into a store's package: pure, one rule per field, written once for
 * the projector (which joins before it builds a snapshot) and its tests. The enrichment is the chain's
 * Odoo catalog for the package's SKU (products.enrichment.v1); the package is what the POS feed said.
 *
 * The rule that holds everything: enrichment ADDS, it never blanks a POS value. An empty text or list in
 * the catalog means "nothing to add".
 *   description   the catalog's when it has one (the buyers' text is the better one), else the feed's
 *   image_url     the catalog's primary image, else its first image, else the feed's
 *   images        the catalog's images first, then the feed's, each URL once
 *   effects       the catalog's (the feed has none), else whatever the item had
 *   tags          the feed's tags, then the catalog's not already there (tag ids for matching are untouched)
 *   staff_pick    true when either says so
 *   slug          the catalog's, else the item's
 *   potency text  the feed's (measured on this package by its lab results) when it has one, else the catalog's
 * Prices, quantities, categories, brands and ids are never touched: matching and prices do not depend on it.
 */
import type { InventoryItem, ProductEnrichment } from '../events';

const text = (v: string | null | undefined): string | null => (typeof v === 'string' && v.trim() !== '' ? v : null);
const unique = (xs: ReadonlyArray<string | null | undefined>): string[] => [...new Set(xs.filter((x): x is string => text(x) !== null))];

export function enrichItem<T extends InventoryItem>(item: T, e: ProductEnrichment | undefined): T {
  if (e === undefined) return item;
  const catalogImages = unique([e.imageUrl, ...e.images]);
  return {
    ...item,
    description: text(e.description) ?? item.description,
    imageUrl: catalogImages[0] ?? item.imageUrl,
    images: unique([...catalogImages, ...item.images, item.imageUrl]),
    effects: unique(e.effects).length > 0 ? unique(e.effects) : item.effects,
    tags: unique([...item.tags, ...e.tags]),
    staffPick: item.staffPick || e.staffPick,
    slug: text(e.slug) ?? item.slug,
    potencyThcFormatted: text(item.potencyThcFormatted) ?? text(e.potencyThcFormatted),
    potencyCbdFormatted: text(item.potencyCbdFormatted) ?? text(e.potencyCbdFormatted),
  };
}

/** Every item joined with the enrichment of its SKU (items without a SKU, or an unknown one, as they are). */
export function enrichItems<T extends InventoryItem>(items: readonly T[], bySku: ReadonlyMap<string, ProductEnrichment>): T[] {
  if (bySku.size === 0) return [...items];
  return items.map((i) => (i.sku === null ? i : enrichItem(i, bySku.get(i.sku))));
}
