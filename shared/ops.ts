/**
 * Health and Prometheus metrics for a service: GET /health (200 when every check passes,
 * 503 otherwise) and GET /metrics. HTTP services mount their own routes on their own port instead.
 *
 * The ops server takes no input but the request line and headers, and bounds those: headers at
 * 8 KiB (Node answers 431 past that), a request body is refused unread (413), methods other than
 * GET and HEAD get 405, and every answer to bad input is a 4xx with a reason.
 */
import type http from 'node:http';
import { Registry, collectDefaultMetrics } from 'prom-client';
import { createHttpServer } from './http-server';

export type HealthCheck = () => Promise<boolean>;

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

type Reply = { status: number; type: string; body: string; headers?: Record<string, string> };

const json = (status: number, value: unknown, headers?: Record<string, string>): Reply =>
  ({ status, type: 'application/json', body: JSON.stringify(value), headers });

/** What the ops server answers a request (pure but for the checks and the registry it reads). */
async function answer(req: http.IncomingMessage, registry: Registry, checks: Record<string, HealthCheck>): Promise<Reply> {
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
  if (path === '/health') {
    const result = await runChecks(checks);
    return json(result.ok ? 200 : 503, { status: result.ok ? 'ok' : 'degraded', ...result, timestamp: new Date().toISOString() });
  }
  if (path === '/metrics') {
    try {
      return { status: 200, type: registry.contentType, body: await registry.metrics() };
    } catch {
      // a gauge whose source is down: the metrics are unavailable, the request was fine
      return json(503, { error: 'metrics_unavailable', detail: 'a metric could not be collected' });
    }
  }
  return json(404, { error: 'not_found', detail: 'only /health and /metrics are served here' });
}

/** The ops server, not yet listening (tests listen on a port of their own). */
export function createOpsServer(registry: Registry, checks: Record<string, HealthCheck>): http.Server {
  return createHttpServer((req, res) => {
    void answer(req, registry, checks).catch((): Reply => json(500, { error: 'internal', detail: 'internal error' })).then((r) => {
      res.writeHead(r.status, { 'content-type': r.type, ...r.headers });
      res.end(req.method === 'HEAD' ? undefined : r.body);
    });
  }, { maxHeaderBytes: OPS_MAX_HEADER_BYTES, requestTimeoutMs: 10_000 });
}

export function startOpsServer(port: number, registry: Registry, checks: Record<string, HealthCheck>): Promise<http.Server> {
  const server = createOpsServer(registry, checks);
  return new Promise((resolve) => server.listen(port, '127.0.0.1', () => resolve(server)));
}
