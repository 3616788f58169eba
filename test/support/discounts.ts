/** Given-helpers for the discounts service tests: employees, promotions, rules, tokens. */
import { randomUUID } from 'node:crypto';
import type { Kysely } from 'kysely';
import type { Database, EmployeeRole, NewDiscountRule } from '../../shared/db/schema';
import { mintToken, type AuthSettings } from '../../services/discounts/auth';

export const TEST_AUTH: AuthSettings = { secret: 'test-secret-test-secret-test-secret-0123', issuer: 'dealstream', audience: 'dealstream-discounts' };

export function tokenFor(businesses: string[], opts: { ttlSeconds?: number; auth?: AuthSettings; userId?: string } = {}): Promise<string> {
  return mintToken(opts.auth ?? TEST_AUTH, { userId: opts.userId ?? randomUUID(), businesses }, opts.ttlSeconds ?? 600);
}

export async function givenEmployee(db: Kysely<Database>, businessId: string, role: EmployeeRole, perms: { approve?: boolean; override?: boolean; active?: boolean } = {}): Promise<string> {
  const row = await db.insertInto('employee').values({
    business_id: businessId, name: `${role} ${Math.random().toString(36).slice(2, 6)}`, role,
    can_approve_discounts: perms.approve ?? false, can_override_prices: perms.override ?? false, is_active: perms.active ?? true,
  }).returning('id').executeTakeFirstOrThrow();
  return row.id;
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
