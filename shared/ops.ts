/**
 * Health and Prometheus metrics for a service: GET /health, /health/live, /health/ready and /metrics.
 * HTTP services mount the same answers on their own port (healthReport).
 *
 * Two kinds of check: LIVENESS (the process and its consumers run: a failing one means restart me)
 * and READINESS (dependencies reachable, work can be done). `/health/live` is 200 while every liveness
 * check passes; `/health/ready` is 200 while every check passes; `/health` says `ok` (all pass, 200),
 * `degraded` (alive, some dependency down: serving or waiting, 503) or `down` (a liveness check
 * fails, 503), with every check by name.
 *
 * The ops server takes no input but the request line and headers, and bounds those: headers at
 * 8 KiB (Node answers 431 past that), a request body is refused unread (413), methods other than
 * GET and HEAD get 405, and every answer to bad input is a 4xx with a reason.
 */
import type http from 'node:http';
import { Registry, collectDefaultMetrics } from 'prom-client';
import { createHttpServer } from './http-server';

export type HealthCheck = () => Promise<boolean>;
/** Named checks, or a function giving them when asked (consumers watched after the server started). */
export type HealthChecks = Record<string, HealthCheck> | (() => Record<string, HealthCheck>);

const checksOf = (c: HealthChecks): Record<string, HealthCheck> => (typeof c === 'function' ? c() : c);

/** Largest request head the ops server reads: it needs a request line and a few headers. */
export const OPS_MAX_HEADER_BYTES = 8 * 1024;

export function createMetricsRegistry(service: string): Registry {
  const registry = new Registry();
  registry.setDefaultLabels({ service });
  collectDefaultMetrics({ register: registry });
  return registry;
}

export async function runChecks(checks: Record<string, HealthCheck>): Promise<{ ok: boolean; checks: Record<string, boolean> }> {
  const results = await Promise.all(Object.entries(checks).map(async ([name, check]) => [name, await check().catch(() => false)] as const));
  return { ok: results.every(([, ok]) => ok), checks: Object.fromEntries(results) };
}

export const HEALTH_STATUSES = ['ok', 'degraded', 'down'] as const;
export type HealthStatus = (typeof HEALTH_STATUSES)[number];
export const HEALTH_PATHS = ['/health', '/health/live', '/health/ready'] as const;
export type HealthPath = (typeof HEALTH_PATHS)[number];

/** The answer to one of the health paths: `ready` are readiness checks, `live` liveness checks. */
export async function healthReport(path: HealthPath, ready: HealthChecks, live: HealthChecks = {}): Promise<{ status: number; body: Record<string, unknown> }> {
  const [l, r] = await Promise.all([runChecks(checksOf(live)), path === '/health/live' ? Promise.resolve({ ok: true, checks: {} }) : runChecks(checksOf(ready))]);
  const status: HealthStatus = !l.ok ? 'down' : r.ok ? 'ok' : 'degraded';
  const timestamp = new Date().toISOString();
  if (path === '/health/live') return { status: l.ok ? 200 : 503, body: { status: l.ok ? 'ok' : 'down', live: l.ok, checks: l.checks, timestamp } };
  const ok = l.ok && r.ok;
  const body = { status, ok, live: l.ok, ready: ok, checks: { ...r.checks, ...l.checks }, timestamp };
  return { status: ok ? 200 : 503, body };
}

type Reply = { status: number; type: string; body: string; headers?: Record<string, string> };

const json = (status: number, value: unknown, headers?: Record<string, string>): Reply =>
  ({ status, type: 'application/json', body: JSON.stringify(value), headers });

/** What the ops server answers a request (pure but for the checks and the registry it reads). */
async function answer(req: http.IncomingMessage, registry: Registry, checks: HealthChecks, live: HealthChecks): Promise<Reply> {
  if (req.method !== 'GET' && req.method !== 'HEAD') return json(405, { error: 'method_not_allowed', detail: 'only GET and HEAD are served here' }, { allow: 'GET, HEAD' });
  if (Number(req.headers['content-length'] ?? 0) > 0 || req.headers['transfer-encoding'] !== undefined) {
    return json(413, { error: 'body_not_accepted', detail: 'this server takes no request body' }, { connection: 'close' });
  }
  let path: string;
  try {
    path = new URL(req.url ?? '/', 'http://ops.invalid').pathname;
  } catch {
    return json(400, { error: 'bad_request', detail: 'the request target is not a valid path' });
  }
  if ((HEALTH_PATHS as readonly string[]).includes(path)) {
    const r = await healthReport(path as HealthPath, checks, live);
    return json(r.status, r.body);
  }
  if (path === '/metrics') {
    try {
      return { status: 200, type: registry.contentType, body: await registry.metrics() };
    } catch {
      // a gauge whose source is down: the metrics are unavailable, the request was fine
      return json(503, { error: 'metrics_unavailable', detail: 'a metric could not be collected' });
    }
  }
  return json(404, { error: 'not_found', detail: 'only /health, /health/live, /health/ready and /metrics are served here' });
}

/** The ops server, not yet listening (tests listen on a port of their own). `checks`: readiness; `live`: liveness. */
export function createOpsServer(registry: Registry, checks: HealthChecks, live: HealthChecks = {}): http.Server {
  return createHttpServer((req, res) => {
    void answer(req, registry, checks, live).catch((): Reply => json(500, { error: 'internal', detail: 'internal error' })).then((r) => {
      res.writeHead(r.status, { 'content-type': r.type, ...r.headers });
      res.end(req.method === 'HEAD' ? undefined : r.body);
    });
  }, { maxHeaderBytes: OPS_MAX_HEADER_BYTES, requestTimeoutMs: 10_000 });
}

export function startOpsServer(port: number, registry: Registry, checks: HealthChecks, live: HealthChecks = {}): Promise<http.Server> {
  const server = createOpsServer(registry, checks, live);
  return new Promise((resolve) => server.listen(port, '127.0.0.1', () => resolve(server)));
}
