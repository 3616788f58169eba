/**
 * `npm run bench:odoo-sink`: 10,000 deals pushed through the sink into the sandbox Odoo, twice —
 * first as new deals (creates), then each one changed (writes) — and the same for a baseline in the
 * same run: the sink with one record per call and no concurrency (the old row-by-row sync).
 * Reports deals/s and Odoo calls per deal. Ends with one JSON line.
 *
 * BENCH_DEALS (default 10000), BENCH_BASELINE_DEALS (default 2000: the baseline is slow by design),
 * BENCH_STORES (default 10), BENCH_ODOO_LATENCY_MS (default 0: added to every JSON-RPC call through the
 * sandbox's latency fault, to model a real Odoo's round trip; the in-process sandbox answers in ~1-5 ms).
 */
import { LOCAL_STACK } from '../shared/config';
import { givenDeal } from '../test/support/odoo-fixtures';
import { parseOdooSinkConfig } from '../services/odoo-sink/config';
import { startOdooSink } from '../services/odoo-sink/main';
import {
  caughtUp, dealPublisher, eventually, givenAzLocation, givenMoreStores, startSandboxOdoo,
} from '../test/support/odoo-sink';
import { AZ_LOCATION } from '../test/support/odoo-fixtures';
import * as stack from '../stack/stack';
import { createTestWorld } from '../test/support/integration';

const DEALS = Number(process.env.BENCH_DEALS ?? 10_000);
const BASELINE_DEALS = Number(process.env.BENCH_BASELINE_DEALS ?? 2_000);
const STORES = Number(process.env.BENCH_STORES ?? 10);
const LATENCY_MS = Number(process.env.BENCH_ODOO_LATENCY_MS ?? 0);

interface Phase { deals: number; seconds: number; deals_per_s: number; odoo_calls: number; odoo_calls_per_deal: number }
interface Run { create: Phase; update: Phase; deals_per_s: number; odoo_calls_per_deal: number }

const log = (msg: string) => console.error(`[bench:odoo-sink] ${msg}`);

async function run(label: string, n: number, env: NodeJS.ProcessEnv): Promise<Run> {
  const world = await createTestWorld(`bench-odoo-${label}`);
  const odoo = await startSandboxOdoo();
  if (LATENCY_MS > 0) odoo.faults.add({ endpoint: 'odoo.jsonrpc', kind: 'latency', latencyMs: LATENCY_MS });
  await givenAzLocation(world.db);
  const locations = [AZ_LOCATION, ...await givenMoreStores(world.db, odoo, STORES - 1)];
  const publisher = await dealPublisher(world.kafka, world.serde, world.topicPrefix, Math.max(3, Math.min(STORES, 6)));
  const sink = await startOdooSink(parseOdooSinkConfig({ ...world.env, ...odoo.env, LOG_LEVEL: 'warn', ...env }), { withOps: false });
  const group = `${world.topicPrefix}odoo-sink`;
  try {
    // Warm-up: the consumer joins its group and authenticates before the clock starts.
    await publisher.publish([givenDeal({ discountId: 'warmup' })]);
    await eventually(() => odoo.dutchieRecords().length === 1, 60_000, 'warm-up');
    await eventually(() => caughtUp(world.kafka, group, publisher.topic), 60_000, 'warm-up commit');

    const deals = Array.from({ length: n }, (_, i) => givenDeal({
      locationId: locations[i % locations.length]!, discountId: String(100_000 + i), name: `Deal ${i}`, value: String((10 + (i % 50)) / 100),
    }));
    const phase = async (name: string, batch: typeof deals, done: () => boolean): Promise<Phase> => {
      odoo.store.resetCalls();
      const t0 = performance.now();
      const ticker = setInterval(() => log(`${label} ${name}: ${odoo.calls()['mint.discount.search_read'] ?? 0} searches, ${odoo.calls()['mint.discount.create'] ?? 0} creates, ${odoo.calls()['mint.discount.write'] ?? 0} writes so far`), 5_000);
      try {
        await publisher.publish(batch);
        // The sink commits only what Odoo accepted: "caught up" is the end of the phase. (Scanning
        // the sandbox's records while timing would load the same event loop the sink runs on.)
        await eventually(() => caughtUp(world.kafka, group, publisher.topic), 30 * 60_000, `${label} ${name}`);
      } finally {
        clearInterval(ticker);
      }
      const seconds = (performance.now() - t0) / 1000;
      if (!done()) throw new Error(`${label} ${name}: caught up but Odoo does not hold every deal`);
      const calls = Object.entries(odoo.calls()).filter(([k]) => k.includes('.')).reduce((s, [, v]) => s + v, 0);
      const p = { deals: batch.length, seconds: +seconds.toFixed(2), deals_per_s: +(batch.length / seconds).toFixed(1), odoo_calls: calls, odoo_calls_per_deal: +(calls / batch.length).toFixed(4) };
      log(`${label} ${name}: ${JSON.stringify(p)}`);
      return p;
    };
    const create = await phase('create', deals, () => odoo.dutchieRecords().length === n + 1);
    // Every deal changed, each differently (its name), so no two writes can share a call.
    const changed = deals.map((d, i) => ({ ...d, name: `Deal ${i} (changed)`, version: d.version + 1 }));
    const update = await phase('update', changed, () => odoo.dutchieRecords().filter((r) => String(r.name).endsWith('(changed)')).length === n);
    const total = create.seconds + update.seconds;
    return { create, update, deals_per_s: +((2 * n) / total).toFixed(1), odoo_calls_per_deal: +((create.odoo_calls + update.odoo_calls) / (2 * n)).toFixed(4) };
  } finally {
    await sink.stop();
    await publisher.close();
    await odoo.close();
    await world.close();
  }
}

async function main(): Promise<void> {
  for (const [k, v] of Object.entries(LOCAL_STACK)) process.env[k] ??= v;
  await stack.up();
  log(`batched: ${DEALS} deals over ${STORES} stores (≤ 50 records a call, 4 calls in flight)`);
  const batched = await run('batched', DEALS, { ODOO_BATCH_SIZE: '50', ODOO_CONCURRENCY: '4' });
  log(`baseline: ${BASELINE_DEALS} deals, one record per call, one call at a time`);
  const baseline = await run('baseline', BASELINE_DEALS, { ODOO_BATCH_SIZE: '1', ODOO_CONCURRENCY: '1', SINK_PARTITIONS_CONCURRENTLY: '1' });
  const ratio = +(batched.deals_per_s / baseline.deals_per_s).toFixed(2);
  const target = { create_odoo_calls_per_deal_max: 0.05, update_odoo_calls_per_deal_max: 1.05, ratio_min: 2 };
  const met = batched.create.odoo_calls_per_deal <= target.create_odoo_calls_per_deal_max
    && batched.update.odoo_calls_per_deal <= target.update_odoo_calls_per_deal_max && ratio >= target.ratio_min;
  console.log(JSON.stringify({
    bench: 'odoo-sink',
    metrics: {
      deals: DEALS, odoo_latency_ms: LATENCY_MS, deals_per_s: batched.deals_per_s, odoo_calls_per_deal: batched.odoo_calls_per_deal,
      create_deals_per_s: batched.create.deals_per_s, create_odoo_calls_per_deal: batched.create.odoo_calls_per_deal,
      update_deals_per_s: batched.update.deals_per_s, update_odoo_calls_per_deal: batched.update.odoo_calls_per_deal,
    },
    baseline: {
      deals: BASELINE_DEALS, deals_per_s: baseline.deals_per_s, odoo_calls_per_deal: baseline.odoo_calls_per_deal,
      create_deals_per_s: baseline.create.deals_per_s, update_deals_per_s: baseline.update.deals_per_s,
    },
    ratio, target, met,
  }));
}

main().then(() => process.exit(0), (e: unknown) => { console.error(e); process.exit(1); });
