/**
 * `npm run bench:replay`: the zero-downtime replay (services/projector/rebuild.ts) of
 * BENCH_REPLAY_EVENTS (50,000) deal events, 500 per store, while the deals API (child process) is
 * under steady load, and the same load without a replay, in the same run:
 *   - replay throughput: events/s from the start to the switch (shadow build, verification, switch);
 *   - the API's p99 (GET /api/locations/:id/discounts over every store) during the replay vs without.
 * The live projector runs as a child process (it holds the switch lock per batch, as in production).
 * Targets: no request other than 200 during the replay; its p99 <= 50 ms.
 */
import net from 'node:net';
import autocannon from 'autocannon';
import { sql } from 'kysely';
import { runReplay } from '../services/projector/replay';
import { dealProducer, makeDeal } from '../test/support/deals';
import { benchWorld, log, result, sleep, startService, type Service } from './support';

const EVENTS = Number(process.env.BENCH_REPLAY_EVENTS ?? 50_000);
const PER_STORE = 500;
const STORES = Math.max(1, Math.round(EVENTS / PER_STORE));
const DURATION_S = Number(process.env.BENCH_DURATION_S ?? 10);
const CONNECTIONS = Number(process.env.BENCH_CONNECTIONS ?? 10);
const say = (m: string) => log('replay', m);

const freePort = () => new Promise<number>((resolve) => {
  const s = net.createServer().listen(0, '127.0.0.1', () => { const a = s.address() as net.AddressInfo; s.close(() => resolve(a.port)); });
});

/** Load over every store's /discounts until stopped (or `durationS`); resolves with autocannon's result. */
function load(base: string, stores: string[], durationS: number): { done: Promise<autocannon.Result>; stop(): void } {
  let instance: autocannon.Instance | undefined;
  const done = new Promise<autocannon.Result>((resolve, reject) => {
    instance = autocannon({
      url: base, connections: CONNECTIONS, duration: durationS, headers: { accept: 'application/json' },
      requests: stores.map((s) => ({ method: 'GET', path: `/api/locations/${s}/discounts` })),
    }, (err: unknown, res) => (err ? reject(err instanceof Error ? err : new Error('autocannon failed')) : resolve(res)));
  });
  return { done, stop: () => instance?.stop() };
}

async function main(): Promise<void> {
  const world = await benchWorld('replay');
  let projector: Service | undefined;
  let api: Service | undefined;
  try {
    const stores = Array.from({ length: STORES }, (_, i) => `bench-${i.toString().padStart(4, '0')}`);
    await world.db.insertInto('locations').values(stores.map((id, i) => ({
      id, name: `Bench ${i}`, state: 'AZ', time_zone: 'America/Phoenix', lsp_id: 1, pos_loc_id: 20_000 + i, dutchie_api: 'pos' as const, org_id: null,
    }))).execute();
    say(`publishing ${STORES * PER_STORE} deal events (${STORES} stores x ${PER_STORE})...`);
    const { send, producer } = await dealProducer(world);
    for (const s of stores) await send(Array.from({ length: PER_STORE }, (_, i) => makeDeal(s, i + 1, { version: 1_767_000_000_000 + i })));
    await producer.disconnect();

    projector = startService('projector', world.env);
    const live = async () => Number((await sql<{ n: string }>`select count(*)::text as n from location_sync`.execute(world.db)).rows[0]!.n);
    while ((await live()) < STORES) await sleep(500);
    say('live projection done');
    const port = await freePort();
    // all of the bench's load comes from one address: the per-address rate limit (issue 17) would answer 429
    api = startService('deals-api', { ...world.env, PORT: String(port), RATE_LIMIT_PER_MIN: '100000000' });
    const base = `http://127.0.0.1:${port}`;
    for (let i = 0; i < 200; i++) { if ((await fetch(`${base}/health`).catch(() => null))?.ok) break; await sleep(100); }

    say(`API load without a replay (${DURATION_S} s)...`);
    const without = await load(base, stores, DURATION_S).done;
    say('API load during a replay...');
    const during = load(base, stores, 3600);
    const report = await runReplay({
      kafka: world.kafka, serde: world.serde, databaseUrl: world.databaseUrl, redis: world.redis, logger: world.logger,
      topicPrefix: world.topicPrefix, redisPrefix: world.redisPrefix, quietMs: 5000,
    });
    during.stop();
    const withReplay = await during.done;
    say(`replay: ${report.events} events in ${report.seconds.toFixed(1)} s, switched ${report.switched}`);
    const non200 = (r: autocannon.Result) => r.non2xx + r.errors + r.timeouts;
    const p99During = withReplay.latency.p99;
    result('replay', {
      metrics: {
        replay_events: report.events, replay_seconds: +report.seconds.toFixed(2), replay_events_per_s: report.eventsPerSecond,
        api_p99_ms_during: p99During, api_p50_ms_during: withReplay.latency.p50, api_requests_per_s_during: Math.round(withReplay.requests.average),
        api_non_200_during: non200(withReplay), switched: report.switched ? 1 : 0,
      },
      baseline: {
        api_p99_ms: without.latency.p99, api_p50_ms: without.latency.p50, api_requests_per_s: Math.round(without.requests.average), api_non_200: non200(without),
        what: 'the same API load, same run, without a replay',
      },
      ratio: without.latency.p99 > 0 ? +(p99During / without.latency.p99).toFixed(2) : 0,
      target: { api_p99_ms_during: 50, api_non_200_during: 0 },
      met: report.switched && non200(withReplay) === 0 && p99During <= 50,
    });
  } finally {
    await api?.stop();
    await projector?.stop();
    await world.close();
  }
}

main().then(() => process.exit(0), (e: unknown) => { console.error(e); process.exit(1); });
