/**
 * `npm run discounts:seed`: a demo business for the README's curl example: three employees
 * (cashier, manager, owner) linked to the token subjects demo-cashier, demo-manager, demo-owner,
 * five rules and a promotion, with fixed ids. Idempotent.
 */
import { loadConfig } from '../../shared/config';
import { createDb } from '../../shared/db/db';
import { ensureDatabase, migrateToLatest } from '../../shared/db/migrate';
import type { Database } from '../../shared/db/schema';
import type { Kysely } from '../../shared/db/db';
import { discountsEnv } from './config';

export const DEMO = {
  businessId: '5eed0000-0000-4000-8000-000000000001',
  employees: {
    cashier: '5eed0000-0000-4000-8000-0000000000c1',
    manager: '5eed0000-0000-4000-8000-0000000000a1',
    owner: '5eed0000-0000-4000-8000-0000000000b1',
  },
  /** the token subjects the employees are linked to (`npm run discounts:token -- --user demo-cashier ...`) */
  subjects: { cashier: 'demo-cashier', manager: 'demo-manager', owner: 'demo-owner' },
  rules: {
    tenPercent: '5eed0000-0000-4000-8000-0000000000e1',
    managerQuarter: '5eed0000-0000-4000-8000-0000000000e2',
    fiveOffCart: '5eed0000-0000-4000-8000-0000000000e3',
    damaged: '5eed0000-0000-4000-8000-0000000000e4',
    staffApproved: '5eed0000-0000-4000-8000-0000000000e5',
  },
  promotionId: '5eed0000-0000-4000-8000-0000000000f1',
} as const;

export async function seedDemo(db: Kysely<Database>): Promise<void> {
  const biz = DEMO.businessId;
  const e = DEMO.employees;
  const sub = DEMO.subjects;
  await db.insertInto('employee').values([
    { id: e.cashier, business_id: biz, name: 'Casey Cashier', role: 'cashier', subject: sub.cashier },
    { id: e.manager, business_id: biz, name: 'Morgan Manager', role: 'manager', can_approve_discounts: true, subject: sub.manager },
    { id: e.owner, business_id: biz, name: 'Olive Owner', role: 'owner', can_approve_discounts: true, can_override_prices: true, subject: sub.owner },
  ]).onConflict((oc) => oc.column('id').doUpdateSet((eb) => ({ subject: eb.ref('excluded.subject') }))).execute();
  const rule = { business_id: biz, description: null, max_value: null, min_role_level: null, valid_from: null, valid_to: null, created_by: null, updated_by: null };
  const r = DEMO.rules;
  await db.insertInto('discount_rule').values([
    { ...rule, id: r.tenPercent, name: '10% Off Manual', description: 'Manual discount for staff', scope: 'line', type: 'manual', method: 'percent', value: '10', max_value: '50', min_role_level: 'cashier' },
    { ...rule, id: r.managerQuarter, name: 'Manager 25%', scope: 'line', type: 'markdown', method: 'percent', value: '25', min_role_level: 'manager', requires_approval: true },
    { ...rule, id: r.fiveOffCart, name: '$5 off the cart', scope: 'cart', type: 'manual', method: 'amount', value: '5' },
    { ...rule, id: r.damaged, name: 'Damaged packaging', scope: 'line', type: 'comp', method: 'percent', value: '30', requires_reason: true },
    { ...rule, id: r.staffApproved, name: 'Friends & family 15%', scope: 'line', type: 'manual', method: 'percent', value: '15', requires_approval: true },
  ]).onConflict((oc) => oc.column('id').doNothing()).execute();
  await db.insertInto('promotion').values({ id: DEMO.promotionId, business_id: biz, name: 'Green Friday 20%', method: 'percent', value: '20', max_value: null, valid_from: null, valid_to: null })
    .onConflict((oc) => oc.column('id').doNothing()).execute();
}

async function main(): Promise<void> {
  const cfg = loadConfig('discounts-seed', discountsEnv(process.env));
  await ensureDatabase(cfg.DATABASE_URL);
  const db = createDb(cfg.DATABASE_URL, 2);
  try {
    await migrateToLatest(db);
    await seedDemo(db);
    console.log(JSON.stringify(DEMO, null, 2));
  } finally {
    await db.destroy();
  }
}

if (require.main === module) void main().catch((e: unknown) => { console.error(e instanceof Error ? e.message : e); process.exit(1); });
