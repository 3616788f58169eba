/**
 * Postgres access for the discounts service (kysely). Every read is scoped by business_id, so a
 * row of another business is simply not found. No decisions here: those are in handler.ts.
 */
import { sql, type Kysely, type SelectQueryBuilder, type Transaction } from 'kysely';
import type {
  Database, DiscountApplicationRow, DiscountRuleRow, DiscountRuleUpdate, DiscountScope, EmployeeRow, NewDiscountRule, PromotionRow,
} from '../../shared/db/schema';
import type { ApplicationRecord, EmployeeView, OutboxEvent, PromotionView, RuleView } from './handler';

export type Db = Kysely<Database> | Transaction<Database>;

const asDate = (d: Date | string | null): Date | null => (d === null ? null : new Date(d));

export const toEmployeeView = (e: EmployeeRow): EmployeeView => ({
  id: e.id, businessId: e.business_id, role: e.role, canApproveDiscounts: e.can_approve_discounts,
  canOverridePrices: e.can_override_prices, isActive: e.is_active,
});

export const toRuleView = (r: DiscountRuleRow): RuleView => ({
  id: r.id, businessId: r.business_id, name: r.name, scope: r.scope, type: r.type, method: r.method, value: r.value,
  maxValue: r.max_value, requiresReason: r.requires_reason, requiresApproval: r.requires_approval, minRoleLevel: r.min_role_level,
  isActive: r.is_active, validFrom: asDate(r.valid_from), validTo: asDate(r.valid_to),
});

export const toPromotionView = (p: PromotionRow): PromotionView => ({
  id: p.id, businessId: p.business_id, name: p.name, method: p.method, value: p.value, maxValue: p.max_value,
  isActive: p.is_active, validFrom: asDate(p.valid_from), validTo: asDate(p.valid_to),
});

export async function findEmployee(db: Db, businessId: string, id: string): Promise<EmployeeRow | undefined> {
  return db.selectFrom('employee').selectAll().where('business_id', '=', businessId).where('id', '=', id).executeTakeFirst();
}

export async function findPromotion(db: Db, businessId: string, id: string): Promise<PromotionRow | undefined> {
  return db.selectFrom('promotion').selectAll().where('business_id', '=', businessId).where('id', '=', id).executeTakeFirst();
}

export async function findRule(db: Db, businessId: string, id: string): Promise<DiscountRuleRow | undefined> {
  return db.selectFrom('discount_rule').selectAll().where('business_id', '=', businessId).where('id', '=', id).executeTakeFirst();
}

export interface RuleFilter { active?: boolean; scope?: DiscountScope; limit: number; offset: number }

export async function listRules(db: Db, businessId: string, f: RuleFilter): Promise<{ items: DiscountRuleRow[]; total: number }> {
  let q = db.selectFrom('discount_rule').where('business_id', '=', businessId);
  if (f.active !== undefined) q = q.where('is_active', '=', f.active);
  if (f.scope !== undefined) q = q.where('scope', '=', f.scope);
  const [items, count] = await Promise.all([
    q.selectAll().orderBy('created_at', 'desc').orderBy('id').limit(f.limit).offset(f.offset).execute(),
    q.select((eb) => eb.fn.countAll<string>().as('n')).executeTakeFirstOrThrow(),
  ]);
  return { items, total: Number(count.n) };
}

export async function insertRule(db: Db, rule: NewDiscountRule): Promise<DiscountRuleRow> {
  return db.insertInto('discount_rule').values(rule).returningAll().executeTakeFirstOrThrow();
}

export async function updateRule(db: Db, businessId: string, id: string, patch: DiscountRuleUpdate): Promise<DiscountRuleRow | undefined> {
  return db.updateTable('discount_rule').set({ ...patch, updated_at: sql<Date>`now()` })
    .where('business_id', '=', businessId).where('id', '=', id).returningAll().executeTakeFirst();
}

/**
 * Deletes a rule, or deactivates it when applications reference it (the audit trail keeps its
 * rule). Locks the rule row first so a concurrent application cannot slip in between.
 */
export async function deleteOrDeactivateRule(db: Kysely<Database>, businessId: string, id: string, by: string): Promise<'deleted' | 'deactivated' | 'not_found'> {
  return db.transaction().execute(async (trx) => {
    const rule = await trx.selectFrom('discount_rule').select('id').where('business_id', '=', businessId).where('id', '=', id).forUpdate().executeTakeFirst();
    if (!rule) return 'not_found';
    const used = await trx.selectFrom('discount_application').select('id').where('rule_id', '=', id).limit(1).executeTakeFirst();
    if (used) {
      await trx.updateTable('discount_rule').set({ is_active: false, updated_by: by, updated_at: sql<Date>`now()` }).where('id', '=', id).execute();
      return 'deactivated';
    }
    await trx.deleteFrom('discount_rule').where('id', '=', id).execute();
    return 'deleted';
  });
}

export interface Page { limit: number; offset: number }

export async function applicationsByEntity(db: Db, businessId: string, entityType: string, entityId: string, page: Page) {
  const q = db.selectFrom('discount_application').where('business_id', '=', businessId)
    .where('entity_type', '=', entityType).where('entity_id', '=', entityId);
  return paged(q, page);
}

export async function applicationsByEmployee(db: Db, businessId: string, employeeId: string, from: Date | null, to: Date | null, page: Page) {
  let q = db.selectFrom('discount_application').where('business_id', '=', businessId).where('created_by', '=', employeeId);
  if (from) q = q.where('created_at', '>=', from);
  if (to) q = q.where('created_at', '<', to);
  return paged(q, page);
}

type AppQuery = SelectQueryBuilder<Database, 'discount_application', object>;

async function paged(q: AppQuery, page: Page): Promise<{ items: DiscountApplicationRow[]; total: number }> {
  const [items, count] = await Promise.all([
    q.selectAll().orderBy('created_at', 'asc').orderBy('id').limit(page.limit).offset(page.offset).execute(),
    q.select((eb) => eb.fn.countAll<string>().as('n')).executeTakeFirstOrThrow(),
  ]);
  return { items, total: Number(count.n) };
}

/** The apply step: the audit row and its outbox events, in the caller's transaction. */
export async function writeApplication(trx: Db, a: ApplicationRecord, events: OutboxEvent[]): Promise<void> {
  await trx.insertInto('discount_application').values({
    id: a.id, business_id: a.businessId, entity_type: a.entityType, entity_id: a.entityId, line_id: a.lineId, scope: a.scope,
    type: a.type, method: a.method, value: a.value, amount_applied: a.amountApplied, rule_id: a.ruleId, promotion_id: a.promotionId,
    reason: a.reason, approved_by: a.approvedBy, created_by: a.createdBy, redemption_id: a.redemptionId, created_at: a.createdAt,
  }).execute();
  if (events.length) {
    await trx.insertInto('discount_outbox')
      .values(events.map((e) => ({ id: e.id, topic: e.topic, key: e.key, payload: JSON.stringify(e.payload) })))
      .execute();
  }
}
