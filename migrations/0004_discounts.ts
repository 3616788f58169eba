/**
 * The discounts service (issue 4): rule catalog, audit trail of applied discounts, the employees
 * and promotions the checks read, and the transactional outbox. Money is numeric(20,6).
 * There is no business or user table in this system yet, so business_id / created_by are plain
 * uuids; the employee and rule references that do exist are real foreign keys.
 */
import { sql, type Kysely } from 'kysely';

export async function up(db: Kysely<unknown>): Promise<void> {
  await sql`create type discount_scope as enum ('line', 'cart')`.execute(db);
  await sql`create type discount_type as enum ('manual', 'promotion', 'markdown', 'override', 'comp', 'loyalty')`.execute(db);
  await sql`create type discount_method as enum ('percent', 'amount')`.execute(db);
  await sql`create type employee_role as enum ('cashier', 'manager', 'owner')`.execute(db);

  await db.schema
    .createTable('employee')
    .addColumn('id', 'uuid', (c) => c.primaryKey().defaultTo(sql`gen_random_uuid()`))
    .addColumn('business_id', 'uuid', (c) => c.notNull())
    .addColumn('name', 'varchar(255)', (c) => c.notNull())
    .addColumn('role', sql`employee_role`, (c) => c.notNull())
    .addColumn('can_approve_discounts', 'boolean', (c) => c.notNull().defaultTo(false))
    .addColumn('can_override_prices', 'boolean', (c) => c.notNull().defaultTo(false))
    .addColumn('is_active', 'boolean', (c) => c.notNull().defaultTo(true))
    .addColumn('created_at', 'timestamptz', (c) => c.notNull().defaultTo(sql`now()`))
    .execute();
  await db.schema.createIndex('employee_business_idx').on('employee').columns(['business_id']).execute();

  await db.schema
    .createTable('promotion')
    .addColumn('id', 'uuid', (c) => c.primaryKey().defaultTo(sql`gen_random_uuid()`))
    .addColumn('business_id', 'uuid', (c) => c.notNull())
    .addColumn('name', 'varchar(255)', (c) => c.notNull())
    .addColumn('method', sql`discount_method`, (c) => c.notNull())
    .addColumn('value', sql`numeric(20,6)`, (c) => c.notNull())
    .addColumn('max_value', sql`numeric(20,6)`)
    .addColumn('is_active', 'boolean', (c) => c.notNull().defaultTo(true))
    .addColumn('valid_from', 'timestamptz')
    .addColumn('valid_to', 'timestamptz')
    .addColumn('created_at', 'timestamptz', (c) => c.notNull().defaultTo(sql`now()`))
    .execute();
  await db.schema.createIndex('promotion_business_idx').on('promotion').columns(['business_id']).execute();

  await db.schema
    .createTable('discount_rule')
    .addColumn('id', 'uuid', (c) => c.primaryKey().defaultTo(sql`gen_random_uuid()`))
    .addColumn('business_id', 'uuid', (c) => c.notNull())
    .addColumn('name', 'varchar(255)', (c) => c.notNull())
    .addColumn('description', 'text')
    .addColumn('scope', sql`discount_scope`, (c) => c.notNull())
    .addColumn('applies_to', 'varchar(255)', (c) => c.notNull().defaultTo('all'))
    .addColumn('type', sql`discount_type`, (c) => c.notNull())
    .addColumn('method', sql`discount_method`, (c) => c.notNull())
    .addColumn('value', sql`numeric(20,6)`, (c) => c.notNull())
    .addColumn('max_value', sql`numeric(20,6)`)
    .addColumn('requires_reason', 'boolean', (c) => c.notNull().defaultTo(false))
    .addColumn('requires_approval', 'boolean', (c) => c.notNull().defaultTo(false))
    .addColumn('min_role_level', 'varchar(50)', (c) => c.check(sql`min_role_level in ('cashier', 'manager', 'owner')`))
    .addColumn('is_active', 'boolean', (c) => c.notNull().defaultTo(true))
    .addColumn('valid_from', 'timestamptz')
    .addColumn('valid_to', 'timestamptz')
    .addColumn('created_at', 'timestamptz', (c) => c.notNull().defaultTo(sql`now()`))
    .addColumn('created_by', 'uuid')
    .addColumn('updated_at', 'timestamptz', (c) => c.notNull().defaultTo(sql`now()`))
    .addColumn('updated_by', 'uuid')
    .execute();
  await db.schema.createIndex('discount_rule_business_idx').on('discount_rule').columns(['business_id', 'is_active', 'scope']).execute();

  await db.schema
    .createTable('discount_application')
    .addColumn('id', 'uuid', (c) => c.primaryKey().defaultTo(sql`gen_random_uuid()`))
    .addColumn('business_id', 'uuid', (c) => c.notNull())
    .addColumn('entity_type', 'varchar(100)', (c) => c.notNull())
    .addColumn('entity_id', 'uuid', (c) => c.notNull())
    .addColumn('line_id', 'varchar(255)')
    .addColumn('scope', sql`discount_scope`, (c) => c.notNull())
    .addColumn('type', sql`discount_type`, (c) => c.notNull())
    .addColumn('method', sql`discount_method`, (c) => c.notNull())
    .addColumn('value', sql`numeric(20,6)`, (c) => c.notNull())
    .addColumn('amount_applied', sql`numeric(20,6)`, (c) => c.notNull())
    .addColumn('rule_id', 'uuid', (c) => c.references('discount_rule.id'))
    .addColumn('promotion_id', 'uuid', (c) => c.references('promotion.id'))
    .addColumn('reason', 'text')
    .addColumn('approved_by', 'uuid', (c) => c.references('employee.id'))
    // Loyalty redemptions may come without a till employee (online orders).
    .addColumn('created_by', 'uuid', (c) => c.references('employee.id'))
    // The loyalty redemption this row records: the idempotency key of the consumer (partial unique index below).
    .addColumn('redemption_id', 'uuid')
    .addColumn('created_at', 'timestamptz', (c) => c.notNull().defaultTo(sql`now()`))
    .execute();
  await db.schema.createIndex('discount_application_entity_idx').on('discount_application').columns(['business_id', 'entity_type', 'entity_id']).execute();
  await db.schema.createIndex('discount_application_employee_idx').on('discount_application').columns(['business_id', 'created_by', 'created_at']).execute();
  // Partial indexes: most rows have no rule / no redemption, and every index is paid on each insert.
  await db.schema.createIndex('discount_application_rule_idx').on('discount_application').columns(['rule_id']).where(sql.ref('rule_id'), 'is not', null).execute();
  await db.schema.createIndex('discount_application_redemption_key').on('discount_application').columns(['redemption_id']).unique()
    .where(sql.ref('redemption_id'), 'is not', null).execute();

  // Transactional outbox: written in the same transaction as the application row; the relay
  // publishes unpublished rows in seq order and marks them. id is the event id consumers dedupe on.
  await db.schema
    .createTable('discount_outbox')
    .addColumn('id', 'uuid', (c) => c.primaryKey())
    .addColumn('seq', 'bigserial', (c) => c.notNull())
    .addColumn('topic', 'varchar(100)', (c) => c.notNull())
    .addColumn('key', 'text', (c) => c.notNull())
    .addColumn('payload', 'jsonb', (c) => c.notNull())
    .addColumn('created_at', 'timestamptz', (c) => c.notNull().defaultTo(sql`now()`))
    .addColumn('published_at', 'timestamptz')
    .addColumn('attempts', 'integer', (c) => c.notNull().defaultTo(0))
    .execute();
  await sql`create index discount_outbox_pending_idx on discount_outbox (seq) where published_at is null`.execute(db);

  // The apply step of the engine, as one call: write the audit row and its outbox events only if
  // the employee, approver, rule and promotion rows are still the versions (xmin) the decision
  // saw. plpgsql keeps its statements prepared per connection, so the hot path is planned once.
  await sql`
    create function discount_apply_guarded(
      p_application jsonb, p_events jsonb,
      p_employee_id uuid, p_employee_v text, p_approver_id uuid, p_approver_v text,
      p_rule_id uuid, p_rule_v text, p_promotion_id uuid, p_promotion_v text
    ) returns boolean language plpgsql as $$
    begin
      if p_employee_id is not null and not exists (select 1 from employee where id = p_employee_id and xmin::text = p_employee_v) then return false; end if;
      if p_approver_id is not null and not exists (select 1 from employee where id = p_approver_id and xmin::text = p_approver_v) then return false; end if;
      if p_rule_id is not null and not exists (select 1 from discount_rule where id = p_rule_id and xmin::text = p_rule_v) then return false; end if;
      if p_promotion_id is not null and not exists (select 1 from promotion where id = p_promotion_id and xmin::text = p_promotion_v) then return false; end if;
      insert into discount_application select * from jsonb_populate_record(null::discount_application, p_application);
      insert into discount_outbox (id, topic, key, payload)
        select e.id, e.topic, e.key, e.payload from jsonb_to_recordset(p_events) as e(id uuid, topic text, key text, payload jsonb);
      return true;
    end
    $$`.execute(db);
}

export async function down(db: Kysely<unknown>): Promise<void> {
  await sql`drop function discount_apply_guarded`.execute(db);
  for (const t of ['discount_outbox', 'discount_application', 'discount_rule', 'promotion', 'employee']) await db.schema.dropTable(t).execute();
  for (const t of ['employee_role', 'discount_method', 'discount_type', 'discount_scope']) await sql`drop type ${sql.raw(t)}`.execute(db);
}
