/**
 * Dutchie Backoffice record (`POST v2/discount/get-discount`, one item of `Data`) -> canonical deal.
 * The lead's contract: the POS record with every key PascalCased recursively (`Id`, `ValidDateTo`,
 * `Reward.CalculationMethodId`, `Restrictions.Product.{IsExclusion, RestrictionIds}`), except
 * that `menuDisplay` is named `DiscountMenuDisplayDetails`. So the Backoffice shape is renamed
 * to the POS shape here (the only place that knows it) and mapped by map-pos.ts.
 */
import type { DealRawEvent } from '../../shared/events';
import { dutchieRecordSchema, mapDutchieRecord } from './map-pos';
import type { MapResult } from './mapping';

const RENAMED: Readonly<Record<string, string>> = { DiscountMenuDisplayDetails: 'menuDisplay' };

/** Backoffice keys -> POS keys: renamed ones, else the first letter lower-cased, recursively. */
export function backofficeToPosShape(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(backofficeToPosShape);
  if (value === null || typeof value !== 'object') return value;
  return Object.fromEntries(Object.entries(value).map(([k, v]) => [
    RENAMED[k] ?? k.charAt(0).toLowerCase() + k.slice(1),
    backofficeToPosShape(v),
  ]));
}

export function mapBackoffice(event: DealRawEvent, recordText: string, json: unknown): MapResult {
  return mapDutchieRecord(event, recordText, dutchieRecordSchema.parse(backofficeToPosShape(json)));
}
