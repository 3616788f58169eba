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

function unitPrice(original: Decimal, next: Decimal): PriceEffect {
  const unit = Decimal.max(ZERO, next).toDecimalPlaces(2, Decimal.ROUND_HALF_UP);
  const orig = original.toDecimalPlaces(2, Decimal.ROUND_HALF_UP);
  return {
    kind: 'unit_price',
    originalPrice: orig.toFixed(2),
    unitPrice: unit.toFixed(2),
    savings: orig.minus(unit).toFixed(2),
    unitPriceCents: unit.times(100).toNumber(),
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

export function priceEffect(deal: PricingFields, price: string): PriceEffect {
  const original = parse(price);
  if (original === null || original.isNegative()) return invalid(`product price is not a decimal: ${price}`);
  const value = parse(deal.value);
  if (deal.value !== null && value === null) return invalid(`deal value is not a decimal: ${deal.value}`);
  switch (deal.kind) {
    case 'percent': {
      const pct = value ?? ZERO;
      if (pct.isNegative() || pct.gt(ONE)) return invalid(`percent out of range 0..1: ${pct.toString()}`);
      return unitPrice(original, original.times(ONE.minus(pct)));
    }
    case 'flat': {
      const off = value ?? ZERO;
      if (off.isNegative()) return invalid(`negative amount: ${off.toString()}`);
      return unitPrice(original, original.minus(off));
    }
    case 'price_to_amount': {
      if (value === null) return invalid('price-to-amount deal without a price');
      if (value.isNegative()) return invalid(`negative price: ${value.toString()}`);
      return unitPrice(original, Decimal.min(original, value));
    }
    case 'amount_off_total':
      return offer({ type: 'amount_off_total', amountOff: value === null ? null : value.toFixed(2), thresholdType: deal.thresholdType, thresholdMin: deal.thresholdMin });
    case 'bundle': {
      const n = deal.bundleQuantity;
      const total = value === null ? null : value.toFixed(2);
      const label = n !== null && value !== null ? `${n} for $${money(value)}` : 'bundle';
      return offer({ type: 'bundle', quantity: n, total, label });
    }
    case 'bogo': {
      const b = deal.bogo;
      if (b === null) return invalid('bogo deal without terms');
      const pct = parse(b.getPercentOff);
      if (pct === null || pct.isNegative() || pct.gt(ONE)) return invalid(`bogo percent out of range 0..1: ${b.getPercentOff}`);
      return offer({ type: 'bogo', buyQuantity: b.buyQuantity, getQuantity: b.getQuantity, getPercentOff: pct.toString(), label: bogoLabel(b.buyQuantity, b.getQuantity, pct) });
    }
    case 'loyalty':
      return offer({ type: 'loyalty', multiplier: value === null ? null : value.toString() });
    default: {
      const _exhaustive: never = deal.kind;
      return invalid(`unknown kind ${String(_exhaustive)}`);
    }
  }
}
