/**
 * What a deal does to the unit price of a product, in decimal arithmetic (decimal.js).
 *
 * Decisions:
 * - Results are rounded to cents, half up (19.99 at 25 % off = 14.9925 -> 14.99).
 * - A unit price never goes below zero (a $10 flat deal on a $6 item gives 0.00) and a
 *   price-to-amount deal never raises a price (price-to $30 on a $25 item keeps 25.00).
 * - A percent or flat deal without a value is an on-sale badge with no price cut (rule 8): the
 *   unit price stays the same. A price-to-amount deal without a value has no target: invalid.
 * - A percent outside 0..1 or a negative amount is invalid: reported, never chosen as best.
 * - Amount off the total, bundles, BOGO and loyalty change a basket, not a unit price: they are
 *   offers with their terms.
 *
 * Speed: the common case (a price with at most 2 decimals; a flat or price-to value with at most
 * 2 decimals; a percent with up to 15 digits) is computed in exact integer cents, which gives the
 * same digits as the decimal.js path without its allocations: every intermediate is an integer
 * below 2^53 (checked), so nothing is rounded but the final half-up to cents, done on integers.
 * Anything else (more decimals, huge numbers, unusual spellings like "1e3") takes the decimal.js path.
 */
import { Decimal } from 'decimal.js';
import type { Deal } from '../events';
import type { Offer, PriceEffect } from './types';

export type PricingFields = Pick<Deal, 'kind' | 'value' | 'bundleQuantity' | 'bogo' | 'thresholdType' | 'thresholdMin'>;

const ZERO = new Decimal(0);
const ONE = new Decimal(1);

function parse(text: string | null): Decimal | null {
  if (text === null) return null;
  try {
    const d = new Decimal(text);
    return d.isFinite() ? d : null;
  } catch {
    return null;
  }
}

/** Cents of a non-negative decimal text with exactly two decimals ("14.99" -> 1499), as an exact integer. */
const centsOf = (fixed2: string): number => Number(fixed2.replace('.', ''));

function unitPrice(original: Decimal, next: Decimal): PriceEffect {
  const unit = Decimal.max(ZERO, next).toDecimalPlaces(2, Decimal.ROUND_HALF_UP);
  const orig = original.toDecimalPlaces(2, Decimal.ROUND_HALF_UP);
  const unitText = unit.toFixed(2);
  return {
    kind: 'unit_price',
    originalPrice: orig.toFixed(2),
    unitPrice: unitText,
    savings: orig.minus(unit).toFixed(2),
    unitPriceCents: centsOf(unitText),
  };
}

const invalid = (reason: string): PriceEffect => ({ kind: 'invalid', reason });
const offer = (o: Offer): PriceEffect => ({ kind: 'offer', offer: o });

function money(d: Decimal): string {
  return d.isInteger() ? d.toFixed(0) : d.toFixed(2);
}

function bogoLabel(buy: number, get: number, pct: Decimal): string {
  const what = pct.gte(ONE) ? 'free' : `${pct.times(100).toDecimalPlaces(0).toString()}% off`;
  return `Buy ${buy} get ${get} ${what}`;
}

/** Digits of a plain decimal ("14.5", "20", "007.25"): at most 13 before the point, none after it but 1-2. */
const PLAIN_MONEY = /^(\d{1,13})(?:\.(\d{1,2}))?$/;
const PLAIN_DECIMAL = /^(\d+)(?:\.(\d+))?$/;

/** A money text as exact integer cents ("14.5" -> 1450); null when it is not plain (then decimal.js decides). */
function plainCents(text: string | null): number | null {
  if (text === null) return null;
  const m = PLAIN_MONEY.exec(text);
  if (m === null) return null;
  const frac = m[2];
  return Number(m[1]) * 100 + (frac === undefined ? 0 : frac.length === 1 ? Number(frac) * 10 : Number(frac));
}

/** A decimal text as units / 10^decimals with both exact integers ("0.25" -> 25 / 100); null otherwise. */
function plainRatio(text: string): { units: number; scale: number } | null {
  const m = PLAIN_DECIMAL.exec(text);
  if (m === null) return null;
  const digits = m[1]! + (m[2] ?? '');
  if (digits.length > 15) return null;
  return { units: Number(digits), scale: 10 ** (m[2]?.length ?? 0) };
}

/** Cents as a 2-decimal text (1499 -> "14.99", 5 -> "0.05"); `cents` is a non-negative safe integer. */
function centsText(cents: number): string {
  const s = String(cents).padStart(3, '0');
  return `${s.slice(0, -2)}.${s.slice(-2)}`;
}

function unitPriceCents(originalCents: number, unitCents: number): PriceEffect {
  const unitText = centsText(unitCents);
  return {
    kind: 'unit_price',
    originalPrice: centsText(originalCents),
    unitPrice: unitText,
    savings: centsText(originalCents - unitCents),
    unitPriceCents: unitCents,
  };
}

/** round-half-up(a / b) for non-negative safe integers a and b > 0, exactly (the float quotient only guesses). */
function divHalfUp(a: number, b: number): number {
  let q = Math.floor(a / b);
  if (q * b > a) q -= 1;
  else if ((q + 1) * b <= a) q += 1;
  return 2 * (a - q * b) >= b ? q + 1 : q;
}

/** The unit price in cents from the original in cents, or null when the exact integer path does not apply. */
type CentsRule = (originalCents: number) => number | null;

/** A deal's effect as a function of the product price; value parsed once, offers built once. */
export type Pricer = (price: string) => PriceEffect;

export function compilePricing(deal: PricingFields): Pricer {
  const value = parse(deal.value);
  // a plain money text is a valid price without asking decimal.js
  const constant = (e: PriceEffect): Pricer => (price) => (plainCents(price) === null && validPrice(price) === null ? invalidPrice(price) : e);
  if (deal.value !== null && value === null) return constant(invalid(`deal value is not a decimal: ${deal.value}`));
  const priced = (f: (original: Decimal) => PriceEffect, cents: CentsRule | null): Pricer => (price) => {
    if (cents !== null) {
      const originalCents = plainCents(price);
      const unitCents = originalCents === null ? null : cents(originalCents);
      if (originalCents !== null && unitCents !== null) return unitPriceCents(originalCents, unitCents);
    }
    const original = validPrice(price);
    return original === null ? invalidPrice(price) : f(original);
  };
  switch (deal.kind) {
    case 'percent': {
      const pct = value ?? ZERO;
      if (pct.isNegative() || pct.gt(ONE)) return constant(invalid(`percent out of range 0..1: ${pct.toString()}`));
      const keep = ONE.minus(pct);
      // keep = keepUnits / scale exactly; the product originalCents * keepUnits must stay below 2^53
      const ratio = plainRatio(keep.toFixed());
      const cents: CentsRule | null = ratio === null ? null
        : (c) => (c * ratio.units <= Number.MAX_SAFE_INTEGER ? divHalfUp(c * ratio.units, ratio.scale) : null);
      return priced((original) => unitPrice(original, original.times(keep)), cents);
    }
    case 'flat': {
      const off = value ?? ZERO;
      if (off.isNegative()) return constant(invalid(`negative amount: ${off.toString()}`));
      const offCents = plainCents(off.toFixed());
      return priced((original) => unitPrice(original, original.minus(off)), offCents === null ? null : (c) => Math.max(0, c - offCents));
    }
    case 'price_to_amount': {
      if (value === null) return constant(invalid('price-to-amount deal without a price'));
      if (value.isNegative()) return constant(invalid(`negative price: ${value.toString()}`));
      const toCents = plainCents(value.toFixed());
      return priced((original) => unitPrice(original, Decimal.min(original, value)), toCents === null ? null : (c) => Math.min(c, toCents));
    }
    case 'amount_off_total':
      return constant(offer({ type: 'amount_off_total', amountOff: value === null ? null : value.toFixed(2), thresholdType: deal.thresholdType, thresholdMin: deal.thresholdMin }));
    case 'bundle': {
      const n = deal.bundleQuantity;
      const total = value === null ? null : value.toFixed(2);
      const label = n !== null && value !== null ? `${n} for $${money(value)}` : 'bundle';
      return constant(offer({ type: 'bundle', quantity: n, total, label }));
    }
    case 'bogo': {
      const b = deal.bogo;
      if (b === null) return constant(invalid('bogo deal without terms'));
      const pct = parse(b.getPercentOff);
      if (pct === null || pct.isNegative() || pct.gt(ONE)) return constant(invalid(`bogo percent out of range 0..1: ${b.getPercentOff}`));
      return constant(offer({ type: 'bogo', buyQuantity: b.buyQuantity, getQuantity: b.getQuantity, getPercentOff: pct.toString(), label: bogoLabel(b.buyQuantity, b.getQuantity, pct) }));
    }
    case 'loyalty':
      return constant(offer({ type: 'loyalty', multiplier: value === null ? null : value.toString() }));
    default: {
      const _exhaustive: never = deal.kind;
      return constant(invalid(`unknown kind ${String(_exhaustive)}`));
    }
  }
}

function validPrice(price: string): Decimal | null {
  const d = parse(price);
  return d === null || d.isNegative() ? null : d;
}

const invalidPrice = (price: string): PriceEffect => invalid(`product price is not a decimal: ${price}`);

/** The effect of a deal on one unit at `price` (decimal text). */
export function priceEffect(deal: PricingFields, price: string): PriceEffect {
  return compilePricing(deal)(price);
}
