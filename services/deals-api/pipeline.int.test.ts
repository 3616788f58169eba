/**
 * End to end: sandbox (Dutchie POS + Odoo doubles) -> poller -> normaliser -> projector (child
 * processes, real Kafka/registry/Postgres/Redis) -> deals API. A deal changed in the sandbox appears
 * changed at the API, a removed one disappears, a PTL deal appears with source = ptl.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import path from 'node:path';
import { Registry } from 'prom-client';
import request from 'supertest';
import { seedLocations } from '../../test/support/poller';
import { Sandbox, type RunningSandbox } from '../sandbox/sandbox';
import { waitFor } from '../../test/support/deals';
import { createTestWorld, type TestWorld } from '../../test/support/integration';
import { createApp } from './app';

const ROOT = path.resolve(__dirname, '..', '..');
interface ApiDiscount { id: string; discount_id: number; discount_name: string; source: string }

describe('sandbox -> poller -> normaliser -> projector -> deals API', () => {
  let world: TestWorld;
  let sandbox: Sandbox;
  let running: RunningSandbox;
  const children: ChildProcess[] = [];

  beforeAll(async () => {
    world = await createTestWorld('pipeline-e2e');
    sandbox = new Sandbox({ markets: ['AZ'], includeFixture: false, lspsPerMarket: 1, storesPerLsp: 1, dealsPerLsp: 25, ptlDealsPerMarket: 1 });
    running = await sandbox.start();
    await seedLocations(world.db, sandbox.directory().locations);
    const env = { ...process.env, ...world.env, ...sandbox.pollerEnv(), POLL_INTERVAL_MS: '1000', METRICS_PORT: '0', LOG_LEVEL: 'silent' };
    for (const name of ['poller', 'normaliser', 'projector']) {
      children.push(spawn(process.execPath, ['--import', 'tsx', `services/${name}/main.ts`], { cwd: ROOT, env, stdio: 'ignore' }));
    }
  }, 60_000);

  afterAll(async () => {
    await Promise.all(children.map((c) => new Promise<void>((resolve) => {
      if (c.exitCode !== null || c.signalCode !== null) { resolve(); return; }
      const t = setTimeout(() => c.kill('SIGKILL'), 10_000);
      c.once('exit', () => { clearTimeout(t); resolve(); });
      c.kill('SIGTERM');
    })));
    await running.close();
    await world.close();
  }, 60_000);

  it('follows changes, removals and PTL deals from the source to the storefront', async () => {
    const app = createApp({ db: world.db, redis: world.redis, redisPrefix: world.redisPrefix, logger: world.logger, metrics: new Registry(), corsOrigins: [], cacheMaxAgeS: 0, retryAfterS: 1 });
    const store = sandbox.directory().locations[0]!;
    const live = async (): Promise<ApiDiscount[] | undefined> => {
      const res = await request(app).get(`/api/locations/${store.id}/discounts`);
      return res.status === 200 ? (res.body as { data: ApiDiscount[] }).data : undefined;
    };

    // The PTL deal of the market reaches the store, marked as such.
    const first = await waitFor(async () => {
      const data = await live();
      return data && data.some((d) => d.source === 'ptl') && data.filter((d) => d.source === 'dutchie').length >= 2 ? data : undefined;
    }, 90_000, 'the first projection with a PTL deal');
    expect(first.find((d) => d.source === 'ptl')!.id).toMatch(new RegExp(`^${store.id}_ptl_\\d+$`));

    const [changed, removed] = first.filter((d) => d.source === 'dutchie');
    sandbox.state.patchDeal(store.lspId, changed!.discount_id, { onlineName: 'E2E renamed deal' });
    sandbox.state.removeDeal(store.lspId, removed!.discount_id);

    const after = await waitFor(async () => {
      const data = await live();
      return data && data.some((d) => d.discount_name === 'E2E renamed deal') && !data.some((d) => d.id === removed!.id) ? data : undefined;
    }, 60_000, 'the change and the removal at the API');
    expect(after.find((d) => d.id === changed!.id)!.discount_name).toBe('E2E renamed deal');
    expect(after.map((d) => d.id)).not.toContain(removed!.id);
  }, 180_000);
});
