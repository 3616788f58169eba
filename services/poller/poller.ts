/**
 * One poll cycle: fetch every store's feeds (bounded concurrency), plan the changes (handler.ts),
 * publish them to the raw topics, then remember the published hashes. One cycle is active across
 * every poller instance: the cycle runs only while holding a Postgres advisory lock.
 */
import { sql } from 'kysely';
import type { Producer } from 'kafkajs';
import pLimit from 'p-limit';
import { Counter, Gauge, Histogram, type Registry } from 'prom-client';
import type { Kysely } from '../../shared/db/db';
import type { Database } from '../../shared/db/schema';
import type { Logger } from '../../shared/logger';
import type { AvroSerde } from '../../shared/serde';
import { TOPICS, topicName } from '../../shared/topics';
import { appliesToStore, planChanges, ptlForStore, type Api, type FetchOutcome, type PollLocation, type PtlRecordInfo, type Source, type SourceRecord } from './handler';
import type { Fetched, Sources } from './sources';

export interface PollerSettings {
  topicPrefix: string;
  concurrency: number;
  lockKey: number;
  posKeys: ReadonlyMap<number, string>;
}

export interface CycleSummary {
  locations: number;
  locationsOk: number;
  locationsFailed: number;
  upserts: number;
  removals: number;
  ptl: 'ok' | 'failed';
  durationMs: number;
  failures: Array<{ locationId: string; source: Source; reason: string }>;
}

export type CycleResult = { kind: 'done'; summary: CycleSummary } | { kind: 'skipped'; reason: 'locked' };

export function pollerMetrics(registry: Registry) {
  return {
    cycles: new Counter({ name: 'poller_cycles_total', help: 'poll cycles by result', labelNames: ['result'], registers: [registry] }),
    events: new Counter({ name: 'poller_events_published_total', help: 'raw events published', labelNames: ['source', 'op'], registers: [registry] }),
    failures: new Counter({ name: 'poller_fetch_failures_total', help: 'store feeds that could not be read (nothing published for them)', labelNames: ['source'], registers: [registry] }),
    duration: new Histogram({ name: 'poller_cycle_duration_seconds', help: 'duration of a poll cycle', buckets: [0.5, 1, 2, 5, 10, 30, 60, 120], registers: [registry] }),
    lastSuccess: new Gauge({ name: 'poller_last_cycle_timestamp_seconds', help: 'end of the last completed cycle', registers: [registry] }),
    locations: new Gauge({ name: 'poller_locations', help: 'stores in the last cycle by outcome', labelNames: ['outcome'], registers: [registry] }),
  };
}
export type PollerMetrics = ReturnType<typeof pollerMetrics>;

export interface PollerDeps {
  db: Kysely<Database>;
  producer: Producer;
  serde: AvroSerde;
  sources: Sources;
  settings: PollerSettings;
  logger: Logger;
  metrics: PollerMetrics;
  now: () => number;
}

function chunkBySize<T extends { key: string; value: Buffer }>(messages: T[], maxBytes: number): T[][] {
  const chunks: T[][] = [];
  let current: T[] = [];
  let size = 0;
  for (const m of messages) {
    const bytes = m.value.length + m.key.length + 64;
    if (current.length && size + bytes > maxBytes) { chunks.push(current); current = []; size = 0; }
    current.push(m);
    size += bytes;
  }
  if (current.length) chunks.push(current);
  return chunks;
}

export async function loadLocations(db: Kysely<Database>): Promise<PollLocation[]> {
  const rows = await db.selectFrom('locations').selectAll().orderBy('id').execute();
  return rows.map((r) => ({
    id: r.id, state: r.state, timeZone: r.time_zone, lspId: r.lsp_id, posLocId: r.pos_loc_id, api: r.dutchie_api, orgId: r.org_id, odooStoreId: r.odoo_store_id,
  }));
}

export function createPoller(deps: PollerDeps) {
  const { db, producer, serde, sources, settings, logger, metrics, now } = deps;
  const topics = { dutchie: topicName(settings.topicPrefix, TOPICS.rawDutchie), ptl: topicName(settings.topicPrefix, TOPICS.rawPtl) };

  async function previousHashes(locationId: string, source: Source): Promise<Map<string, string>> {
    const rows = await db.selectFrom('poller_published').select(['discount_id', 'content_hash']).where('location_id', '=', locationId).where('source', '=', source).execute();
    return new Map(rows.map((r) => [r.discount_id, r.content_hash]));
  }

  /** Plans, publishes and remembers the changes of one (store, source). */
  async function publish(location: PollLocation, source: Source, api: Api, fetch: FetchOutcome, fetchedAt: number): Promise<{ upserts: number; removals: number } | { failed: string }> {
    const plan = planChanges({ location, source, api, fetch, previous: await previousHashes(location.id, source), fetchedAt });
    if (plan.kind === 'skip') return { failed: plan.reason };
    if (plan.events.length === 0) return { upserts: 0, removals: 0 };
    const topic = topics[source];
    const messages = await Promise.all(plan.events.map(async (e) => ({ key: e.key, value: await serde.encode(topic, e.value) })));
    // One send per ~512 KB: a store's messages share a partition, and a record batch must stay
    // under the broker's max.message.bytes (1 MB by default).
    for (const chunk of chunkBySize(messages, 512 * 1024)) await producer.send({ topic, messages: chunk });
    // Remembered only after Kafka acknowledged: a crash in between republishes (at least once).
    await db.transaction().execute(async (trx) => {
      const upserted = plan.events.filter((e) => e.value.op === 'upsert');
      // One statement with five array parameters (unnest) instead of thousands of bound values.
      if (upserted.length) {
        await sql`insert into poller_published (location_id, discount_id, source, content_hash, fetched_at)
          select ${location.id}::uuid, d, ${source}, h, ${fetchedAt}::bigint
          from unnest(${upserted.map((e) => e.value.discountId)}::text[], ${upserted.map((e) => e.value.contentHash!)}::text[]) as t(d, h)
          on conflict (location_id, discount_id) do update set content_hash = excluded.content_hash, fetched_at = excluded.fetched_at, source = excluded.source`.execute(trx);
      }
      const removed = plan.events.filter((e) => e.value.op === 'remove').map((e) => e.value.discountId);
      if (removed.length) await trx.deleteFrom('poller_published').where('location_id', '=', location.id).where('discount_id', 'in', removed).execute();
    });
    metrics.events.inc({ source, op: 'upsert' }, plan.upserts);
    metrics.events.inc({ source, op: 'remove' }, plan.removals);
    return { upserts: plan.upserts, removals: plan.removals };
  }

  /** One cycle, without the lock (runLocked is what main and tests call). */
  async function runCycle(): Promise<CycleSummary> {
    const started = now();
    const locations = await loadLocations(db);
    const limit = pLimit(settings.concurrency);
    const failed = new Map<string, Array<{ source: Source; reason: string }>>();
    let upserts = 0;
    let removals = 0;
    const record = async (location: PollLocation, source: Source, api: Api, fetch: FetchOutcome, fetchedAt: number): Promise<void> => {
      let result: Awaited<ReturnType<typeof publish>>;
      try {
        result = await publish(location, source, api, fetch, fetchedAt);
      } catch (e) {
        result = { failed: `publish: ${e instanceof Error ? e.message : String(e)}` };
      }
      if ('failed' in result) {
        failed.set(location.id, [...(failed.get(location.id) ?? []), { source, reason: result.failed }]);
        metrics.failures.inc({ source });
        logger.warn({ locationId: location.id, source, reason: result.failed }, 'feed not read: nothing published for this store');
        return;
      }
      upserts += result.upserts;
      removals += result.removals;
    };

    // Dutchie: one fetch per LSP feed (a POS key or Backoffice org serves every store of the LSP).
    const feeds = new Map<string, PollLocation[]>();
    for (const l of locations) {
      const k = `${l.api}:${l.lspId}:${l.orgId ?? ''}`;
      feeds.set(k, [...(feeds.get(k) ?? []), l]);
    }
    const fetchFeed = (first: PollLocation): Promise<Fetched<SourceRecord>> => {
      if (first.api === 'pos') {
        const key = settings.posKeys.get(first.lspId);
        return key ? sources.fetchPos(first.lspId, key) : Promise.resolve({ kind: 'failed', reason: `no DUTCHIE_POS_API_KEY_${first.lspId}` });
      }
      return first.orgId === null ? Promise.resolve({ kind: 'failed', reason: 'backoffice store without org_id' }) : sources.fetchBackoffice(first.lspId, first.orgId);
    };
    const dutchie = [...feeds.values()].map((stores) => limit(async () => {
      const fetched = await fetchFeed(stores[0]!);
      const fetchedAt = now();
      await Promise.all(stores.map((l) => record(l, 'dutchie', l.api, fetched.kind === 'ok'
        ? { kind: 'ok', records: fetched.records.filter((r) => appliesToStore(r.record, l.api, l.posLocId)) }
        : fetched, fetchedAt)));
    }));

    // PTL: one read of Odoo per cycle, then each store's share (its market; its store or all stores).
    const ptl = limit(() => sources.fetchPtl()).then(async (fetched: Fetched<PtlRecordInfo>) => {
      const fetchedAt = now();
      const orphans = fetched.kind === 'ok' ? fetched.records.filter((r) => r.market === undefined).map((r) => r.record.id) : [];
      // Without a market a PTL deal could reach the wrong stores (rule 14): it reaches none.
      if (orphans.length) logger.warn({ count: orphans.length, ids: orphans.slice(0, 20) }, 'PTL discounts without a known market are skipped');
      await Promise.all(locations.map((l) => limit(() => record(l, 'ptl', 'odoo', fetched.kind === 'ok' ? { kind: 'ok', records: ptlForStore(fetched.records, l) } : fetched, fetchedAt))));
      return fetched.kind;
    });

    await Promise.all(dutchie);
    const ptlStatus = await ptl;
    const durationMs = now() - started;
    const summary: CycleSummary = {
      locations: locations.length, locationsOk: locations.length - failed.size, locationsFailed: failed.size, upserts, removals, ptl: ptlStatus === 'ok' ? 'ok' : 'failed', durationMs,
      failures: [...failed].flatMap(([locationId, fs]) => fs.map((f) => ({ locationId, ...f }))),
    };
    metrics.duration.observe(durationMs / 1000);
    metrics.lastSuccess.set(now() / 1000);
    metrics.locations.set({ outcome: 'ok' }, summary.locationsOk);
    metrics.locations.set({ outcome: 'failed' }, summary.locationsFailed);
    return summary;
  }

  /** Runs a cycle if no other poller is in one (session advisory lock on one connection). */
  async function runLocked(): Promise<CycleResult> {
    return db.connection().execute(async (conn) => {
      const got = await sql<{ ok: boolean }>`select pg_try_advisory_lock(${settings.lockKey}) as ok`.execute(conn);
      if (!got.rows[0]?.ok) {
        metrics.cycles.inc({ result: 'skipped' });
        logger.info('another poller holds the cycle lock: skipping this cycle');
        return { kind: 'skipped', reason: 'locked' } as const;
      }
      try {
        const summary = await runCycle();
        metrics.cycles.inc({ result: 'done' });
        const { failures, ...counts } = summary;
        logger.info({ ...counts, failures: failures.slice(0, 20) }, 'poll cycle done');
        return { kind: 'done', summary } as const;
      } finally {
        await sql`select pg_advisory_unlock(${settings.lockKey})`.execute(conn);
      }
    });
  }

  return { runCycle, runLocked, topics };
}
export type Poller = ReturnType<typeof createPoller>;
