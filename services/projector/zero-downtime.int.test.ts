/**
 * Zero-downtime replay (issue 16) over real Kafka, registry, Postgres and Redis: 50,000 deal events
 * projected live, the deals API under steady load, then (1) a replay killed half-way leaves the
 * served data byte-identical, and (2) a full replay switches in with no request of a known store
 * answered anything but 200, and an update published during it is visible after the switch.
 */
import { spawn } from 'node:child_process';
import type { AddressInfo } from 'node:net';
import path from 'node:path';
import { sql } from 'kysely';
import { dealProducer, makeDeal, waitFor } from '../../test/support/deals';
import { givenDealsApi } from '../../test/support/deals-api';
import { createTestWorld, type TestWorld } from '../../test/support/integration';
import { projectedState } from '../../test/support/snapshot';
import { createProjector, type Projector } from './projector';
import { runReplay } from './replay';
import { createSwitchLock, type SwitchLock } from './switch-lock';

const LOCATIONS = 100;
const DEALS = 500; // 100 x 500 = 50,000 events

describe('replay with zero downtime', () => {
  let world: TestWorld;
  let live: Projector;
  let lock: SwitchLock;
  let server: ReturnType<ReturnType<typeof givenDealsApi>['listen']>;
  let base: string;
  const locations = Array.from({ length: LOCATIONS }, (_, i) => `zd-${i.toString().padStart(3, '0')}`);

  beforeAll(async () => {
    world = await createTestWorld('zero-downtime');
    await world.db.insertInto('locations').values(locations.map((id, i) => ({
      id, name: `Store ${i}`, state: 'AZ', time_zone: 'America/Phoenix', lsp_id: 1, pos_loc_id: 10_000 + i, dutchie_api: 'pos' as const, org_id: null,
    }))).execute();
    const { send, producer } = await dealProducer(world);
    for (const l of locations) await send(Array.from({ length: DEALS }, (_, i) => makeDeal(l, i + 1, { version: 1_767_000_000_000 + i })));
    await producer.disconnect();
    lock = createSwitchLock(world.databaseUrl);
    live = createProjector({
      kafka: world.kafka, serde: world.serde, db: world.db, redis: world.redis, logger: world.logger,
      topicPrefix: world.topicPrefix, redisPrefix: world.redisPrefix, groupId: 'projector', switchLock: lock,
    });
    await live.start();
    await waitFor(async () => {
      const r = await sql<{ n: string }>`select count(*)::text as n from location_sync`.execute(world.db);
      const rows = await sql<{ n: string }>`select count(*)::text as n from discounts`.execute(world.db);
      return r.rows[0]!.n === String(LOCATIONS) && rows.rows[0]!.n === String(LOCATIONS * DEALS) ? true : undefined;
    }, 240_000, 'the live projection of 50,000 events');
    server = givenDealsApi(world).listen(0, '127.0.0.1');
    await new Promise((r) => server.once('listening', r));
    base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  }, 300_000);

  afterAll(async () => {
    server?.close();
    await live?.stop();
    await lock?.close();
    await world.close();
  }, 60_000);

  /** Every store's /discounts body (what the storefront is served). */
  const served = async (): Promise<string[]> => Promise.all(locations.map(async (l) => (await fetch(`${base}/api/locations/${l}/discounts`)).text()));

  /** Steady load: `workers` loops of GET /discounts of known stores until stopped; every status counted. */
  function load(workers = 4) {
    const statuses = new Map<number, number>();
    let running = true;
    let n = 0;
    const loops = Array.from({ length: workers }, async () => {
      while (running) {
        const res = await fetch(`${base}/api/locations/${locations[n++ % LOCATIONS]}/discounts`).catch(() => null);
        const status = res?.status ?? 0;
        await res?.arrayBuffer();
        statuses.set(status, (statuses.get(status) ?? 0) + 1);
      }
    });
    return { statuses, stop: async () => { running = false; await Promise.all(loops); } };
  }

  it('a replay killed half-way leaves the served data byte-identical', async () => {
    const before = { bodies: await served(), state: await projectedState(world) };
    const child = spawn(path.resolve(__dirname, '../../node_modules/.bin/tsx'), [path.resolve(__dirname, '../../scripts/replay.ts')], {
      env: { ...process.env, ...world.env }, stdio: ['ignore', 'ignore', 'pipe'], detached: false,
    });
    try {
      // half-way: the shadow holds half of the deals
      await waitFor(async () => {
        const schema = await sql<{ nspname: string }>`select nspname from pg_namespace where nspname like 'rebuild_%'`.execute(world.db);
        const name = schema.rows[0]?.nspname;
        if (name === undefined) return undefined;
        const n = await sql<{ n: string }>`select count(*)::text as n from ${sql.id(name, 'discounts')}`.execute(world.db).catch(() => null);
        return n && Number(n.rows[0]!.n) >= (LOCATIONS * DEALS) / 2 ? true : undefined;
      }, 180_000, 'the replay to be half-way');
    } finally {
      child.kill('SIGKILL');
      await new Promise((r) => child.once('exit', r));
    }
    expect(await served()).toEqual(before.bodies); // byte-identical
    expect(await projectedState(world)).toEqual(before.state);
  }, 240_000);

  it('a full replay under load: only 200s, and an update published meanwhile is visible after the switch', async () => {
    const traffic = load(4);
    const { send, producer } = await dealProducer(world);
    let report;
    try {
      report = await runReplay({
        kafka: world.kafka, serde: world.serde, databaseUrl: world.databaseUrl, redis: world.redis, logger: world.logger,
        topicPrefix: world.topicPrefix, redisPrefix: world.redisPrefix, quietMs: 5000,
        // past the end offsets the rebuild took: the live projector applies it now, the switch must not lose it
        onPhase: async (phase) => { if (phase === 'reading') await send([makeDeal(locations[7]!, 3, { name: 'changed during the replay', version: 1_800_000_000_000 })]); },
      });
    } finally {
      await traffic.stop();
      await producer.disconnect();
    }
    expect(report).toMatchObject({ switched: true, liveRecords: LOCATIONS * DEALS, rebuiltRecords: LOCATIONS * DEALS });
    expect(report.events).toBeGreaterThanOrEqual(LOCATIONS * DEALS);
    expect(report.locations.filter((l) => !l.ok)).toEqual([]);
    // the dropped shadow left nothing behind, the killed one of the first test included
    expect((await sql<{ n: string }>`select count(*)::text as n from pg_namespace where nspname like 'rebuild_%'`.execute(world.db)).rows[0]!.n).toBe('0');
    const counts = Object.fromEntries(traffic.statuses);
    expect(Object.keys(counts)).toEqual(['200']);
    expect(counts[200]).toBeGreaterThan(100);
    const body = await (await fetch(`${base}/api/locations/${locations[7]}/discounts`)).text();
    expect(body).toContain('changed during the replay');
  }, 300_000);
});
