/**
 * Postgres access for the discounts service (kysely). Every read is scoped by business_id, so a
 * row of another business is simply not found. No decisions here: those are in handler.ts.
 */
import { sql, type Kysely, type SelectQueryBuilder, type Transaction } from 'kysely';
import type {
  Database, DiscountApplicationRow, DiscountRuleRow, DiscountRuleUpdate, DiscountScope, EmployeeRow, NewDiscountRule, PromotionRow,
} from '../../shared/db/schema';
import type { ApprovalView } from './approval';
import type { ApplicationRecord, DiscountSource, EmployeeView, OutboxEvent, PromotionView, RuleView } from './handler';

export type Db = Kysely<Database> | Transaction<Database>;

const asDate = (d: Date | string | null): Date | null => (d === null ? null : new Date(d));

export const toEmployeeView = (e: EmployeeRow): EmployeeView => ({
  id: e.id, businessId: e.business_id, subject: e.subject, role: e.role, canApproveDiscounts: e.can_approve_discounts,
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

/** The employee row of an actor (identity.ts actorLookup): by subject, or by id. */
export async function findActor(db: Db, businessId: string, by: { employeeId: string | null; subject: string | null }): Promise<EmployeeRow | undefined> {
  let q = db.selectFrom('employee').selectAll().where('business_id', '=', businessId);
  if (by.subject !== null) q = q.where('subject', '=', by.subject);
  else if (by.employeeId !== null) q = q.where('id', '=', by.employeeId);
  else return undefined;
  return q.executeTakeFirst();
}

export async function insertApproval(db: Db, a: ApprovalView, codeHash: string, note: string | null): Promise<void> {
  await db.insertInto('discount_approval').values({
    id: a.id, business_id: a.businessId, code_hash: codeHash, approver_id: a.approverId, entity_type: a.entityType, entity_id: a.entityId,
    scope: a.scope, line_id: a.lineId, discount: JSON.stringify(a.discount), max_amount: a.maxAmount, note, expires_at: a.expiresAt,
  }).execute();
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

const applicationRow = (a: ApplicationRecord) => ({
  id: a.id, business_id: a.businessId, entity_type: a.entityType, entity_id: a.entityId, line_id: a.lineId, scope: a.scope,
  type: a.type, method: a.method, value: a.value, amount_applied: a.amountApplied, rule_id: a.ruleId, promotion_id: a.promotionId,
  reason: a.reason, approved_by: a.approvedBy, created_by: a.createdBy, redemption_id: a.redemptionId, created_at: a.createdAt,
  approval_id: a.approvalId,
});

interface ContextRow {
  e_id: string | null; e_business_id: string; e_subject: string | null; e_role: EmployeeRow['role']; e_approve: boolean; e_override: boolean; e_active: boolean;
  a_id: string | null; a_business_id: string; a_subject: string | null; a_role: EmployeeRow['role']; a_approve: boolean; a_override: boolean; a_active: boolean;
  ap_id: string | null; ap_business_id: string; ap_approver_id: string; ap_entity_type: string; ap_entity_id: string; ap_scope: DiscountScope;
  ap_line_id: string | null; ap_discount: DiscountSource; ap_max_amount: string; ap_expires_at: Date; ap_used_at: Date | null;
  r_id: string | null; r_business_id: string; r_name: string; r_scope: DiscountScope; r_type: DiscountRuleRow['type']; r_method: DiscountRuleRow['method'];
  r_value: string; r_max_value: string | null; r_requires_reason: boolean; r_requires_approval: boolean; r_min_role_level: DiscountRuleRow['min_role_level'];
  r_is_active: boolean; r_valid_from: Date | null; r_valid_to: Date | null;
  p_id: string | null; p_business_id: string; p_name: string; p_method: PromotionRow['method']; p_value: string; p_max_value: string | null;
  p_is_active: boolean; p_valid_from: Date | null; p_valid_to: Date | null;
  e_v: string | null; a_v: string | null; r_v: string | null; p_v: string | null;
}

/** Row versions (Postgres xmin, which every UPDATE changes) of the rows a decision was based on. */
export interface Versions { employee: string | null; approver: string | null; rule: string | null; promotion: string | null }
export interface LoadedContext {
  employee: EmployeeView | null; approval: ApprovalView | null; approver: EmployeeView | null; rule: RuleView | null; promotion: PromotionView | null; versions: Versions;
}

export interface ContextQuery {
  businessId: string;
  /** the actor: by subject (a verified token) or by id (an in-process caller); one of them */
  employeeId: string | null; subject: string | null;
  /** SHA-256 of a presented approval code; its approver is loaded with it */
  approvalHash: string | null;
  ruleId: string | null; promotionId: string | null;
}

const employeeView = (id: string | null, r: { businessId: string; subject: string | null; role: EmployeeRow['role']; approve: boolean; override: boolean; active: boolean }): EmployeeView | null =>
  (id === null ? null : { id, businessId: r.businessId, subject: r.subject, role: r.role, canApproveDiscounts: r.approve, canOverridePrices: r.override, isActive: r.active });

/**
 * Everything the engine needs for one application, in ONE query (left joins on a single row): the
 * acting employee, the approval and the employee who issued it, the rule and the promotion, each
 * null when absent or of another business.
 */
export async function loadContext(db: Db, q: ContextQuery): Promise<LoadedContext> {
  const { rows } = await sql<ContextRow>`
    select e.id as e_id, e.business_id as e_business_id, e.subject as e_subject, e.role as e_role, e.can_approve_discounts as e_approve, e.can_override_prices as e_override, e.is_active as e_active,
           a.id as a_id, a.business_id as a_business_id, a.subject as a_subject, a.role as a_role, a.can_approve_discounts as a_approve, a.can_override_prices as a_override, a.is_active as a_active,
           ap.id as ap_id, ap.business_id as ap_business_id, ap.approver_id as ap_approver_id, ap.entity_type as ap_entity_type, ap.entity_id::text as ap_entity_id,
           ap.scope as ap_scope, ap.line_id as ap_line_id, ap.discount as ap_discount, ap.max_amount as ap_max_amount, ap.expires_at as ap_expires_at, ap.used_at as ap_used_at,
           r.id as r_id, r.business_id as r_business_id, r.name as r_name, r.scope as r_scope, r.type as r_type, r.method as r_method, r.value as r_value,
           r.max_value as r_max_value, r.requires_reason as r_requires_reason, r.requires_approval as r_requires_approval, r.min_role_level as r_min_role_level,
           r.is_active as r_is_active, r.valid_from as r_valid_from, r.valid_to as r_valid_to,
           p.id as p_id, p.business_id as p_business_id, p.name as p_name, p.method as p_method, p.value as p_value, p.max_value as p_max_value,
           p.is_active as p_is_active, p.valid_from as p_valid_from, p.valid_to as p_valid_to,
           e.xmin::text as e_v, a.xmin::text as a_v, r.xmin::text as r_v, p.xmin::text as p_v
    from (select 1) as one
    left join employee e on e.business_id = ${q.businessId}::uuid
      and (e.id = ${q.employeeId}::uuid or e.subject = ${q.subject}::text)
    left join discount_approval ap on ap.business_id = ${q.businessId}::uuid and ap.code_hash = ${q.approvalHash}::text
    left join employee a on a.business_id = ${q.businessId}::uuid and a.id = ap.approver_id
    left join discount_rule r on r.business_id = ${q.businessId}::uuid and r.id = ${q.ruleId}::uuid
    left join promotion p on p.business_id = ${q.businessId}::uuid and p.id = ${q.promotionId}::uuid`.execute(db);
  const c = rows[0];
  if (!c) throw new Error('context query returned no row');
  return {
    employee: employeeView(c.e_id, { businessId: c.e_business_id, subject: c.e_subject, role: c.e_role, approve: c.e_approve, override: c.e_override, active: c.e_active }),
    approver: employeeView(c.a_id, { businessId: c.a_business_id, subject: c.a_subject, role: c.a_role, approve: c.a_approve, override: c.a_override, active: c.a_active }),
    approval: c.ap_id === null ? null : {
      id: c.ap_id, businessId: c.ap_business_id, approverId: c.ap_approver_id, entityType: c.ap_entity_type, entityId: c.ap_entity_id, scope: c.ap_scope,
      lineId: c.ap_line_id, discount: c.ap_discount, maxAmount: c.ap_max_amount, expiresAt: new Date(c.ap_expires_at), usedAt: c.ap_used_at && new Date(c.ap_used_at),
    },
    rule: c.r_id === null ? null : {
      id: c.r_id, businessId: c.r_business_id, name: c.r_name, scope: c.r_scope, type: c.r_type, method: c.r_method, value: c.r_value, maxValue: c.r_max_value,
      requiresReason: c.r_requires_reason, requiresApproval: c.r_requires_approval, minRoleLevel: c.r_min_role_level, isActive: c.r_is_active,
      validFrom: c.r_valid_from, validTo: c.r_valid_to,
    },
    promotion: c.p_id === null ? null : {
      id: c.p_id, businessId: c.p_business_id, name: c.p_name, method: c.p_method, value: c.p_value, maxValue: c.p_max_value,
      isActive: c.p_is_active, validFrom: c.p_valid_from, validTo: c.p_valid_to,
    },
    versions: { employee: c.e_v, approver: c.a_v, rule: c.r_v, promotion: c.p_v },
  };
}

/** The ids a decision read, with the versions it saw (null id: not read), and the approval it uses up. */
export interface Guard {
  employee: { id: string | null; version: string | null };
  approver: { id: string | null; version: string | null };
  rule: { id: string | null; version: string | null };
  promotion: { id: string | null; version: string | null };
  approvalId: string | null;
}

/** One apply step: the audit row, its outbox events and the guard they are written under. */
export interface GuardedWrite { application: ApplicationRecord; events: OutboxEvent[]; guard: Guard }

/**
 * The apply step for decisions made on possibly cached rows, for one or several applications (a
 * group commit) in ONE statement, hence one transaction: per application, one call of
 * discount_apply_approved (migration 0009), which uses up the approval (if any, and only if still
 * unused) and writes the audit row and its outbox events only if the employee, approver, rule and
 * promotion are still exactly the versions the decision saw (discount_apply_guarded, 0004).
 * Returns, per application in order, false (nothing written for it) when one changed or vanished.
 * Any error rolls back the whole statement (nothing of it is written).
 */
export async function writeApplicationsIfUnchanged(db: Db, writes: GuardedWrite[]): Promise<boolean[]> {
  // Money stays text inside the JSON: jsonb_populate_record parses it with numeric's own input.
  const items = JSON.stringify(writes.map(({ application: a, events, guard: g }) => ({
    application: { ...applicationRow(a), created_at: a.createdAt.toISOString() },
    events: events.map((e) => ({ id: e.id, topic: e.topic, key: e.key, payload: e.payload })),
    e: g.employee.id, ev: g.employee.version, a: g.approver.id, av: g.approver.version,
    r: g.rule.id, rv: g.rule.version, p: g.promotion.id, pv: g.promotion.version, ap: g.approvalId,
  })));
  // The function scan yields the array in order and each row's call runs before the next row's,
  // so the outbox seq follows the order of `writes` (per-entity order within a batch).
  const { rows } = await sql<{ n: string; ok: boolean }>`
    select w.n::text as n, discount_apply_approved(w.x -> 'application', w.x -> 'events',
      (w.x ->> 'e')::uuid, w.x ->> 'ev', (w.x ->> 'a')::uuid, w.x ->> 'av',
      (w.x ->> 'r')::uuid, w.x ->> 'rv', (w.x ->> 'p')::uuid, w.x ->> 'pv', (w.x ->> 'ap')::uuid) as ok
    from jsonb_array_elements(${items}::jsonb) with ordinality as w(x, n)`.execute(db);
  const ok = new Array<boolean>(writes.length).fill(false);
  for (const r of rows) ok[Number(r.n) - 1] = r.ok === true;
  if (rows.length !== writes.length) throw new Error(`apply step: ${rows.length} results for ${writes.length} applications`);
  return ok;
}

/** A referenced rule/employee deleted between the guard and the insert (foreign key): the decision is stale. */
export const isStaleReference = (e: unknown): boolean => (e as { code?: string } | null)?.code === '23503';
