/**
 * The chain's product catalog in the sandbox Odoo (`product.template` without a store): what staff keep
 * about a product beyond the POS feed, which product enrichment (phase 2) reads by SKU = `default_code`.
 * A share of each store's products is described, deterministically for a seed; the rest stay unknown
 * to Odoo (enrichment leaves them as the POS feed has them). Lists are stored as JSON text, as the
 * original service wrote them.
 */
import { pick, prng, subSeed } from './catalog';
import type { DutchieInventoryRecord } from './inventory';
import type { OdooStore } from './odoo-store';
import type { SandboxStore } from './stores';

const EFFECTS = ['Relaxed', 'Happy', 'Euphoric', 'Uplifted', 'Sleepy', 'Creative', 'Focused', 'Hungry', 'Calm', 'Energetic'];
const TAGS = ['Best Seller', 'Local Favorite', 'Limited', 'Small Batch', 'Organic'];

/** The catalog template of one product (the fields enrichment reads), deterministic for a seed. */
export function catalogProduct(seed: number, r: DutchieInventoryRecord): Record<string, unknown> {
  const rand = prng(subSeed(seed, 'odoo-catalog', r.sku));
  const images = Array.from({ length: 1 + Math.floor(rand() * 3) }, (_, i) => `https://images.mint.test/catalog/${encodeURIComponent(r.sku)}/${i + 1}.jpg`);
  const effects = r.isCannabis ? [...new Set(Array.from({ length: 2 + Math.floor(rand() * 2) }, () => pick(rand, EFFECTS)))] : [];
  const thc = r.isCannabis ? `${(15 + rand() * 15).toFixed(1)}%` : false;
  return {
    name: r.productName, default_code: r.sku, type: 'product', sale_ok: true, list_price: r.unitPrice,
    description_sale: `${r.productName}: ${r.brandName}'s ${r.category.toLowerCase()}, described by the chain's buyers.`,
    x_image_url: images[0], x_images: JSON.stringify(images), x_effects: JSON.stringify(effects),
    x_tags: JSON.stringify(rand() < 0.4 ? [pick(rand, TAGS)] : []), x_staff_pick: rand() < 0.15,
    x_slug: r.productName.toLowerCase().replace(/[^a-z0-9]+/g, '-').replace(/^-|-$/g, ''),
    x_potency_thc_formatted: thc, x_potency_cbd_formatted: r.isCannabis && rand() < 0.3 ? `${(rand() * 2).toFixed(1)}%` : false,
  };
}

/** Describes `share` of a store's products (one per SKU) in the catalog; returns how many. */
export function seedCatalog(odoo: OdooStore, seed: number, _store: SandboxStore, records: readonly DutchieInventoryRecord[], share: number): number {
  const bySku = new Map<string, DutchieInventoryRecord>();
  for (const r of records) if (!bySku.has(r.sku)) bySku.set(r.sku, r);
  const chosen = [...bySku.values()].filter((r) => prng(subSeed(seed, 'odoo-catalog-pick', r.sku))() < share);
  if (chosen.length) odoo.create('product.template', chosen.map((r) => catalogProduct(seed, r)));
  return chosen.length;
}
