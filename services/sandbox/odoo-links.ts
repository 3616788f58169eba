/**
 * What Odoo does on its own when some records are created, written or deleted, as far as the models of
 * phase 2 and phase 5 need it: a new `product.template` gets its variant (`product.product`) and a
 * template's `default_code` and store follow to it; deleting a template deletes its variants; a new
 * `stock.warehouse` gets its stock location (`lot_stock_id`).
 */
import type { OdooRecord, OdooStore, StoredValue } from './odoo-store';

export function linkOnCreate(store: OdooStore, model: string, rec: OdooRecord): void {
  if (model === 'product.template') {
    store.create('product.product', { product_tmpl_id: rec.id, default_code: rec.default_code, x_dutchie_store_id: rec.x_dutchie_store_id });
  } else if (model === 'stock.warehouse' && rec.lot_stock_id === false) {
    const location = store.create('stock.location', { name: `${String(rec.code)}/Stock`, usage: 'internal' }) as number;
    store.write('stock.warehouse', [rec.id], { lot_stock_id: location });
  }
}

export function linkOnWrite(store: OdooStore, model: string, rec: OdooRecord, changed: Record<string, StoredValue>): void {
  if (model !== 'product.template' || (!('default_code' in changed) && !('x_dutchie_store_id' in changed))) return;
  const variants = store.search('product.product', [['product_tmpl_id', '=', rec.id]]);
  if (variants.length) store.write('product.product', variants, { default_code: rec.default_code, x_dutchie_store_id: rec.x_dutchie_store_id });
}

export function linkOnUnlink(store: OdooStore, model: string, rec: OdooRecord): void {
  if (model !== 'product.template') return;
  const variants = store.search('product.product', [['product_tmpl_id', '=', rec.id]]);
  if (variants.length) store.unlink('product.product', variants);
}
