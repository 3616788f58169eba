/**
 * Resync (issue 16): the poller's memory is tied to the log it describes, so a re-created raw topic
 * gets the full state at the next cycle; `npm run poller -- --resync [--location <id>]` republishes
 * the full state on demand.
 */
import { spawn } from 'node:child_process';
import path from 'node:path';
import { ensureTopics } from '../../shared/kafka';
import { TOPICS, topicName } from '../../shared/topics';
import { createTestWorld, type TestWorld } from '../../test/support/integration';
import { countMessages, givenSandboxAndPoller, type PollerWorld } from '../../test/support/poller';

describe('poller resync', () => {
  let world: TestWorld;
  let pw: PollerWorld;
  beforeAll(async () => {
    world = await createTestWorld('resync');
    pw = await givenSandboxAndPoller(world, { includeFixture: false, markets: ['AZ'], lspsPerMarket: 1, storesPerLsp: 2, dealsPerLsp: 20, ptlDealsPerMarket: 2 });
  }, 60_000);
  afterAll(async () => { await pw.close(); await world.close(); });

  const raw = async () => {
    const [dutchie, ptl, inventory] = await Promise.all([TOPICS.rawDutchie, TOPICS.rawPtl, TOPICS.inventoryRaw].map((t) => countMessages(world.kafka, topicName(world.topicPrefix, t))));
    return { deals: dutchie! + ptl!, inventory: inventory! };
  };
  const remembered = async (location?: string) => {
    let deals = world.db.selectFrom('poller_published').select('discount_id');
    let inv = world.db.selectFrom('inventory_published').select('inventory_id');
    if (location !== undefined) { deals = deals.where('location_id', '=', location); inv = inv.where('location_id', '=', location); }
    return { deals: (await deals.execute()).length, inventory: (await inv.execute()).length };
  };

  it('publishes only changes, the full state again when the raw topics were re-created, and on demand', async () => {
    const p = await pw.poller();
    const cycle = async () => { await p.poller.runLocked(); await p.inventory.runLocked(); };
    await cycle();
    const first = await raw();
    const all = await remembered();
    expect(first).toEqual(all);
    await cycle();
    expect(await raw()).toEqual(first); // nothing changed, nothing published

    // the log is lost (topics re-created, as after a wiped cluster): the next cycle publishes everything
    const admin = world.kafka.admin();
    await admin.connect();
    const specs = [TOPICS.rawDutchie, TOPICS.rawPtl, TOPICS.inventoryRaw];
    await admin.deleteTopics({ topics: specs.map((t) => topicName(world.topicPrefix, t)) });
    await new Promise((r) => setTimeout(r, 1000));
    await ensureTopics(admin, world.topicPrefix, specs, 3);
    await admin.disconnect();
    await cycle();
    expect(await raw()).toEqual(first); // the full state, once, in the new log
    await cycle();
    expect(await raw()).toEqual(first);

    // on demand, one store, then every store (the command as an operator runs it)
    const store = pw.sandbox.directory().locations[0]!.id;
    const mine = await remembered(store);
    // asynchronously: the sandbox it reads runs in this process
    const resync = (args: string[]) => new Promise<{ status: number | null; stdout: string }>((resolve) => {
      const child = spawn(path.resolve(__dirname, '../../node_modules/.bin/tsx'), [path.resolve(__dirname, 'main.ts'), '--resync', ...args], {
        env: { ...process.env, ...world.env, ...pw.sandbox.pollerEnv(), METRICS_PORT: '0' }, stdio: ['ignore', 'pipe', 'ignore'],
      });
      let stdout = '';
      child.stdout.on('data', (d: Buffer) => { stdout += d.toString(); });
      const timer = setTimeout(() => child.kill('SIGKILL'), 90_000);
      child.once('exit', (status) => { clearTimeout(timer); resolve({ status, stdout }); });
    });
    const one = await resync(['--location', store]);
    expect(one.status).toBe(0);
    expect(JSON.parse(one.stdout.trim().split('\n').at(-1)!)).toMatchObject({ resync: store, forgotten: mine.deals + mine.inventory });
    const afterOne = await raw();
    expect(afterOne.deals - first.deals).toBe(mine.deals);
    expect(afterOne.inventory - first.inventory).toBe(mine.inventory);
    const every = await resync([]);
    expect(every.status).toBe(0);
    const afterAll = await raw();
    expect(afterAll.deals - afterOne.deals).toBe(all.deals);
    expect(afterAll.inventory - afterOne.inventory).toBe(all.inventory);
    expect((await resync(['--location', 'not_an id'])).status).toBe(2);
  }, 240_000);
});
