/**
 * Generated Dutchie deals for an LSP, around a given day, in the POS record shape. Deterministic
 * for (seed, LSP, day). Restrictions come from the LSP catalog (brands, categories) and from one
 * location's products (such a deal is then restricted to that location, product ids being per location).
 */
import { DateTime } from 'luxon';
import { lspCatalog, locationProducts, pick, prng, subSeed, type LspCatalog, type Product } from './catalog';
import type { PosDiscount } from './dutchie-record';

const METHOD_NAMES: Record<number, string> = { 1: 'FLAT_AMOUNT_OFF', 2: 'PERCENT_OFF', 3: 'PRICE_TO_AMOUNT', 5: 'AMOUNT_OFF_TOTAL', 6: 'PRICE_TO_AMOUNT_TOTAL' };
const DAYS = ['monday', 'tuesday', 'wednesday', 'thursday', 'friday', 'saturday', 'sunday'] as const;

export interface GenerateInput {
  seed: number;
  lspId: number;
  /** the LSP's locations (POS LocIds) */
  locIds: number[];
  timeZone: string;
  count: number;
  /** the day the deals are generated around (epoch ms) */
  nowMs: number;
}

const productCache = new Map<string, Map<number, Product>>();
function productsOf(seed: number, catalog: LspCatalog, loc: number): Map<number, Product> {
  const key = `${seed}/${catalog.lspId}/${loc}`;
  let products = productCache.get(key);
  if (!products) { products = new Map(locationProducts(seed, catalog, loc).map((p) => [p.id, p])); productCache.set(key, products); }
  return products;
}

const utcIso = (dt: DateTime): string => dt.toUTC().toFormat("yyyy-MM-dd'T'HH:mm:ss'Z'");
const money = (rand: () => number, min: number, max: number): number => Math.round((min + rand() * (max - min)) * 100) / 100;

// The store's local midnight, once per (instant, zone): Luxon's zone arithmetic dominates generating big sandboxes.
const midnights = new Map<string, DateTime>();
function localMidnight(nowMs: number, timeZone: string): DateTime {
  const key = `${nowMs}|${timeZone}`;
  let today = midnights.get(key);
  if (!today) { today = DateTime.fromMillis(nowMs, { zone: timeZone }).startOf('day'); if (midnights.size > 1000) midnights.clear(); midnights.set(key, today); }
  return today;
}

export function generateDeal(rand: () => number, input: GenerateInput, catalog: LspCatalog, id: number): PosDiscount {
  const today = localMidnight(input.nowMs, input.timeZone);
  const r = rand();
  // Mix of methods like the real feed: percent, flat, price-to, bundles, BOGO.
  const kind = r < 0.45 ? 'percent' : r < 0.6 ? 'flat' : r < 0.72 ? 'price' : r < 0.9 ? 'bundle' : r < 0.95 ? 'bogo' : 'total';
  const method = { percent: 2, bogo: 2, flat: 1, price: 3, bundle: 6, total: 5 }[kind];
  let value = {
    percent: pick(rand, [0.1, 0.15, 0.2, 0.25, 0.3, 0.4, 0.5]), bogo: 1, flat: money(rand, 1, 15), price: money(rand, 5, 40),
    bundle: pick(rand, [50, 60, 80, 99, 100]), total: money(rand, 5, 25),
  }[kind];
  const bundleN = kind === 'bundle' ? 2 + Math.floor(rand() * 4) : kind === 'bogo' ? 2 : null;

  // Targeting from the catalog.
  const t = rand();
  const restrictions: PosDiscount['reward']['restrictions'] = {};
  let locationRestrictions: number[] = [];
  const take = <T>(xs: T[], n: number): T[] => [...xs].sort(() => rand() - 0.5).slice(0, n);
  if (t < 0.3) restrictions.Brand = { restrictionIds: take(catalog.brands, 1 + Math.floor(rand() * 3)).map((b) => b.id), isExclusion: false };
  else if (t < 0.5) restrictions.Category = { restrictionIds: take(catalog.categories, 1 + Math.floor(rand() * 2)).map((c) => c.id), isExclusion: false };
  else if (t < 0.6) {
    restrictions.Brand = { restrictionIds: take(catalog.brands, 1).map((b) => b.id), isExclusion: false };
    restrictions.Category = { restrictionIds: take(catalog.categories, 1).map((c) => c.id), isExclusion: false };
  } else if (t < 0.7 && input.locIds.length) {
    const loc = pick(rand, input.locIds);
    const products = productsOf(input.seed, catalog, loc);
    restrictions.Product = { restrictionIds: take([...products.keys()], 1 + Math.floor(rand() * 5)), isExclusion: false };
    locationRestrictions = [loc];
    // a store sets "now $X" on products that cost more than X: 70 % of the cheapest one it names
    if (kind === 'price') value = Math.max(0.01, Math.floor(Math.min(...restrictions.Product.restrictionIds.map((id) => Number(products.get(id)!.price))) * 70) / 100);
  } else if (t < 0.75) restrictions.Brand = { restrictionIds: take(catalog.brands, 1).map((b) => b.id), isExclusion: true };
  if (!locationRestrictions.length && input.locIds.length > 1 && rand() < 0.15) locationRestrictions = take(input.locIds, 1 + Math.floor(rand() * (input.locIds.length - 1)));

  // Dates in the store's zone, stored as UTC instants; validDateTo exclusive, sometimes with slop.
  const from = today.minus({ days: Math.floor(rand() * 30) });
  const d = rand();
  const to = d < 0.05 ? DateTime.fromISO('4200-01-01T00:00:00Z') : d < 0.1 ? today.minus({ days: 1 + Math.floor(rand() * 5) })
    : today.plus({ days: 1 + Math.floor(rand() * 45) }).plus({ minutes: pick(rand, [0, 0, 0, 10, 15]) });
  const dayScoped = rand() < 0.25;
  const days = dayScoped ? take([...DAYS], 1 + Math.floor(rand() * 3)) : [];
  const happyHour = rand() < 0.12;
  const brand = restrictions.Brand && !restrictions.Brand.isExclusion ? catalog.brands.find((b) => b.id === restrictions.Brand!.restrictionIds[0]) : undefined;
  const category = restrictions.Category ? catalog.categories.find((c) => c.id === restrictions.Category!.restrictionIds[0]) : undefined;
  const target = [brand?.name, category?.name].filter(Boolean).join(' ') || (restrictions.Product ? 'Select items' : 'Storewide');
  const label = { percent: `${Math.round(value * 100)}% off`, bogo: 'BOGO', flat: `$${value} off`, price: `now $${value}`, bundle: `${bundleN} for $${value}`, total: `$${value} off your order` }[kind];
  const name = `${label} ${target}`;
  const constraintThreshold = kind === 'bundle' ? rand() < 0.5 : kind === 'bogo';
  return {
    id, externalId: '', validDateFrom: utcIso(from), validDateTo: utcIso(to), maxRedemptions: null, redemptionLimit: null,
    firstTimeCustomerOnly: rand() < 0.03 ? 1 : 0, discountDescription: `${name} SS`, discountCode: null,
    applicationMethodId: 1, applicationMethod: 'Automatic', canStackAutomatically: rand() < 0.2, onlineName: name,
    locationRestrictions, restrictToGroupIds: [],
    startTime: happyHour ? '16:00:00' : null, endTime: happyHour ? '19:00:00' : null,
    ...(Object.fromEntries(DAYS.map((day) => [day, days.includes(day) ? true : null])) as Pick<PosDiscount, (typeof DAYS)[number]>),
    isActive: rand() > 0.03, isBundledDiscount: kind === 'bundle',
    constraints: bundleN && constraintThreshold ? [{
      discountConstraintId: id * 10 + 1, discountId: id, thresholdMin: bundleN, includeNonCannabis: true, thresholdTypeId: 1,
      thresholdType: 'NUMBER_OF_ITEMS', hasThreshold: true, discountItemGroupTypeId: 5, itemGroupType: 'ALL', restrictions: { ...restrictions },
    }] : [],
    reward: {
      discountRewardId: id * 10 + 2, discountId: id, calculationMethodId: method, calculationMethod: METHOD_NAMES[method]!, discountValue: value,
      includeNonCannabis: true, highestOrLowest: 'low', thresholdTypeId: bundleN && !constraintThreshold ? 1 : null,
      thresholdType: bundleN && !constraintThreshold ? 'NUMBER_OF_ITEMS' : null, hasThreshold: Boolean(bundleN && !constraintThreshold),
      itemGroupTypeId: 5, itemGroupType: 'ALL', thresholdMin: bundleN && !constraintThreshold ? bundleN : null, thresholdMax: null,
      applyToOnlyOneItem: kind === 'bogo', restrictions,
    },
    menuDisplay: rand() < 0.2 ? null : { menuDisplayDescription: '', menuDisplayImageUrl: null, menuDisplayName: name, menuDisplayRank: Math.floor(rand() * 10000) },
    paymentRestrictions: null,
  };
}

/** `count` deals for an LSP, ids lspId*100000+n. */
export function generateDeals(input: GenerateInput): PosDiscount[] {
  const catalog = lspCatalog(input.seed, input.lspId);
  const rand = prng(subSeed(input.seed, 'deals', input.lspId, DateTime.fromMillis(input.nowMs, { zone: input.timeZone }).toISODate() ?? ''));
  return Array.from({ length: input.count }, (_, i) => generateDeal(rand, input, catalog, input.lspId * 100000 + i + 1));
}
