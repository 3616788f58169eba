/**
 * The HTTP API (express 5). Every /discounts route needs a bearer token and a businessId the
 * token covers; everything read or used is scoped by that business. Whoever changes something
 * (a rule, an application, an approval) is the employee the token's subject is linked to, never
 * an id the request names (identity.ts). Errors go through ONE mapping (errors.ts) to
 * problem+json; bad input is a 4xx, never a 500.
 */
import Decimal from 'decimal.js';
import express, { type NextFunction, type Request, type Response } from 'express';
import type { Kysely } from 'kysely';
import { Counter, Histogram, type Registry } from 'prom-client';
import { z } from 'zod';
import type { Database, DiscountApplicationRow, DiscountRuleRow, DiscountRuleUpdate } from '../../shared/db/schema';
import type { Logger } from '../../shared/logger';
import { HEALTH_PATHS, healthReport, type HealthChecks } from '../../shared/ops';
import {
  approvalBody, businessQuery, byEmployeeQuery, byEntityQuery, cartApplicationBody, createRuleBody, createRuleQuery, lineApplicationBody,
  listRulesQuery, ruleProblem, updateRuleBody,
} from './api';
import type { Caller } from './auth';
import { DiscountsError, toProblem, type ErrorCode } from './errors';
import type { Actor } from './identity';
import { openApiDocument } from './openapi';
import type { Discounts } from './service';
import * as store from './store';

export interface AppDeps {
  db: Kysely<Database>;
  discounts: Discounts;
  verify: (authorization: string | undefined) => Promise<Caller>;
  logger: Logger;
  metrics: Registry;
  /** Readiness checks (dependencies); `liveness`: the consumers and the relay run. */
  checks: HealthChecks;
  liveness?: HealthChecks;
  /** Largest JSON body accepted, in bytes (default 256 KiB). */
  maxBodyBytes?: number;
}

/** Seconds a client is asked to wait when the identity provider's keys cannot be had. */
const AUTH_RETRY_AFTER_S = 5;

const iso = (d: Date | string | null): string | null => (d === null ? null : new Date(d).toISOString());
/** numeric(20,6) text without the padding zeros ('10.000000' -> '10'). */
const dec = (s: string): string => new Decimal(s).toFixed();
const decOrNull = (s: string | null): string | null => (s === null ? null : dec(s));

export const ruleJson = (r: DiscountRuleRow) => ({
  id: r.id, businessId: r.business_id, name: r.name, description: r.description, scope: r.scope, appliesTo: r.applies_to,
  type: r.type, method: r.method, value: dec(r.value), maxValue: decOrNull(r.max_value), requiresReason: r.requires_reason,
  requiresApproval: r.requires_approval, minRoleLevel: r.min_role_level, isActive: r.is_active,
  validFrom: iso(r.valid_from), validTo: iso(r.valid_to), createdAt: iso(r.created_at), createdBy: r.created_by,
  updatedAt: iso(r.updated_at), updatedBy: r.updated_by,
});

export const applicationJson = (a: DiscountApplicationRow) => ({
  id: a.id, businessId: a.business_id, entityType: a.entity_type, entityId: a.entity_id, lineId: a.line_id, scope: a.scope,
  type: a.type, method: a.method, value: dec(a.value), amountApplied: dec(a.amount_applied), ruleId: a.rule_id, promotionId: a.promotion_id,
  reason: a.reason, approvedBy: a.approved_by, createdBy: a.created_by, redemptionId: a.redemption_id, createdAt: iso(a.created_at),
  approvalId: a.approval_id,
});

/** Parses with zod; a failure is a 400 naming the fields (never echoing values). */
function parse<S extends z.ZodType>(schema: S, input: unknown): z.infer<S> {
  const r = schema.safeParse(input);
  if (r.success) return r.data;
  throw new DiscountsError('BAD_REQUEST', r.error.issues.map((i) => `${i.path.join('.') || '(body)'}: ${i.message}`).join('; '));
}

interface Scoped { caller: Caller; businessId: string }

function scoped(res: Response): Scoped {
  return res.locals as Scoped;
}

/** The token's subject acts; `claimed` is an employee id the request named, which must be that one. */
const actorOf = (caller: Caller, claimed: string | null | undefined): Actor => ({ kind: 'subject', subject: caller.subject, employeeId: claimed ?? null });

/** A body that is there must be JSON: anything else is a 415 with the reason, not a confusing 400. */
function requireJson(req: Request, _res: Response, next: NextFunction): void {
  const hasBody = Number(req.header('content-length') ?? 0) > 0 || req.header('transfer-encoding') !== undefined;
  if (hasBody && !req.is('application/json')) throw new DiscountsError('UNSUPPORTED_MEDIA_TYPE', 'the body must be application/json');
  next();
}

const isUuid = (s: string): boolean => z.uuid().safeParse(s).success;

export function createApp(deps: AppDeps): express.Express {
  const { db, discounts, verify, logger, metrics } = deps;
  const app = express();
  app.disable('x-powered-by');
  app.set('query parser', 'simple');

  const httpDuration = new Histogram({
    name: 'discounts_http_request_duration_seconds', help: 'HTTP request duration', labelNames: ['method', 'route', 'status'],
    buckets: [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 1], registers: [metrics],
  });
  const applied = new Counter({
    name: 'discounts_applications_total', help: 'discount applications by scope and outcome', labelNames: ['scope', 'outcome'], registers: [metrics],
  });

  app.use((req, res, next) => {
    const end = httpDuration.startTimer({ method: req.method });
    res.on('finish', () => end({ route: (req.route as { path?: string } | undefined)?.path ?? 'unmatched', status: String(res.statusCode) }));
    next();
  });

  // Ops and the contract are public; everything under /discounts is not.
  for (const path of HEALTH_PATHS) {
    app.get(path, async (_req, res) => {
      const r = await healthReport(path, deps.checks, deps.liveness);
      res.status(r.status).json(r.body);
    });
  }
  app.get('/metrics', async (_req, res) => { res.type(metrics.contentType).send(await metrics.metrics()); });
  app.get('/openapi.json', (_req, res) => { res.json(openApiDocument()); });

  const discountsRouter = express.Router();
  discountsRouter.use(async (req, res, next) => {
    const caller = await verify(req.header('authorization'));
    const { businessId } = parse(businessQuery, req.query);
    if (!caller.businesses.includes(businessId)) throw new DiscountsError('BUSINESS_NOT_PERMITTED', 'the token does not cover this business');
    Object.assign(res.locals, { caller, businessId } satisfies Scoped);
    next();
  });
  discountsRouter.use(requireJson, express.json({ limit: deps.maxBodyBytes ?? 256 * 1024, strict: true }));

  /** The employee who may change the catalog: the token's, with canApproveDiscounts (identity.ts). */
  const editor = (res: Response, claimed?: string) => {
    const { caller, businessId } = scoped(res);
    return discounts.catalogEditor(businessId, actorOf(caller, claimed));
  };

  // --- rules ---
  discountsRouter.post('/rules', async (req, res) => {
    const { businessId } = scoped(res);
    const q = parse(createRuleQuery, req.query);
    const b = parse(createRuleBody, req.body);
    const by = (await editor(res, q.createdBy)).id;
    const row = await store.insertRule(db, {
      business_id: businessId, name: b.name, description: b.description, scope: b.scope, applies_to: b.appliesTo, type: b.type,
      method: b.method, value: b.value, max_value: b.maxValue, requires_reason: b.requiresReason, requires_approval: b.requiresApproval,
      min_role_level: b.minRoleLevel, is_active: b.isActive, valid_from: b.validFrom, valid_to: b.validTo, created_by: by, updated_by: by,
    });
    res.status(201).json(ruleJson(row));
  });

  discountsRouter.get('/rules', async (req, res) => {
    const { businessId } = scoped(res);
    const q = parse(listRulesQuery, req.query);
    const { items, total } = await store.listRules(db, businessId, q);
    res.json({ items: items.map(ruleJson), total, limit: q.limit, offset: q.offset });
  });

  const ruleOr404 = async (businessId: string, id: string): Promise<DiscountRuleRow> => {
    const row = isUuid(id) ? await store.findRule(db, businessId, id) : undefined;
    if (!row) throw new DiscountsError('RULE_NOT_FOUND', `rule ${id} not found`);
    return row;
  };

  discountsRouter.get('/rules/:id', async (req, res) => {
    res.json(ruleJson(await ruleOr404(scoped(res).businessId, req.params.id)));
  });

  discountsRouter.patch('/rules/:id', async (req, res) => {
    const { businessId } = scoped(res);
    const id = req.params.id;
    const b = parse(updateRuleBody, req.body);
    const by = (await editor(res)).id;
    const existing = await ruleOr404(businessId, id);
    const merged = {
      method: b.method ?? existing.method,
      value: b.value ?? existing.value,
      maxValue: b.maxValue !== undefined ? b.maxValue : existing.max_value,
      validFrom: b.validFrom !== undefined ? b.validFrom : existing.valid_from && new Date(existing.valid_from),
      validTo: b.validTo !== undefined ? b.validTo : existing.valid_to && new Date(existing.valid_to),
    };
    const problem = ruleProblem(merged);
    if (problem) throw new DiscountsError('BAD_REQUEST', problem);
    const patch: DiscountRuleUpdate = {
      name: b.name, description: b.description, scope: b.scope, applies_to: b.appliesTo, type: b.type, method: b.method,
      value: b.value, max_value: b.maxValue, requires_reason: b.requiresReason, requires_approval: b.requiresApproval,
      min_role_level: b.minRoleLevel, is_active: b.isActive, valid_from: b.validFrom, valid_to: b.validTo, updated_by: by,
    };
    const row = await store.updateRule(db, businessId, id, patch);
    if (!row) throw new DiscountsError('RULE_NOT_FOUND', `rule ${id} not found`);
    res.json(ruleJson(row));
  });

  discountsRouter.delete('/rules/:id', async (req, res) => {
    const { businessId } = scoped(res);
    const id = req.params.id;
    const by = (await editor(res)).id;
    const outcome = isUuid(id) ? await store.deleteOrDeactivateRule(db, businessId, id, by) : 'not_found';
    if (outcome === 'not_found') throw new DiscountsError('RULE_NOT_FOUND', `rule ${id} not found`);
    res.json({ id, outcome });
  });

  // --- audit queries ---
  discountsRouter.get('/applications', async (req, res) => {
    const q = parse(byEntityQuery, req.query);
    const { items, total } = await store.applicationsByEntity(db, scoped(res).businessId, q.entityType, q.entityId, q);
    res.json({ items: items.map(applicationJson), total, limit: q.limit, offset: q.offset });
  });

  discountsRouter.get('/applications/by-employee', async (req, res) => {
    const { businessId } = scoped(res);
    const q = parse(byEmployeeQuery, req.query);
    if (!(await store.findEmployee(db, businessId, q.employeeId))) throw new DiscountsError('EMPLOYEE_NOT_FOUND', `employee ${q.employeeId} not found`);
    const { items, total } = await store.applicationsByEmployee(db, businessId, q.employeeId, q.from ?? null, q.to ?? null, q);
    res.json({ items: items.map(applicationJson), total, limit: q.limit, offset: q.offset });
  });

  // --- application engine ---
  const count = (scope: 'line' | 'cart') => (e: unknown): never => {
    applied.inc({ scope, outcome: e instanceof DiscountsError ? e.code : 'INTERNAL' });
    throw e;
  };

  discountsRouter.post('/applications/line', async (req, res) => {
    const { caller, businessId } = scoped(res);
    const { employeeId, approvedBy: _never, ...b } = parse(lineApplicationBody, req.body);
    const r = await discounts.buildLineDiscount({ ...b, businessId, actor: actorOf(caller, employeeId) }).catch(count('line'));
    applied.inc({ scope: 'line', outcome: 'applied' });
    res.status(201).json({ application: r.application, detail: r.detail });
  });

  discountsRouter.post('/applications/cart', async (req, res) => {
    const { caller, businessId } = scoped(res);
    const { employeeId, approvedBy: _never, ...b } = parse(cartApplicationBody, req.body);
    const r = await discounts.buildCartDiscount({ ...b, businessId, actor: actorOf(caller, employeeId) }).catch(count('cart'));
    applied.inc({ scope: 'cart', outcome: 'applied' });
    res.status(201).json({ application: r.application, detail: r.detail });
  });

  // --- approvals: the approver, signed in with their own token, issues a one-time code ---
  discountsRouter.post('/approvals', async (req, res) => {
    const { caller, businessId } = scoped(res);
    const b = parse(approvalBody, req.body);
    const { approval: a, code } = await discounts.issueApproval({
      ...b, businessId, actor: actorOf(caller, null), scope: b.lineId === null ? 'cart' : 'line',
    });
    res.status(201).json({
      code, id: a.id, approverId: a.approverId, entityType: a.entityType, entityId: a.entityId, lineId: a.lineId,
      discount: a.discount, maxAmount: a.maxAmount, expiresAt: a.expiresAt.toISOString(),
    });
  });

  app.use('/discounts', discountsRouter);

  app.use((_req, _res, next) => { next(new DiscountsError('NOT_FOUND', 'no such route')); });

  // ONE error mapping: known errors keep their code; body-parser errors are bad input; the rest is a 500.
  app.use((err: unknown, req: Request, res: Response, _next: NextFunction) => {
    let code: ErrorCode;
    let detail: string;
    if (err instanceof DiscountsError) {
      ({ code, message: detail } = err);
    } else if (isClientError(err)) {
      ({ code, detail } = err.type === 'entity.too.large'
        ? { code: 'BODY_TOO_LARGE' as const, detail: 'the body is too large' }
        : err.type === 'encoding.unsupported' || err.type === 'charset.unsupported'
          ? { code: 'UNSUPPORTED_MEDIA_TYPE' as const, detail: 'the body must be UTF-8 JSON' }
          : { code: 'BAD_REQUEST' as const, detail: 'the body is not valid JSON' });
    } else {
      code = 'INTERNAL';
      detail = 'internal error';
      logger.error({ err, method: req.method, path: req.path }, 'request failed');
    }
    const problem = toProblem(code, detail);
    if (problem.status === 503) res.set('retry-after', String(AUTH_RETRY_AFTER_S));
    res.status(problem.status).type('application/problem+json').send(JSON.stringify(problem));
  });
  return app;
}

function isClientError(err: unknown): err is { status: number; type?: string } {
  const status = (err as { status?: unknown } | null)?.status;
  return typeof status === 'number' && status >= 400 && status < 500;
}
