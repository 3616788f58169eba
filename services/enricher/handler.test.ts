import { anEnrichment } from '../../test/support/inventory';
import { parseList, planEnrichment, toEnrichment } from './handler';

const template = (over: Record<string, unknown> = {}) => ({
  id: 7, default_code: 'SKU-1', description_sale: 'Buyers\' text', x_image_url: 'https://i/1.jpg', x_images: '["https://i/1.jpg","https://i/2.jpg"]',
  x_effects: 'Relaxed, Happy', x_tags: false, x_staff_pick: true, x_slug: 'blue-dream', x_potency_thc_formatted: '24%', x_potency_cbd_formatted: false,
  write_date: '2026-11-21 10:00:00', ...over,
});

describe('enricher: a catalog template as an enrichment', () => {
  it('reads Odoo\'s values (false = empty; lists as JSON text or comma-separated)', () => {
    const r = toEnrichment(template(), 1000);
    expect(r).toMatchObject({ kind: 'ok', writeDate: '2026-11-21 10:00:00', enrichment: {
      sku: 'SKU-1', odooId: 7, description: 'Buyers\' text', imageUrl: 'https://i/1.jpg', images: ['https://i/1.jpg', 'https://i/2.jpg'],
      effects: ['Relaxed', 'Happy'], tags: [], staffPick: true, slug: 'blue-dream', potencyThcFormatted: '24%', potencyCbdFormatted: null, version: 1000,
    } });
  });

  it('the content hash ignores the read time, and changes with any field', () => {
    const a = toEnrichment(template(), 1);
    const b = toEnrichment(template(), 2);
    const c = toEnrichment(template({ description_sale: 'New text' }), 2);
    if (a.kind !== 'ok' || b.kind !== 'ok' || c.kind !== 'ok') throw new Error('parse');
    expect(a.enrichment.contentHash).toBe(b.enrichment.contentHash);
    expect(c.enrichment.contentHash).not.toBe(a.enrichment.contentHash);
  });

  it('rejects a template without a SKU or with an unreadable list, with the reason', () => {
    expect(toEnrichment(template({ default_code: false }), 1)).toEqual({ kind: 'reject', id: 7, reason: 'no default_code (SKU)' });
    expect(toEnrichment(template({ x_images: '[1, 2]' }), 1)).toMatchObject({ kind: 'reject', reason: expect.stringMatching(/x_images/) });
    expect(toEnrichment({ id: 'x' }, 1)).toMatchObject({ kind: 'reject' });
    expect(parseList('a\nb,, c')).toEqual(['a', 'b', 'c']);
  });
});

describe('enricher: what to publish', () => {
  const e = (sku: string, hash: string, odooId = 1) => anEnrichment({ sku, contentHash: hash, odooId });

  it('publishes new and changed SKUs only; an incremental read never removes', () => {
    const plan = planEnrichment({ enrichments: [e('A', 'h1'), e('B', 'h2-new')], previous: new Map([['A', 'h1'], ['B', 'h2'], ['C', 'h3']]), full: false });
    expect(plan.events.map((x) => [x.sku, x.value?.contentHash ?? null])).toEqual([['B', 'h2-new']]);
    expect(plan).toMatchObject({ upserts: 1, removals: 0 });
  });

  it('a full read tombstones the SKUs the catalog no longer has, but an empty catalog removes nothing', () => {
    const full = planEnrichment({ enrichments: [e('A', 'h1')], previous: new Map([['A', 'h1'], ['C', 'h3']]), full: true });
    expect(full.events).toEqual([{ sku: 'C', value: null }]);
    const empty = planEnrichment({ enrichments: [], previous: new Map([['A', 'h1']]), full: true });
    expect(empty).toMatchObject({ events: [], refusedEmpty: true });
  });

  it('of two templates with one SKU the lowest id wins, and the SKU is reported', () => {
    const plan = planEnrichment({ enrichments: [e('A', 'second', 9), e('A', 'first', 3)], previous: new Map(), full: true });
    expect(plan.events.map((x) => x.value?.contentHash)).toEqual(['first']);
    expect(plan.duplicates).toEqual(['A']);
  });
});
