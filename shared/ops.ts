/**
 * Health and Prometheus metrics for a service: GET /health (200 when every check passes,
 * 503 otherwise) and GET /metrics. HTTP services mount `opsRouter` on their own port instead.
 */
import http from 'node:http';
import { Registry, collectDefaultMetrics } from 'prom-client';

export type HealthCheck = () => Promise<boolean>;

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

export function startOpsServer(port: number, registry: Registry, checks: Record<string, HealthCheck>): Promise<http.Server> {
  const server = http.createServer((req, res) => {
    void (async () => {
      if (req.url === '/health') {
        const result = await runChecks(checks);
        res.writeHead(result.ok ? 200 : 503, { 'content-type': 'application/json' });
        res.end(JSON.stringify({ status: result.ok ? 'ok' : 'degraded', ...result, timestamp: new Date().toISOString() }));
      } else if (req.url === '/metrics') {
        res.writeHead(200, { 'content-type': registry.contentType });
        res.end(await registry.metrics());
      } else {
        res.writeHead(404, { 'content-type': 'application/json' });
        res.end(JSON.stringify({ error: 'not_found' }));
      }
    })().catch(() => { res.writeHead(500); res.end(); });
  });
  return new Promise((resolve) => server.listen(port, '127.0.0.1', () => resolve(server)));
}
