/** Given-helpers for the discounts service tests: employees (linked to token subjects), promotions, rules, tokens. */
import { randomUUID } from 'node:crypto';
import type { Kysely } from 'kysely';
import type { Database, EmployeeRole, NewDiscountRule } from '../../shared/db/schema';
import { mintToken, type AuthSettings } from '../../services/discounts/auth';
import { makeTestKey, type TestKey } from './auth';

/** The identity provider of the tests: one ES256 key, verified as a static public key. */
export const TEST_KEY: TestKey = makeTestKey('ES256');
export const TEST_ISSUER = 'https://idp.dealstream.test/';
export const TEST_AUDIENCE = 'dealstream-discounts';
export const TEST_AUTH: AuthSettings = { keys: { kind: 'public-key', pem: TEST_KEY.publicPem }, issuer: TEST_ISSUER, audience: TEST_AUDIENCE };

/** The token subject an employee made by givenEmployee is linked to. */
export const subjectOf = (employeeId: string): string => `sub-${employeeId}`;

export interface TokenOptions { ttlSeconds?: number; key?: TestKey; issuer?: string; subject?: string }

/** A token covering `businesses`, for a subject (default: one linked to no employee). */
export function tokenFor(businesses: string[], opts: TokenOptions = {}): Promise<string> {
  return mintToken((opts.key ?? TEST_KEY).signing, { subject: opts.subject ?? `nobody-${randomUUID()}`, businesses }, {
    issuer: opts.issuer ?? TEST_ISSUER, audience: TEST_AUDIENCE, ttlSeconds: opts.ttlSeconds ?? 600,
  });
}

/** The token of an employee made by givenEmployee. */
export const tokenAs = (employeeId: string, businesses: string[], opts: Omit<TokenOptions, 'subject'> = {}): Promise<string> =>
  tokenFor(businesses, { ...opts, subject: subjectOf(employeeId) });

export async function givenEmployee(db: Kysely<Database>, businessId: string, role: EmployeeRole, perms: { approve?: boolean; override?: boolean; active?: boolean } = {}): Promise<string> {
  const id = randomUUID();
  await db.insertInto('employee').values({
    id, business_id: businessId, name: `${role} ${id.slice(0, 4)}`, role, subject: subjectOf(id),
    can_approve_discounts: perms.approve ?? false, can_override_prices: perms.override ?? false, is_active: perms.active ?? true,
  }).execute();
  return id;
}

export async function givenPromotion(db: Kysely<Database>, businessId: string, over: { value?: string; method?: 'percent' | 'amount'; active?: boolean; validTo?: Date | null } = {}): Promise<string> {
  const row = await db.insertInto('promotion').values({
    business_id: businessId, name: 'Promo', method: over.method ?? 'percent', value: over.value ?? '20', is_active: over.active ?? true,
    valid_to: over.validTo ?? null, max_value: null, valid_from: null,
  }).returning('id').executeTakeFirstOrThrow();
  return row.id;
}

export async function givenRule(db: Kysely<Database>, businessId: string, over: Partial<NewDiscountRule> = {}): Promise<string> {
  const row = await db.insertInto('discount_rule').values({
    business_id: businessId, name: 'Rule', scope: 'line', type: 'manual', method: 'percent', value: '10', max_value: null,
    description: null, min_role_level: null, valid_from: null, valid_to: null, created_by: null, updated_by: null, ...over,
  }).returning('id').executeTakeFirstOrThrow();
  return row.id;
}
