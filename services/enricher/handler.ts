/**
 * The enricher's decisions, pure: what a catalog `product.template` of the chain's Odoo says of a
 * product (ProductEnrichment), and which enrichments to publish against the hashes published before.
 * A full read also removes (tombstones) the SKUs the catalog no longer describes; an incremental read
 * (templates written since the last one) never removes. A full read that finds an empty catalog while
 * SKUs were published removes nothing: an Odoo answering "no products" is not read as "every product gone".
 */
import { hash } from 'node:crypto';
import { z } from 'zod';
import type { ProductEnrichment } from '../../shared/events';

/** The template fields the enricher reads (Odoo answers `false` for an empty field). */
export const CATALOG_FIELDS = [
  'default_code', 'description_sale', 'x_image_url', 'x_images', 'x_effects', 'x_tags', 'x_staff_pick', 'x_slug',
  'x_potency_thc_formatted', 'x_potency_cbd_formatted', 'write_date',
] as const;

/** The chain's catalog: templates with a SKU that are not a store's product (phase 5 writes those). */
export const CATALOG_DOMAIN: unknown[] = [['default_code', '!=', false], ['x_dutchie_store_id', '=', false]];

const odooText = z.union([z.string(), z.literal(false)]).transform((v) => (v === false || v.trim() === '' ? null : v));
const CatalogRecord = z.object({
  id: z.number().int(),
  default_code: odooText,
  description_sale: odooText.optional(),
  x_image_url: odooText.optional(),
  x_images: odooText.optional(),
  x_effects: odooText.optional(),
  x_tags: odooText.optional(),
  x_staff_pick: z.boolean().optional(),
  x_slug: odooText.optional(),
  x_potency_thc_formatted: odooText.optional(),
  x_potency_cbd_formatted: odooText.optional(),
  write_date: odooText.optional(),
});

/**
 * A list field: JSON text of strings (as the original service wrote them), or text separated by
 * commas or new lines (as staff type them). Anything else is not a list.
 */
export function parseList(v: string | null | undefined): string[] | undefined {
  if (v === null || v === undefined) return [];
  const t = v.trim();
  if (t.startsWith('[')) {
    try {
      const parsed = z.array(z.string()).safeParse(JSON.parse(t));
      return parsed.success ? parsed.data.map((x) => x.trim()).filter(Boolean) : undefined;
    } catch {
      return undefined;
    }
  }
  return t.split(/[,\n]/).map((x) => x.trim()).filter(Boolean);
}

/** Odoo's datetime text ('YYYY-MM-DD HH:MM:SS', UTC). */
export const odooDatetime = (ms: number): string => new Date(ms).toISOString().slice(0, 19).replace('T', ' ');

export type Parsed = { kind: 'ok'; enrichment: ProductEnrichment; writeDate: string | null } | { kind: 'reject'; id: unknown; reason: string };

const enrichmentHash = (e: Omit<ProductEnrichment, 'contentHash' | 'version'>): string => hash('sha256', JSON.stringify(e), 'hex');

/** One catalog template as the enrichment of its SKU. */
export function toEnrichment(record: unknown, fetchedAt: number): Parsed {
  const r = CatalogRecord.safeParse(record);
  if (!r.success) return { kind: 'reject', id: (record as { id?: unknown } | null)?.id, reason: r.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`).join('; ') };
  const t = r.data;
  if (t.default_code === null) return { kind: 'reject', id: t.id, reason: 'no default_code (SKU)' };
  const lists = { images: parseList(t.x_images), effects: parseList(t.x_effects), tags: parseList(t.x_tags) };
  for (const [name, v] of Object.entries(lists)) if (v === undefined) return { kind: 'reject', id: t.id, reason: `x_${name} is neither a JSON list of strings nor a comma-separated list` };
  const body = {
    sku: t.default_code.trim(), odooId: t.id, description: t.description_sale ?? null, imageUrl: t.x_image_url ?? null,
    images: lists.images!, effects: lists.effects!, tags: lists.tags!, staffPick: t.x_staff_pick ?? false, slug: t.x_slug ?? null,
    potencyThcFormatted: t.x_potency_thc_formatted ?? null, potencyCbdFormatted: t.x_potency_cbd_formatted ?? null,
  };
  return { kind: 'ok', enrichment: { ...body, contentHash: enrichmentHash(body), version: fetchedAt }, writeDate: t.write_date ?? null };
}

export interface EnrichmentPlan {
  /** value null: a tombstone (the catalog no longer describes the SKU) */
  events: Array<{ sku: string; value: ProductEnrichment | null }>;
  upserts: number;
  removals: number;
  /** SKUs described by more than one template: the lowest template id wins */
  duplicates: string[];
  /** set when a full read found nothing while SKUs were published: no removal published */
  refusedEmpty: boolean;
}

export function planEnrichment(input: { enrichments: readonly ProductEnrichment[]; previous: ReadonlyMap<string, string>; full: boolean }): EnrichmentPlan {
  const bySku = new Map<string, ProductEnrichment>();
  const duplicates = new Set<string>();
  for (const e of [...input.enrichments].sort((a, b) => a.odooId - b.odooId)) {
    if (bySku.has(e.sku)) { duplicates.add(e.sku); continue; }
    bySku.set(e.sku, e);
  }
  const events: EnrichmentPlan['events'] = [];
  for (const e of bySku.values()) if (input.previous.get(e.sku) !== e.contentHash) events.push({ sku: e.sku, value: e });
  const upserts = events.length;
  const refusedEmpty = input.full && bySku.size === 0 && input.previous.size > 0;
  if (input.full && !refusedEmpty) for (const sku of input.previous.keys()) if (!bySku.has(sku)) events.push({ sku, value: null });
  return { events, upserts, removals: events.length - upserts, duplicates: [...duplicates], refusedEmpty };
}
