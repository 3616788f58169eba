import { Sandbox, type RunningSandbox } from './sandbox';
import { FIXTURE_STORE } from './stores';

// Over real sockets: what supertest cannot show (refused connections, requests never answered).
describe('sandbox over real HTTP', () => {
  let sb: Sandbox;
  let running: RunningSandbox;
  beforeAll(async () => {
    sb = new Sandbox({ markets: ['FL'], lspsPerMarket: 1, storesPerLsp: 1, dealsPerLsp: 5 });
    running = await sb.start();
  });
  afterAll(async () => { await running.close(); });

  const list = (signal?: AbortSignal) => fetch(`${running.urls.pos}/discounts/v2/list`, {
    headers: { authorization: `Basic ${Buffer.from(`${sb.state.posKeys.get(FIXTURE_STORE.lspId)!}:`).toString('base64')}` }, signal,
  });
  const rpc = () => fetch(`${running.urls.odoo}/jsonrpc`, {
    method: 'POST', headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ jsonrpc: '2.0', method: 'call', id: 1, params: { service: 'common', method: 'version', args: [] } }),
  });

  it('serves the admin API on every port', async () => {
    for (const url of Object.values(running.urls)) {
      const res = await fetch(`${url}/admin/stores`);
      expect(((await res.json()) as { locations: unknown[] }).locations).toHaveLength(2);
    }
  });

  it('POST /admin/down makes Odoo refuse connections for N seconds, then it answers again on the same port', async () => {
    expect((await rpc()).status).toBe(200);
    const down = await fetch(`${running.urls.pos}/admin/down`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ server: 'odoo', seconds: 1 }) });
    expect(down.status).toBe(200);
    await new Promise((r) => setTimeout(r, 100));
    const refused = await rpc().then(() => 'answered', (e: Error & { cause?: { code?: string } }) => e.cause?.code);
    expect(refused).toBe('ECONNREFUSED');
    await new Promise((r) => setTimeout(r, 1200));
    expect((await rpc()).status).toBe(200);
  });

  it('a timeout fault never answers (the client gives up); a 503 burst for a duration ends by itself', async () => {
    await fetch(`${running.urls.odoo}/admin/faults`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ endpoint: 'pos.list', kind: 'timeout', count: 1 }) });
    await expect(list(AbortSignal.timeout(300))).rejects.toThrow();
    expect((await list()).status).toBe(200);
    sb.faults.add({ endpoint: 'pos.list', kind: 'status', status: 503, durationMs: 300 });
    expect((await list()).status).toBe(503);
    await new Promise((r) => setTimeout(r, 350));
    expect((await list()).status).toBe(200);
  });
});
