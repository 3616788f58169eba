/**
 * Proven identities in the discounts service (issue 17). An employee is linked to the subject
 * (`sub`) of the identity provider's tokens, one per business; the acting employee of a request is
 * the one its token names. An approval is a one-time code an approving employee issued for one
 * application (business, entity, line, discount, most amount); only its SHA-256 is stored, so a
 * reader of the table cannot use one. An application records the approval it used, and a unique
 * index makes a second use impossible whatever the code does.
 */
import { sql, type Kysely } from 'kysely';

export async function up(db: Kysely<unknown>): Promise<void> {
  await db.schema.alterTable('employee').addColumn('subject', 'varchar(255)').execute();
  await db.schema.createIndex('employee_subject_key').on('employee').columns(['business_id', 'subject']).unique()
    .where(sql.ref('subject'), 'is not', null).execute();

  await db.schema
    .createTable('discount_approval')
    .addColumn('id', 'uuid', (c) => c.primaryKey())
    .addColumn('business_id', 'uuid', (c) => c.notNull())
    .addColumn('code_hash', 'text', (c) => c.notNull().unique())
    .addColumn('approver_id', 'uuid', (c) => c.notNull().references('employee.id'))
    .addColumn('entity_type', 'varchar(100)', (c) => c.notNull())
    .addColumn('entity_id', 'uuid', (c) => c.notNull())
    .addColumn('scope', sql`discount_scope`, (c) => c.notNull())
    .addColumn('line_id', 'varchar(255)')
    // the discount approved, as the request names it: {kind: rule, ruleId} | {kind: promotion, promotionId} | {kind: manual, type, method, value}
    .addColumn('discount', 'jsonb', (c) => c.notNull())
    .addColumn('max_amount', sql`numeric(20,6)`, (c) => c.notNull())
    .addColumn('note', 'text')
    .addColumn('created_at', 'timestamptz', (c) => c.notNull().defaultTo(sql`now()`))
    .addColumn('expires_at', 'timestamptz', (c) => c.notNull())
    .addColumn('used_at', 'timestamptz')
    .execute();
  await db.schema.createIndex('discount_approval_approver_idx').on('discount_approval').columns(['business_id', 'approver_id', 'created_at']).execute();

  await db.schema.alterTable('discount_application').addColumn('approval_id', 'uuid', (c) => c.references('discount_approval.id')).execute();
  await db.schema.createIndex('discount_application_approval_key').on('discount_application').columns(['approval_id']).unique()
    .where(sql.ref('approval_id'), 'is not', null).execute();

  // The apply step with an approval: the approval is used up first (only if unused and not expired),
  // then the guarded write of 0004 runs; when its guard misses, nothing is written and the approval
  // is given back, so the request can be decided again on fresh rows.
  await sql`
    create function discount_apply_approved(
      p_application jsonb, p_events jsonb,
      p_employee_id uuid, p_employee_v text, p_approver_id uuid, p_approver_v text,
      p_rule_id uuid, p_rule_v text, p_promotion_id uuid, p_promotion_v text, p_approval_id uuid
    ) returns boolean language plpgsql as $$
    declare
      ok boolean;
    begin
      if p_approval_id is not null then
        update discount_approval set used_at = now() where id = p_approval_id and used_at is null and expires_at > now();
        if not found then return false; end if;
      end if;
      ok := discount_apply_guarded(p_application, p_events, p_employee_id, p_employee_v, p_approver_id, p_approver_v,
        p_rule_id, p_rule_v, p_promotion_id, p_promotion_v);
      if not ok and p_approval_id is not null then
        update discount_approval set used_at = null where id = p_approval_id;
      end if;
      return ok;
    end
    $$`.execute(db);
}

export async function down(db: Kysely<unknown>): Promise<void> {
  await sql`drop function discount_apply_approved`.execute(db);
  await db.schema.dropIndex('discount_application_approval_key').execute();
  await db.schema.alterTable('discount_application').dropColumn('approval_id').execute();
  await db.schema.dropTable('discount_approval').execute();
  await db.schema.dropIndex('employee_subject_key').execute();
  await db.schema.alterTable('employee').dropColumn('subject').execute();
}
