/**
 * The use cases, wired to Postgres: load what the engine needs, decide (handler.ts), then apply
 * (audit row + outbox events in ONE transaction). Exported for in-process use via index.ts.
 */
import { randomUUID } from 'node:crypto';
import type { Kysely } from 'kysely';
import type { Database } from '../../shared/db/schema';
import { APPROVAL_TTL_S, decideIssue, hashApprovalCode, newApprovalCode, type ApprovalView, type IssueApprovalRequest } from './approval';
import { DiscountsError } from './errors';
import {
  decideDiscount, decideLoyalty, type ApplicationRecord, type ApplyDiscountRequest, type CartDiscountDetail,
  type DiscountLayer, type LineDiscountDetail, type LoyaltyRequest,
} from './handler';
import { GROUP_COMMIT_DEFAULTS, createGroupCommit, type GroupCommitOptions } from './group-commit';
import { actorLookup, catalogEditor, type Actor, type EmployeeView } from './identity';
import {
  findActor, findEmployee, insertApproval, isStaleReference, loadContext, toEmployeeView, writeApplicationsIfUnchanged,
  type Db, type Guard, type GuardedWrite, type LoadedContext,
} from './store';

export interface DiscountsDeps {
  db: Kysely<Database>;
  now?: () => Date;
  newId?: () => string;
  /** Contexts kept for version-guarded reuse (0 disables the cache). */
  contextCacheSize?: number;
  /** Group commit of the apply step (group-commit.ts); maxBatch 1 writes each application alone. */
  groupCommit?: Partial<GroupCommitOptions>;
}


/** The stack already on the line / cart: only its layers matter, totals are recomputed. */
export interface CurrentStack { discounts: DiscountLayer[] }
export interface LineDiscountInput extends Omit<ApplyDiscountRequest, 'scope' | 'lineId' | 'current'> { lineId: string; current: CurrentStack | null }
export interface CartDiscountInput extends Omit<ApplyDiscountRequest, 'scope' | 'lineId' | 'current'> { current: CurrentStack | null }

export interface Applied<D> { application: ApplicationRecord; layer: DiscountLayer; detail: D }

export type LoyaltyResult = { kind: 'recorded'; application: ApplicationRecord } | { kind: 'duplicate'; applicationId: string };

export type IssueApprovalInput = Omit<IssueApprovalRequest, 'ttlSeconds'> & { ttlSeconds?: number };
/** An issued approval: the code is given to the approver once and never stored. */
export interface IssuedApproval { approval: ApprovalView; code: string }

export function createDiscounts(deps: DiscountsDeps) {
  const now = deps.now ?? (() => new Date());
  const newId = deps.newId ?? randomUUID;
  const { db } = deps;

  // Contexts (employee, approver, rule, promotion rows) seen recently, by the ids of the request.
  // A cached context is only ever used to APPLY, and the write is guarded by the row versions it
  // saw: a rule deactivated or an employee changed anywhere makes the write miss, and the request
  // is decided again on fresh rows. A refusal is never based on a cached row.
  const cache = new Map<string, LoadedContext>();
  const cacheSize = deps.contextCacheSize ?? 10_000;
  const remember = (key: string, ctx: LoadedContext): void => {
    cache.delete(key);
    cache.set(key, ctx);
    if (cache.size > cacheSize) cache.delete(cache.keys().next().value as string);
  };

  // The apply step of every line/cart application goes through the group commit: concurrent
  // requests share one statement and one commit; each is answered after ITS batch committed.
  const writer = createGroupCommit<GuardedWrite, boolean>((writes) => writeApplicationsIfUnchanged(db, writes), {
    ...GROUP_COMMIT_DEFAULTS, ...deps.groupCommit,
    // one entity's applications commit, and take their outbox seq, in the order they were made
    keyOf: (w) => `${w.application.entityType}:${w.application.entityId}`,
  });
  const write = (w: GuardedWrite): Promise<boolean> => writer.submit(w).catch((e: unknown) => {
    if (isStaleReference(e)) return false;
    throw e;
  });

  async function apply(req: ApplyDiscountRequest) {
    const src = req.discount;
    const ids = {
      businessId: req.businessId, ...actorLookup(req.actor), approvalHash: req.approval === null ? null : hashApprovalCode(req.approval),
      ruleId: src.kind === 'rule' ? src.ruleId : null, promotionId: src.kind === 'promotion' ? src.promotionId : null,
    };
    const key = `${ids.businessId}|${ids.employeeId}|${ids.subject}|${ids.ruleId}|${ids.promotionId}`;
    // An approval is used once: its row is always read fresh, and such a context is not kept.
    const cacheable = cacheSize > 0 && req.approval === null;
    const cached = cacheable ? cache.get(key) : undefined;
    for (let attempt = 0; attempt < 4; attempt++) {
      const fromCache = attempt === 0 && cached !== undefined;
      const loaded = fromCache ? cached : await loadContext(db, ids);
      const decision = decideDiscount(req, { ...loaded, now: now(), applicationId: newId(), applicationEventId: newId(), promotionEventId: newId() });
      if (decision.kind === 'reject') {
        if (fromCache) continue;
        throw DiscountsError.of(decision.error);
      }
      const guard: Guard = {
        employee: { id: decision.application.createdBy, version: loaded.versions.employee },
        approver: { id: decision.application.approvedBy, version: loaded.versions.approver },
        rule: { id: loaded.rule?.id ?? null, version: loaded.versions.rule },
        promotion: { id: loaded.promotion?.id ?? null, version: loaded.versions.promotion },
        approvalId: decision.application.approvalId,
      };
      if (await write({ application: decision.application, events: decision.events, guard })) {
        if (cacheable) remember(key, loaded);
        return decision;
      }
      cache.delete(key);
    }
    // Only when the rows change under every attempt: not the caller's fault, not a silent success.
    throw new Error('the rule, promotion or employee kept changing while the discount was applied');
  }

  return {
    /** Applies a discount to one line; returns the audit record and the updated LineDiscountDetail. */
    async buildLineDiscount(input: LineDiscountInput): Promise<Applied<LineDiscountDetail>> {
      const d = await apply({ ...input, scope: 'line', current: input.current?.discounts ?? [] });
      return { application: d.application, layer: d.layer, detail: { lineId: input.lineId, ...d.detail } };
    },

    /** Applies a discount to the cart total (pre-computed by the caller); returns the updated CartDiscountDetail. */
    async buildCartDiscount(input: CartDiscountInput): Promise<Applied<CartDiscountDetail>> {
      const d = await apply({ ...input, scope: 'cart', lineId: null, current: input.current?.discounts ?? [] });
      return { application: d.application, layer: d.layer, detail: d.detail };
    },

    /**
     * An approving employee (the actor) issues a one-time approval code for one application
     * (approval.ts). The code is returned once; only its hash is stored.
     */
    async issueApproval(input: IssueApprovalInput): Promise<IssuedApproval> {
      const employee = await findActor(db, input.businessId, actorLookup(input.actor));
      const decision = decideIssue({ ...input, ttlSeconds: input.ttlSeconds ?? APPROVAL_TTL_S.default }, {
        employee: employee ? toEmployeeView(employee) : null, now: now(), id: newId(),
      });
      if (decision.kind === 'reject') throw DiscountsError.of(decision.error);
      const code = newApprovalCode();
      await insertApproval(db, decision.approval, hashApprovalCode(code), decision.note);
      return { approval: decision.approval, code };
    },

    /** The employee who may change the rule catalog for `actor`, or the reason not (identity.ts). */
    async catalogEditor(businessId: string, actor: Actor): Promise<EmployeeView> {
      const row = await findActor(db, businessId, actorLookup(actor));
      const editor = catalogEditor(actor, row ? toEmployeeView(row) : null, businessId);
      if ('code' in editor) throw DiscountsError.of(editor);
      return editor;
    },

    /**
     * Records a loyalty redemption as an application, idempotent by redemption id. Pass the
     * loyalty module's transaction as `trx` to commit with it; otherwise one is opened here.
     */
    async applyLoyaltyDiscount(input: LoyaltyRequest, trx?: Db): Promise<LoyaltyResult> {
      const run = async (t: Db): Promise<LoyaltyResult> => {
        const seen = await t.selectFrom('discount_application').select('id').where('redemption_id', '=', input.redemptionId).executeTakeFirst();
        if (seen) return { kind: 'duplicate', applicationId: seen.id };
        const employee = input.employeeId === null ? undefined : await findEmployee(t, input.businessId, input.employeeId);
        const decision = decideLoyalty(input, {
          employee: employee ? toEmployeeView(employee) : null, now: now(), applicationId: newId(), applicationEventId: newId(),
        });
        if (decision.kind === 'reject') throw DiscountsError.of(decision.error);
        // The unique redemption_id settles a race between two deliveries: the loser sees a conflict.
        const inserted = await t.insertInto('discount_application').values({
          id: decision.application.id, business_id: input.businessId, entity_type: input.entityType, entity_id: input.entityId,
          line_id: input.lineId, scope: decision.application.scope, type: 'loyalty', method: 'amount', value: decision.application.value,
          amount_applied: decision.application.amountApplied, reason: decision.application.reason, created_by: input.employeeId,
          redemption_id: input.redemptionId, created_at: decision.application.createdAt,
        }).onConflict((oc) => oc.column('redemption_id').where('redemption_id', 'is not', null).doNothing()).returning('id').executeTakeFirst();
        if (!inserted) {
          const winner = await t.selectFrom('discount_application').select('id').where('redemption_id', '=', input.redemptionId).executeTakeFirstOrThrow();
          return { kind: 'duplicate', applicationId: winner.id };
        }
        await t.insertInto('discount_outbox')
          .values(decision.events.map((e) => ({ id: e.id, topic: e.topic, key: e.key, payload: JSON.stringify(e.payload) })))
          .execute();
        return { kind: 'recorded', application: decision.application };
      };
      return trx ? run(trx) : db.transaction().execute(run);
    },
  };
}

export type Discounts = ReturnType<typeof createDiscounts>;
