/**
 * PTL deals in the sandbox Odoo: a `mint.ptl.deal` published through `mint.ptl.day` records becomes a
 * `mint.discount` with `source = 'ptl'` and `dutchie_discount_id = 'ptl_{deal id}'`, its weekday
 * flags being the weekdays of its published days (external-apis.md §3).
 */
import { z } from 'zod';
import type { OdooStore } from './odoo-store';

const WEEKDAYS = ['monday', 'tuesday', 'wednesday', 'thursday', 'friday', 'saturday', 'sunday'] as const;

export const PtlDealInput = z.object({
  name: z.string().min(1),
  market: z.string().length(2),
  discount_type: z.enum(['percent', 'fixed', 'price_to_amount', 'bogo', 'bundle']).default('percent'),
  /** whole percent for percent deals (25 = 25 %), currency otherwise */
  discount_value: z.number().positive(),
  /** Odoo store ids; empty = every store of the market */
  store_ids: z.array(z.number().int()).default([]),
  /** Dutchie brand ids (per LSP) the deal targets; empty = no brand restriction */
  brand_ids: z.array(z.number().int()).default([]),
  date_start: z.string().regex(/^\d{4}-\d{2}-\d{2}$/),
  date_end: z.string().regex(/^\d{4}-\d{2}-\d{2}$/),
  /** weekdays (0 = Monday) on which the deal's days are published; default every day */
  weekdays: z.array(z.number().int().min(0).max(6)).optional(),
  is_available_online: z.boolean().default(true),
}).strict();
export type PtlDealInput = z.input<typeof PtlDealInput>;

const METHOD_ID: Record<z.infer<typeof PtlDealInput>['discount_type'], number> = { percent: 2, fixed: 1, price_to_amount: 3, bogo: 2, bundle: 6 };

function datesBetween(from: string, to: string): string[] {
  const out: string[] = [];
  for (let d = new Date(`${from}T00:00:00Z`); d.toISOString().slice(0, 10) <= to; d = new Date(d.getTime() + 86_400_000)) out.push(d.toISOString().slice(0, 10));
  return out;
}

/** Monday = 0 … Sunday = 6 of a 'YYYY-MM-DD' date. */
const weekdayOf = (date: string): number => (new Date(`${date}T00:00:00Z`).getUTCDay() + 6) % 7;

export function marketId(store: OdooStore, code: string): number {
  const found = store.search('mint.market', [['code', '=', code]]);
  if (found[0] !== undefined) return found[0];
  return store.create('mint.market', { name: code, code }) as number;
}

/** Creates the PTL deal, publishes its days, and creates its `mint.discount`. Returns both ids. */
export function publishPtlDeal(store: OdooStore, raw: PtlDealInput, syncedAt: Date): { dealId: number; discountId: number } {
  const input = PtlDealInput.parse(raw);
  const market = marketId(store, input.market);
  const brandIds = input.brand_ids.map((b) => {
    const found = store.search('mint.brand', [['dutchie_brand_id', '=', b]]);
    return found[0] ?? (store.create('mint.brand', { name: `Brand ${b}`, dutchie_brand_id: b }) as number);
  });
  const dealId = store.create('mint.ptl.deal', {
    name: input.name, state: 'live', discount_type: input.discount_type, discount_value: input.discount_value,
    store_ids: input.store_ids, market_id: market, date_start: input.date_start, date_end: input.date_end,
    brand_ids: brandIds, is_available_online: input.is_available_online,
  }) as number;
  const published = datesBetween(input.date_start, input.date_end).filter((d) => !input.weekdays || input.weekdays.includes(weekdayOf(d)));
  for (const date of published) {
    const day = store.search('mint.ptl.day', [['date', '=', date], ['market_id', '=', market]])[0];
    if (day === undefined) store.create('mint.ptl.day', { date, market_id: market, state: 'published', deal_ids: [dealId] });
    else store.write('mint.ptl.day', [day], { deal_ids: [[4, dealId]] });
  }
  const days = new Set(published.map(weekdayOf));
  const discountId = store.create('mint.discount', {
    name: input.name, online_name: input.name, discount_type: input.discount_type, discount_value: input.discount_value,
    discount_amount: input.discount_type === 'percent' ? 0 : input.discount_value, calculation_method_id: METHOD_ID[input.discount_type],
    is_active: true, is_available_online: input.is_available_online, valid_from: input.date_start, valid_until: input.date_end,
    start_time: 0, end_time: 0, ...Object.fromEntries(WEEKDAYS.map((w, i) => [w, days.has(i)])),
    threshold_type: 'none', store_ids: input.store_ids, dutchie_discount_id: `ptl_${dealId}`, source: 'ptl',
    brand_restriction_ids_raw: input.brand_ids.length ? `include: ${input.brand_ids.join(' | ')}` : false,
    raw_payload: JSON.stringify(input), synced_at: syncedAt.toISOString().slice(0, 19).replace('T', ' '),
  }) as number;
  return { dealId, discountId };
}
