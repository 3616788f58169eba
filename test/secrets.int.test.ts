/**
 * Issue 17, item 5: secrets never leak. Poller, odoo-sink, discounts and the deals API run as real processes with
 * recognisable secret values; errors are driven (wrong credentials against the sandbox, a database
 * that does not exist, bad tokens, a bad configuration) and no log line and no HTTP reply may
 * contain a secret. The helper (test/support/secrets.ts) is for every service.
 */
import { randomUUID } from 'node:crypto';
import { mintToken } from '../services/discounts/auth';
import { DEV_JWT_ISSUER, DEFAULT_JWT_AUDIENCE } from '../services/discounts/config';
import { givenDeal } from './support/odoo-fixtures';
import { dealPublisher, givenAzLocation, startSandboxOdoo } from './support/odoo-sink';
import { seedLocations } from './support/poller';
import { Sandbox, pollerEnvFrom } from '../services/sandbox/sandbox';
import { tamperSignature } from './support/auth';
import { givenEmployee } from './support/discounts';
import { createTestWorld, type TestWorld } from './support/integration';
import { freePort } from './support/private-servers';
import { canary, leaks, runWatched, withPassword, type WatchedProcess } from './support/secrets';

jest.setTimeout(180_000);

/** Every endpoint of an ops server, replies recorded. */
async function probeOps(run: WatchedProcess, port: number): Promise<void> {
  for (const path of ['/health', '/metrics', '/nowhere']) await run.fetch(`http://127.0.0.1:${port}${path}`);
}

describe('secrets never appear in logs or replies', () => {
  let world: TestWorld;
  const dbPassword = canary('pg');
  let runs: WatchedProcess[] = [];
  const watch = (r: WatchedProcess) => { runs.push(r); return r; };

  beforeAll(async () => { world = await createTestWorld('secrets'); });
  afterEach(async () => { await Promise.all(runs.map((r) => r.stop())); runs = []; });
  afterAll(async () => { await world.close(); });

  const base = (over: NodeJS.ProcessEnv = {}): NodeJS.ProcessEnv => ({ ...world.env, LOG_LEVEL: 'debug', DATABASE_URL: withPassword(world.env.DATABASE_URL!, dbPassword), ...over });

  it('poller: wrong POS keys, Backoffice password and Odoo key against the sandbox', async () => {
    const sandbox = new Sandbox({ markets: ['AZ'], lspsPerMarket: 2, storesPerLsp: 2, dealsPerLsp: 3, ptlDealsPerMarket: 1, includeFixture: false });
    const running = await sandbox.start();
    try {
      await seedLocations(world.db, sandbox.state.locations());
      const dir = sandbox.directory();
      const wrong = {
        posKeys: Object.fromEntries(Object.keys(dir.posKeys).map((lsp) => [lsp, canary(`pos-${lsp}`)])),
        backoffice: { username: dir.backoffice.username, password: canary('backoffice') },
        odoo: { ...dir.odoo, apiKey: canary('odoo') },
      };
      const secrets = [dbPassword, wrong.backoffice.password, wrong.odoo.apiKey, ...Object.values(wrong.posKeys)];
      const port = await freePort();
      const run = watch(runWatched('poller', base({ ...pollerEnvFrom(wrong, running.urls), METRICS_PORT: String(port), POLL_INTERVAL_MS: '1000', FETCH_RETRIES: '1', RETRY_BASE_MS: '10' })));
      await run.waitForLine(/poll cycle done/);
      expect(run.output()).toMatch(/"failures":\[\{/); // the wrong credentials were tried and refused
      await probeOps(run, port);
      await run.stop();
      expect(leaks(run, secrets)).toEqual([]);
    } finally {
      await running.close();
    }
  });

  it('odoo-sink: a wrong Odoo API key while deals arrive, and a database password', async () => {
    const odoo = await startSandboxOdoo();
    try {
      await givenAzLocation(world.db);
      const apiKey = canary('odoo');
      const port = await freePort();
      const run = watch(runWatched('odoo-sink', base({ ...odoo.env, ODOO_API_KEY: apiKey, METRICS_PORT: String(port), SINK_RETRY_BASE_MS: '50', SINK_RETRY_CAP_MS: '200' })));
      await run.waitForLine(/odoo-sink started/);
      const publisher = await dealPublisher(world.kafka, world.serde, world.topicPrefix);
      await publisher.publish([givenDeal({ discountId: '7001' })]);
      await publisher.close();
      await run.waitForLine(/"level":(40|50)/); // the refused key is reported
      await probeOps(run, port);
      await run.stop();
      expect(leaks(run, [apiKey, dbPassword])).toEqual([]);
    } finally {
      await odoo.close();
    }
  });

  it('discounts: the development secret, bad tokens, requests that reach the database', async () => {
    const secret = canary('jwt-secret');
    const port = await freePort();
    const run = watch(runWatched('discounts', base({ DISCOUNTS_AUTH_MODE: 'development', DISCOUNTS_JWT_SECRET: secret, DISCOUNTS_PORT: String(port) })));
    await run.waitForLine(/discounts service started/);
    expect(run.output()).toMatch(/"level":40.*DEVELOPMENT AUTH MODE/); // the loud start-up warning
    const biz = randomUUID();
    const manager = await givenEmployee(world.db, biz, 'manager', { approve: true });
    const token = await mintToken({ alg: 'HS256', secret }, { subject: `sub-${manager}`, businesses: [biz] }, { issuer: DEV_JWT_ISSUER, audience: DEFAULT_JWT_AUDIENCE });
    const clientSecret = canary('client-token');
    const url = `http://127.0.0.1:${port}`;
    const post = (path: string, auth: string, body: unknown) => run.fetch(`${url}${path}`, { method: 'POST', headers: { authorization: auth, 'content-type': 'application/json' }, body: JSON.stringify(body) });
    expect((await run.fetch(`${url}/discounts/rules?businessId=${biz}`, { headers: { authorization: `Bearer ${clientSecret}` } })).status).toBe(401);
    expect((await run.fetch(`${url}/discounts/rules?businessId=${biz}`, { headers: { authorization: `Bearer ${tamperSignature(token)}` } })).status).toBe(401);
    expect((await post(`/discounts/rules?businessId=${biz}`, `Bearer ${token}`, { name: 'x', scope: 'line', type: 'manual', method: 'amount', value: '1' })).status).toBe(201);
    expect((await post(`/discounts/approvals?businessId=${biz}`, `Bearer ${token}`, { entityType: 'sale', entityId: randomUUID(), discount: { kind: 'manual', type: 'comp', method: 'amount', value: '1' }, maxAmount: '1' })).status).toBe(201);
    expect((await post(`/discounts/applications/line?businessId=${biz}`, `Bearer ${token}`, { password: secret })).status).toBe(400);
    await probeOps(run, port);
    await run.stop();
    expect(leaks(run, [secret, dbPassword, clientSecret])).toEqual([]);
  });

  it('discounts: a database that does not exist (an outage) and a configuration it refuses', async () => {
    const secret = canary('jwt-secret');
    const port = await freePort();
    const gone = withPassword(world.env.DATABASE_URL!.replace(/\/[^/?]+(\?|$)/, `/missing_${Date.now()}$1`), dbPassword);
    const run = watch(runWatched('discounts', base({ DISCOUNTS_AUTH_MODE: 'development', DISCOUNTS_JWT_SECRET: secret, DISCOUNTS_PORT: String(port), DATABASE_URL: gone })));
    await run.waitForLine(/discounts service started/);
    const biz = randomUUID();
    const token = await mintToken({ alg: 'HS256', secret }, { subject: 'someone', businesses: [biz] }, { issuer: DEV_JWT_ISSUER, audience: DEFAULT_JWT_AUDIENCE });
    expect((await run.fetch(`http://127.0.0.1:${port}/health`)).status).toBe(503);
    expect((await run.fetch(`http://127.0.0.1:${port}/discounts/rules?businessId=${biz}`, { headers: { authorization: `Bearer ${token}` } })).status).toBe(500);
    await run.waitForLine(/does not exist/); // the relay reports the outage
    await run.stop();

    // real keys configured, with a shared secret beside them: refused at start-up, naming the variable only
    const refused = watch(runWatched('discounts', base({ DISCOUNTS_JWKS_URL: 'http://127.0.0.1:9/jwks', DISCOUNTS_JWT_ISSUER: 'https://idp/', DISCOUNTS_JWT_SECRET: secret })));
    expect(await refused.exited).toBe(1);
    expect(refused.output()).toMatch(/DISCOUNTS_JWT_SECRET: a shared secret is accepted only in development mode/);
    expect(leaks(run, [secret, dbPassword])).toEqual([]);
    expect(leaks(refused, [secret, dbPassword])).toEqual([]);
  });

  it('deals API: database and Redis passwords, a database that does not exist, Redis refusing the password, hostile requests', async () => {
    const redisPassword = canary('redis');
    const port = await freePort();
    const store = randomUUID();
    await world.db.insertInto('locations').values({ id: store, name: 'Mint', state: 'AZ', time_zone: 'America/Phoenix', lsp_id: 1, pos_loc_id: 1, dutchie_api: 'pos', org_id: null }).execute();
    const redisUrl = new URL(world.env.REDIS_URL!);
    redisUrl.password = redisPassword; // the local Redis has no password: it refuses AUTH
    const gone = withPassword(world.env.DATABASE_URL!.replace(/\/[^/?]+(\?|$)/, `/missing_${Date.now()}$1`), dbPassword);
    const url = `http://127.0.0.1:${port}`;
    const drive = async (run: WatchedProcess) => {
      for (const path of ['/health', '/metrics', '/api/locations', `/api/locations/${store}/discounts`, `/api/locations/${store}/inventory?limit=abc`,
        `/api/locations/${randomUUID()}/discounts`, `/api/locations/${store}/sync-status`, '/api/locations/%zz/brands', `/api/locations/${store}/inventory/${redisPassword}`]) {
        await run.fetch(`${url}${path}`, { headers: { authorization: `Bearer ${redisPassword}`, cookie: `session=${dbPassword}` } });
      }
    };
    // 1: the database exists (trust auth: the password is carried, not checked), Redis refuses the password
    const first = watch(runWatched('deals-api', base({ PORT: String(port), REDIS_URL: redisUrl.toString() })));
    await first.waitForLine(/deals-api listening/);
    await drive(first);
    await first.stop();
    // 2: a database that does not exist
    const second = watch(runWatched('deals-api', base({ PORT: String(port), DATABASE_URL: gone })));
    await second.waitForLine(/deals-api listening/);
    await drive(second);
    await second.stop();
    expect(second.replies().some((r) => /^503 /.test(r))).toBe(true); // the outage: a miss that needs Postgres is a 503 (/health says degraded, 200: Redis still serves)
    expect(leaks(first, [dbPassword, redisPassword])).toEqual([]);
    expect(leaks(second, [dbPassword, redisPassword])).toEqual([]);
  });
});
