/**
 * In-process API of the discounts module for the sales, restaurant-order, quote and loyalty
 * modules: the same functions the HTTP endpoints run.
 */
export {
  createDiscounts, type Discounts, type LineDiscountInput, type CartDiscountInput, type LoyaltyResult, type IssueApprovalInput, type IssuedApproval,
} from './service';
export type { Actor } from './identity';
export {
  decideDiscount, decideLoyalty, STACK_LAYERS,
  type CartDiscountDetail, type LineDiscountDetail, type DiscountLayer, type DiscountSource, type LoyaltyRequest,
} from './handler';
export { DiscountsError, ERROR_STATUS, type ErrorCode } from './errors';
