/**
 * GET /openapi.json: the OpenAPI 3.1 contract, built from the same zod schemas that validate the
 * requests (so the document cannot drift from the code).
 */
import { z } from 'zod';
import {
  approvalBody, byEmployeeQuery, byEntityQuery, cartApplicationBody, createRuleBody, createRuleQuery, lineApplicationBody, listRulesQuery, updateRuleBody,
} from './api';
import { ERROR_STATUS } from './errors';

type Json = Record<string, unknown>;

const schema = (s: z.ZodType): Json => {
  const { $schema: _drop, ...rest } = z.toJSONSchema(s, { io: 'input', unrepresentable: 'any' }) as Json;
  return rest;
};

function queryParams(s: z.ZodObject): Json[] {
  const js = schema(s) as { properties?: Record<string, Json>; required?: string[] };
  return Object.entries(js.properties ?? {}).map(([name, p]) => ({ name, in: 'query', required: js.required?.includes(name) ?? false, schema: p }));
}

const problem = { $ref: '#/components/schemas/Problem' };
const errors = (...statuses: number[]): Json =>
  Object.fromEntries(statuses.map((s) => [String(s), { description: codesFor(s), content: { 'application/problem+json': { schema: problem } } }]));
const codesFor = (status: number): string => Object.entries(ERROR_STATUS).filter(([, s]) => s === status).map(([c]) => c).join(', ');
const ok = (status: number, description: string): Json => ({ [String(status)]: { description, content: { 'application/json': { schema: { type: 'object' } } } } });
const body = (s: z.ZodType): Json => ({ required: true, content: { 'application/json': { schema: schema(s) } } });
const idParam = { name: 'id', in: 'path', required: true, schema: { type: 'string', format: 'uuid' } };
const businessParam = queryParams(z.object({ businessId: z.uuid() }));

let cached: Json | undefined;

export function openApiDocument(): Json {
  cached ??= {
    openapi: '3.1.0',
    info: { title: 'dealstream discounts service', version: '1.0.0', description: 'Discount rule catalog, line/cart application engine and audit trail.' },
    security: [{ bearer: [] }],
    components: {
      securitySchemes: { bearer: { type: 'http', scheme: 'bearer', bearerFormat: 'JWT' } },
      schemas: {
        Problem: {
          type: 'object', required: ['type', 'title', 'status', 'code', 'detail'],
          properties: { type: { type: 'string' }, title: { type: 'string' }, status: { type: 'integer' }, code: { type: 'string', enum: Object.keys(ERROR_STATUS) }, detail: { type: 'string' } },
        },
      },
    },
    paths: {
      '/discounts/rules': {
        post: { summary: 'Create a discount rule', parameters: queryParams(createRuleQuery), requestBody: body(createRuleBody), responses: { ...ok(201, 'the rule'), ...errors(400, 401, 403) } },
        get: { summary: 'List rules (filter by active, scope; paginated)', parameters: queryParams(listRulesQuery), responses: { ...ok(200, '{items, total, limit, offset}'), ...errors(400, 401, 403) } },
      },
      '/discounts/rules/{id}': {
        get: { summary: 'Get a rule', parameters: [idParam, ...businessParam], responses: { ...ok(200, 'the rule'), ...errors(400, 401, 403, 404) } },
        patch: { summary: 'Update a rule', parameters: [idParam, ...businessParam], requestBody: body(updateRuleBody), responses: { ...ok(200, 'the rule'), ...errors(400, 401, 403, 404) } },
        delete: { summary: 'Delete a rule, or deactivate it when it has audit history', parameters: [idParam, ...businessParam], responses: { ...ok(200, "{id, outcome: 'deleted' | 'deactivated'}"), ...errors(400, 401, 403, 404) } },
      },
      '/discounts/applications': {
        get: { summary: 'Applications of an entity', parameters: queryParams(byEntityQuery), responses: { ...ok(200, '{items, total, limit, offset}'), ...errors(400, 401, 403) } },
      },
      '/discounts/applications/by-employee': {
        get: { summary: 'Applications by an employee in [from, to)', parameters: queryParams(byEmployeeQuery), responses: { ...ok(200, '{items, total, limit, offset}'), ...errors(400, 401, 403, 404) } },
      },
      '/discounts/applications/line': {
        post: { summary: 'buildLineDiscount: the token\'s employee applies a discount to a line', parameters: businessParam, requestBody: body(lineApplicationBody), responses: { ...ok(201, '{application, detail: LineDiscountDetail}'), ...errors(400, 401, 403, 404, 409, 413, 415, 422) } },
      },
      '/discounts/applications/cart': {
        post: { summary: 'buildCartDiscount: the token\'s employee applies a discount to the cart total', parameters: businessParam, requestBody: body(cartApplicationBody), responses: { ...ok(201, '{application, detail: CartDiscountDetail}'), ...errors(400, 401, 403, 404, 409, 413, 415, 422) } },
      },
      '/discounts/approvals': {
        post: { summary: 'The token\'s employee (canApproveDiscounts) issues a one-time approval code for one application', parameters: businessParam, requestBody: body(approvalBody), responses: { ...ok(201, '{code, id, approverId, entityType, entityId, lineId, discount, maxAmount, expiresAt}'), ...errors(400, 401, 403, 413, 415) } },
      },
      '/health': { get: { security: [], summary: 'health: ok, degraded (a dependency down) or down (a consumer stopped)', responses: { 200: { description: 'ok' }, 503: { description: 'degraded or down' } } } },
      '/health/live': { get: { security: [], summary: 'liveness: the process and its consumers run', responses: { 200: { description: 'alive' }, 503: { description: 'down: restart it' } } } },
      '/health/ready': { get: { security: [], summary: 'readiness: dependencies reachable, work can be done', responses: { 200: { description: 'ready' }, 503: { description: 'not ready' } } } },
      '/metrics': { get: { security: [], summary: 'Prometheus metrics', responses: { 200: { description: 'metrics' } } } },
    },
  };
  return cached;
}
