/**
 * Phase 5 applied to Odoo for a set of (store, SKU): the store's warehouse (`stock.warehouse`, found by
 * `x_dutchie_store_id` or by name, created when missing, cached), then per chunk of ≤ batchSize products
 * one `search_read` of the store products, one `create` of the missing ones (never repeated blindly: a
 * lost reply is found by the next read), `write`s of the changed fields only (records needing the same
 * values share a call); with quantities on, one `search_read` of the variants and one of the quants, one
 * `create` of the missing quants and a `write` per distinct changed quantity. Nothing is written for what
 * Odoo already holds: a second pass or a replay makes no write calls and no duplicates.
 */
import pLimit from 'p-limit';
import type { Kysely } from '../../shared/db/db';
import type { Database } from '../../shared/db/schema';
import type { Logger } from '../../shared/logger';
import {
  TEMPLATE_FIELDS, groupWrites, many2oneId, planProducts, planQuants, storeProduct, warehouseCode, type OdooRow, type ProductValues, type StoreProduct,
} from './inventory-handler';
import { OdooError, type OdooClient } from './odoo-client';

export interface InventorySinkDeps { odoo: OdooClient; db: Kysely<Database>; logger: Logger; batchSize: number; concurrency: number; quants: boolean }

export interface InventorySinkResult { created: number; written: number; unchanged: number; quantsCreated: number; quantsWritten: number; skipped: number; rejected: number }

interface Warehouse { id: number; stockLocationId: number }


function chunks<T>(items: readonly T[], size: number): T[][] {
  const out: T[][] = [];
  for (let i = 0; i < items.length; i += size) out.push(items.slice(i, i + size));
  return out;
}

export function createInventorySink(deps: InventorySinkDeps) {
  const { odoo, db, logger, batchSize } = deps;
  const limit = pLimit(deps.concurrency);
  const warehouses = new Map<string, Warehouse>();
  const call = <T>(model: string, method: string, args: unknown[], kwargs: Record<string, unknown> = {}, retryable = true) =>
    limit(() => odoo.executeKw<T>(model, method, args, kwargs, { retryable }));

  /** Each store's warehouse: found by store id, or adopted by name, or created (one create call for all missing). */
  async function resolveWarehouses(stores: ReadonlyMap<string, string>): Promise<void> {
    const ask = [...stores].filter(([id]) => !warehouses.has(id));
    if (ask.length === 0) return;
    const read = () => call<OdooRow[]>('stock.warehouse', 'search_read', [['|', ['x_dutchie_store_id', 'in', ask.map(([id]) => id)], ['name', 'in', ask.map(([, n]) => n)]]], { fields: ['x_dutchie_store_id', 'name', 'lot_stock_id'] });
    const remember = (rows: OdooRow[]) => {
      for (const [id, name] of ask) {
        const w = rows.find((r) => r.x_dutchie_store_id === id) ?? rows.find((r) => r.name === name && r.x_dutchie_store_id === false);
        const stock = w && many2oneId(w.lot_stock_id);
        if (w && stock !== undefined) warehouses.set(id, { id: w.id, stockLocationId: stock });
      }
    };
    const found = await read();
    remember(found);
    const adopted = [...stores].filter(([id]) => warehouses.has(id) && !found.some((r) => r.x_dutchie_store_id === id));
    for (const [id] of adopted) await call('stock.warehouse', 'write', [[warehouses.get(id)!.id], { x_dutchie_store_id: id }]);
    const missing = ask.filter(([id]) => !warehouses.has(id));
    if (missing.length === 0) return;
    await call('stock.warehouse', 'create', [missing.map(([id, name]) => ({ name, code: warehouseCode(id), x_dutchie_store_id: id }))], {}, false);
    remember(await read());
    logger.info({ stores: missing.map(([id]) => id) }, 'Odoo warehouses created');
  }

  /** Creates records; a validation error of the batch is narrowed down to the records that cause it (logged, skipped). */
  async function createAll(model: string, values: ReadonlyArray<Record<string, unknown>>): Promise<Array<number | undefined>> {
    try {
      return await call<number[]>(model, 'create', [values], {}, false);
    } catch (e) {
      if (!(e instanceof OdooError) || !e.isValidation) throw e;
      if (values.length === 1) { logger.warn({ model, error: e.message }, 'Odoo refused a record'); return [undefined]; }
      return (await Promise.all(values.map((v) => createAll(model, [v])))).flat();
    }
  }

  async function applyChunk(products: readonly StoreProduct[], result: InventorySinkResult): Promise<void> {
    const existing = await call<OdooRow[]>('product.template', 'search_read', [[
      ['x_dutchie_store_id', 'in', [...new Set(products.map((p) => p.locationId))]], ['default_code', 'in', [...new Set(products.map((p) => p.sku))]],
    ]], { fields: [...TEMPLATE_FIELDS] });
    const actions = planProducts(products, existing);
    const templateOf = new Map<StoreProduct, number>();
    const creates = actions.flatMap((a) => (a.kind === 'create' ? [a.product] : []));
    if (creates.length) {
      const ids = await createAll('product.template', creates.map((p) => p.values as unknown as Record<string, unknown>));
      creates.forEach((p, i) => { const id = ids[i]; if (id === undefined) result.rejected++; else { templateOf.set(p, id); result.created++; } });
    }
    const writes = actions.flatMap((a) => (a.kind === 'write' ? [{ id: a.id, values: a.values }] : []));
    await Promise.all(groupWrites<Partial<ProductValues>>(writes, batchSize).map((w) => call('product.template', 'write', [w.ids, w.values])));
    for (const a of actions) {
      if (a.kind === 'write') { result.written++; templateOf.set(a.product, a.id); }
      if (a.kind === 'unchanged') { result.unchanged++; templateOf.set(a.product, a.id); }
    }
    if (!deps.quants || templateOf.size === 0) return;
    const variants = await call<OdooRow[]>('product.product', 'search_read', [[['product_tmpl_id', 'in', [...templateOf.values()]]]], { fields: ['product_tmpl_id'] });
    const variantOf = new Map(variants.flatMap((v) => { const t = many2oneId(v.product_tmpl_id); return t === undefined ? [] : [[t, v.id] as const]; }));
    const wanted = [...templateOf].flatMap(([p, tmpl]) => {
      const productId = variantOf.get(tmpl);
      const wh = warehouses.get(p.locationId);
      return productId === undefined || wh === undefined ? [] : [{ productId, locationId: wh.stockLocationId, quantity: p.quantity }];
    });
    if (wanted.length === 0) return;
    const quants = await call<OdooRow[]>('stock.quant', 'search_read', [[['product_id', 'in', wanted.map((w) => w.productId)], ['location_id', 'in', [...new Set(wanted.map((w) => w.locationId))]]]], { fields: ['product_id', 'location_id', 'quantity'] });
    const plan = planQuants(wanted, quants);
    const newQuants = plan.flatMap((q) => (q.kind === 'create' ? [{ product_id: q.productId, location_id: q.locationId, quantity: q.quantity, inventory_quantity: q.quantity }] : []));
    if (newQuants.length) result.quantsCreated += (await createAll('stock.quant', newQuants)).filter((id) => id !== undefined).length;
    const quantWrites = plan.flatMap((q) => (q.kind === 'write' ? [{ id: q.id, values: { quantity: q.quantity, inventory_quantity: q.quantity } }] : []));
    await Promise.all(groupWrites(quantWrites, batchSize).map((w) => call('stock.quant', 'write', [w.ids, w.values])));
    result.quantsWritten += quantWrites.length;
  }

  /** Brings Odoo in line with the current packages of these (store, SKU) pairs. Throws when Odoo fails: the caller retries. */
  async function apply(touched: ReadonlyArray<{ locationId: string; sku: string }>): Promise<InventorySinkResult> {
    const result: InventorySinkResult = { created: 0, written: 0, unchanged: 0, quantsCreated: 0, quantsWritten: 0, skipped: 0, rejected: 0 };
    if (touched.length === 0) return result;
    const locationIds = [...new Set(touched.map((t) => t.locationId))];
    const names = new Map((await db.selectFrom('locations').select(['id', 'name']).where('id', 'in', locationIds).execute()).map((r) => [r.id, r.name]));
    const rows = await db.selectFrom('odoo_inventory_packages').select(['location_id', 'sku', 'package', 'removed'])
      .where('location_id', 'in', locationIds).where('sku', 'in', [...new Set(touched.map((t) => t.sku))]).execute();
    const packagesOf = new Map<string, typeof rows>();
    for (const r of rows) { const k = `${r.location_id}\u0000${r.sku}`; packagesOf.set(k, [...(packagesOf.get(k) ?? []), r]); }
    const products: StoreProduct[] = [];
    for (const t of touched) {
      // a store not (or no longer) in `locations` has no warehouse to hold its products
      if (!names.has(t.locationId)) { result.skipped++; continue; }
      const p = storeProduct(t.locationId, t.sku, (packagesOf.get(`${t.locationId}\u0000${t.sku}`) ?? []).map((r) => ({ ...r.package, removed: r.removed })));
      if (p === null) { result.skipped++; continue; }
      products.push(p);
    }
    if (products.length === 0) return result;
    await resolveWarehouses(new Map([...new Set(products.map((p) => p.locationId))].map((id) => [id, names.get(id)!])));
    await Promise.all(chunks(products, batchSize).map((c) => applyChunk(c, result)));
    return result;
  }

  return { apply };
}
export type InventorySink = ReturnType<typeof createInventorySink>;
