/**
 * The sandbox's pure answers: which Dutchie records a POS list request returns, given its flags.
 * (The Odoo side's pure core is odoo-rpc.ts `handleRpc`; the Backoffice shape is `toBackoffice`.)
 */
import { withoutRestrictions, type PosDiscount } from './dutchie-record';

export interface PosListFlags { includeInactive: boolean; includeInclusionExclusionData: boolean; includePaymentRestrictions: boolean }

export function selectPosDeals(deals: readonly PosDiscount[], flags: PosListFlags): PosDiscount[] {
  return deals
    .filter((d) => flags.includeInactive || d.isActive)
    .map((d) => (flags.includeInclusionExclusionData ? d : withoutRestrictions(d)))
    .map((d) => (flags.includePaymentRestrictions ? d : { ...d, paymentRestrictions: null }));
}

/** True when `selectPosDeals` would return the deals unchanged (the recorded bytes can be served). */
export function selectionIsIdentity(deals: readonly PosDiscount[], flags: PosListFlags): boolean {
  const empty = (r: object) => Object.keys(r).length === 0;
  return (flags.includeInactive || deals.every((d) => d.isActive))
    && (flags.includeInclusionExclusionData || deals.every((d) => empty(d.reward.restrictions) && d.constraints.every((c) => empty(c.restrictions))))
    && (flags.includePaymentRestrictions || deals.every((d) => d.paymentRestrictions === null));
}
