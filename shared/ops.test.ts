import fc from 'fast-check';
import { createMetricsRegistry, createOpsServer } from './ops';
import { fuzzRawHttp, fuzzRoutes, fuzzTarget, send, type FuzzTarget } from '../test/support/http-fuzz';

describe('the ops server (health and metrics of poller, normaliser, projector, odoo-sink)', () => {
  let target: FuzzTarget;
  let healthy = true;
  beforeAll(async () => { target = await fuzzTarget(createOpsServer(createMetricsRegistry('ops-test'), { dependency: async () => healthy })); });
  afterAll(async () => { await target.close(); });

  it('serves /health (200 or 503 when a check fails) and /metrics, query strings allowed', async () => {
    expect((await send(target, { method: 'GET', path: '/health?probe=1', headers: {}, body: null })).status).toBe(200);
    healthy = false;
    expect(JSON.parse((await send(target, { method: 'GET', path: '/health', headers: {}, body: null })).body)).toMatchObject({ status: 'degraded' });
    healthy = true;
    expect((await send(target, { method: 'GET', path: '/metrics', headers: {}, body: null })).body).toContain('process_cpu_user_seconds_total');
  });

  it('/health says ok, degraded (a dependency down, still alive) or down (a consumer stopped); /health/live and /health/ready apart', async () => {
    let dependency = true;
    let consumer = true;
    const t = await fuzzTarget(createOpsServer(createMetricsRegistry('ops-test-2'), { postgres: async () => dependency }, () => ({ consumer: async () => consumer })));
    const get = async (path: string): Promise<[number, string]> => { const r = await send(t, { method: 'GET', path, headers: {}, body: null }); return [r.status, (JSON.parse(r.body) as { status: string }).status]; };
    try {
      expect([await get('/health'), await get('/health/live'), await get('/health/ready')]).toEqual([[200, 'ok'], [200, 'ok'], [200, 'ok']]);
      dependency = false; // Postgres away: alive (no restart), not ready
      expect([await get('/health'), await get('/health/live'), await get('/health/ready')]).toEqual([[503, 'degraded'], [200, 'ok'], [503, 'degraded']]);
      consumer = false; // a consumer stopped for good: down, restart it
      expect([await get('/health'), await get('/health/live'), await get('/health/ready')]).toEqual([[503, 'down'], [503, 'down'], [503, 'down']]);
      dependency = true;
      expect(await get('/health')).toEqual([503, 'down']);
    } finally { await t.close(); }
  });

  it('takes no input: a body is 413, another method 405, another path 404, big headers 431, each with a reason', async () => {
    const answer = (method: string, path: string, headers: Record<string, string> = {}, body: string | null = null) => send(target, { method, path, headers, body });
    const r413 = await answer('GET', '/health', { 'content-type': 'application/json' }, '{"a":1}');
    expect([r413.status, JSON.parse(r413.body).detail]).toEqual([413, 'this server takes no request body']);
    expect((await answer('POST', '/health')).status).toBe(405);
    expect(JSON.parse((await answer('GET', '/admin')).body).error).toBe('not_found');
    const r431 = await answer('GET', '/health', { 'x-big': 'a'.repeat(10_000) });
    expect([r431.status, JSON.parse(r431.body).detail]).toEqual([431, 'the request headers are too large']);
  });

  it('hostile requests at every route: never a 5xx, always a reason, still alive', async () => {
    await fuzzRoutes(target, [
      { method: 'GET', path: '/health' },
      { method: 'GET', path: '/metrics' },
      { method: 'GET', path: '/:anything' },
    ], { runs: 150, authorization: fc.constantFrom(undefined, 'Bearer x'), alive: '/health' });
    await fuzzRawHttp(target, { runs: 30 });
  });
});
