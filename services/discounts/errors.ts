/**
 * The discounts service's error vocabulary: every failure the engine or the HTTP layer can report
 * has one machine-readable code, and this file is the ONE mapping from code to HTTP status.
 * Responses are RFC 9457 problem+json: {type, title, status, code, detail}.
 */
export const ERROR_STATUS = {
  // 400: the request itself is wrong
  BAD_REQUEST: 400,
  INVALID_DISCOUNT: 400,
  REASON_REQUIRED: 400,
  // 401: no valid bearer token
  UNAUTHENTICATED: 401,
  TOKEN_EXPIRED: 401,
  // 403: the caller or the employee may not do this
  BUSINESS_NOT_PERMITTED: 403,
  CALLER_NOT_EMPLOYEE: 403,
  EMPLOYEE_NOT_CALLER: 403,
  EMPLOYEE_INACTIVE: 403,
  CATALOG_NOT_PERMITTED: 403,
  OVERRIDE_NOT_PERMITTED: 403,
  ROLE_TOO_LOW: 403,
  APPROVAL_REQUIRED: 403,
  APPROVER_NOT_PERMITTED: 403,
  SELF_APPROVAL: 403,
  APPROVAL_INVALID: 403,
  APPROVAL_EXPIRED: 403,
  APPROVAL_MISMATCH: 403,
  // 404: unknown, or belongs to another business (never revealed)
  NOT_FOUND: 404,
  RULE_NOT_FOUND: 404,
  EMPLOYEE_NOT_FOUND: 404,
  PROMOTION_NOT_FOUND: 404,
  // 409: a one-time approval presented a second time
  APPROVAL_USED: 409,
  // 413 / 415: a body too large, or not JSON
  BODY_TOO_LARGE: 413,
  UNSUPPORTED_MEDIA_TYPE: 415,
  // 422: well-formed, but the discount cannot be applied now
  RULE_INACTIVE: 422,
  RULE_NOT_IN_WINDOW: 422,
  RULE_SCOPE_MISMATCH: 422,
  PROMOTION_INACTIVE: 422,
  PROMOTION_NOT_IN_WINDOW: 422,
  NEGATIVE_PRICE: 422,
  // 500: a bug or an outage; the body never carries the cause
  INTERNAL: 500,
  // 503: the identity provider's keys cannot be fetched now (retry)
  AUTH_UNAVAILABLE: 503,
} as const;

export type ErrorCode = keyof typeof ERROR_STATUS;

export interface DiscountError {
  code: ErrorCode;
  message: string;
}

export const fail = (code: ErrorCode, message: string): DiscountError => ({ code, message });

/** Thrown by the HTTP layer and the service to end a request with a known error. */
export class DiscountsError extends Error {
  constructor(readonly code: ErrorCode, message: string) {
    super(message);
    this.name = 'DiscountsError';
  }
  static of(e: DiscountError): DiscountsError {
    return new DiscountsError(e.code, e.message);
  }
}

export interface Problem {
  type: string;
  title: string;
  status: number;
  code: ErrorCode;
  detail: string;
}

export function toProblem(code: ErrorCode, detail: string): Problem {
  const status = ERROR_STATUS[code];
  return { type: `urn:dealstream:discounts:${code.toLowerCase()}`, title: code.replace(/_/g, ' ').toLowerCase(), status, code, detail };
}
