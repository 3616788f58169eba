import { anEnrichment, anItem } from '../../test/support/inventory';
import { enrichItem, enrichItems } from './enrichment';

const pos = anItem({
  productId: '7', sku: 'SKU-7', description: 'from the feed', imageUrl: 'https://pos/7.jpg', images: ['https://pos/7.jpg'], tags: ['Staff Pick'],
  potencyThcFormatted: '24.5%', potencyCbdFormatted: null,
});

describe('product enrichment joined into a package', () => {
  it('without enrichment the item is exactly the POS item', () => {
    expect(enrichItem(pos, undefined)).toBe(pos);
    expect(enrichItems([pos], new Map())).toEqual([pos]);
  });

  it('empty catalog values never blank a POS value', () => {
    const out = enrichItem(pos, anEnrichment({ sku: 'SKU-7', description: '  ', imageUrl: '', images: [], effects: [], tags: [], slug: '' }));
    expect(out).toEqual(pos);
  });

  it('the catalog adds description, images first, effects, tags, staff pick, slug; the package\'s lab potency stays', () => {
    const out = enrichItem(pos, anEnrichment({
      sku: 'SKU-7', description: 'the buyers\' text', imageUrl: 'https://odoo/1.jpg', images: ['https://odoo/1.jpg', 'https://odoo/2.jpg', 'https://pos/7.jpg'],
      effects: ['Relaxed', 'Relaxed', 'Happy'], tags: ['Local', 'Staff Pick'], staffPick: true, slug: 'blue-dream-3-5g', potencyThcFormatted: '30%', potencyCbdFormatted: '1.2%',
    }));
    expect(out).toMatchObject({
      description: 'the buyers\' text', imageUrl: 'https://odoo/1.jpg', images: ['https://odoo/1.jpg', 'https://odoo/2.jpg', 'https://pos/7.jpg'],
      effects: ['Relaxed', 'Happy'], tags: ['Staff Pick', 'Local'], staffPick: true, slug: 'blue-dream-3-5g',
      potencyThcFormatted: '24.5%', potencyCbdFormatted: '1.2%',
    });
    // what matching and prices read is untouched
    const { description: _d, imageUrl: _i, images: _im, effects: _e, tags: _t, staffPick: _s, slug: _sl, potencyThcFormatted: _p, potencyCbdFormatted: _c, ...rest } = out;
    const { description: _d2, imageUrl: _i2, images: _im2, effects: _e2, tags: _t2, staffPick: _s2, slug: _sl2, potencyThcFormatted: _p2, potencyCbdFormatted: _c2, ...before } = pos;
    expect(rest).toEqual(before);
  });

  it('a catalog image list without a primary gives its first image; the feed\'s image is kept after the catalog\'s', () => {
    const out = enrichItem(pos, anEnrichment({ sku: 'SKU-7', images: ['https://odoo/a.jpg'] }));
    expect(out.imageUrl).toBe('https://odoo/a.jpg');
    expect(out.images).toEqual(['https://odoo/a.jpg', 'https://pos/7.jpg']);
  });

  it('a staff pick is never taken away, and items are joined by their SKU only', () => {
    const picked = { ...pos, staffPick: true };
    expect(enrichItem(picked, anEnrichment({ sku: 'SKU-7', staffPick: false })).staffPick).toBe(true);
    const other = anItem({ productId: '8', sku: 'SKU-8' });
    const noSku = { ...anItem({ productId: '9' }), sku: null };
    const out = enrichItems([pos, other, noSku], new Map([['SKU-8', anEnrichment({ sku: 'SKU-8', slug: 's8' })]]));
    expect(out.map((i) => i.slug)).toEqual([null, 's8', null]);
    expect(out[0]).toBe(pos);
  });
});
