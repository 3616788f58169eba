/**
 * One poll cycle: fetch every store's feeds (bounded concurrency), plan the changes (handler.ts),
 * publish them to the raw topics, then remember the published hashes. One cycle is active across
 * every poller instance: the cycle runs only while holding a Postgres advisory lock.
 */
import { sql } from 'kysely';
import { KafkaJSProtocolError, type Producer } from 'kafkajs';
import pLimit from 'p-limit';
import { Counter, Gauge, Histogram, type Registry } from 'prom-client';
import type { Kysely } from '../../shared/db/db';
import type { Database } from '../../shared/db/schema';
import type { Logger } from '../../shared/logger';
import { TOPICS, topicName } from '../../shared/topics';
import { appliesToStore, isSuspiciousDrop, planChanges, ptlForStore, withoutRemovals, type Api, type FetchOutcome, type PollLocation, type PtlRecordInfo, type Source, type SourceRecord } from './handler';
import type { LogGuard } from './log-identity';
import { createPublisher } from './publisher';
import type { RawEventEncoder } from './raw-encoder';
import type { Fetched, Sources } from './sources';
import { PosKeys, planFeeds, type Fallback, type Feed } from './source-choice';

export interface PollerSettings {
  topicPrefix: string;
  concurrency: number;
  lockKey: number;
  posKeys: ReadonlyMap<number, string>;
  /** a drop by more than this share (or to zero) in one cycle is held until the next cycle confirms it (default 0.5) */
  maxDropShare?: number;
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
  /** stores whose POS key Dutchie refused, read through Backoffice in this cycle instead */
  fallbacks: Array<{ locationIds: string[] } & Fallback>;
}

export type CycleResult = { kind: 'done'; summary: CycleSummary } | { kind: 'skipped'; reason: 'locked' }
  /** the cycle lock was lost mid-cycle (its session died): nothing more was published */
  | { kind: 'aborted'; reason: 'lock lost' };

/** The cycle no longer holds the advisory lock: another poller may be in a cycle, so this one publishes nothing more. */
export class LockLostError extends Error {
  constructor(cause?: unknown) { super('the poll cycle lost its advisory lock', { cause }); this.name = 'LockLostError'; }
}

export function pollerMetrics(registry: Registry) {
  return {
    cycles: new Counter({ name: 'poller_cycles_total', help: 'poll cycles by result', labelNames: ['result'], registers: [registry] }),
    events: new Counter({ name: 'poller_events_published_total', help: 'raw events published', labelNames: ['source', 'op'], registers: [registry] }),
    failures: new Counter({ name: 'poller_fetch_failures_total', help: 'store feeds that could not be read (nothing published for them)', labelNames: ['source'], registers: [registry] }),
    duration: new Histogram({ name: 'poller_cycle_duration_seconds', help: 'duration of a poll cycle', buckets: [0.5, 1, 2, 5, 10, 30, 60, 120], registers: [registry] }),
    lastSuccess: new Gauge({ name: 'poller_last_cycle_timestamp_seconds', help: 'end of the last completed cycle', registers: [registry] }),
    locations: new Gauge({ name: 'poller_locations', help: 'stores in the last cycle by outcome', labelNames: ['outcome'], registers: [registry] }),
    fallbacks: new Counter({ name: 'poller_source_fallbacks_total', help: 'feeds read through Backoffice because Dutchie refused the POS key', labelNames: ['feed', 'key'], registers: [registry] }),
    heldDrops: new Counter({ name: 'poller_drops_held_total', help: 'store feeds whose deals fell to zero or by more than POLLER_MAX_DROP_SHARE: removals held a cycle', labelNames: ['source'], registers: [registry] }),
  };
}
export type PollerMetrics = ReturnType<typeof pollerMetrics>;

export interface PollerDeps {
  db: Kysely<Database>;
  producer: Producer;
  /** Avro encoders of the raw topics (schemas registered at start-up) */
  encoders: Record<Source, RawEventEncoder>;
  sources: Sources;
  settings: PollerSettings;
  logger: Logger;
  metrics: PollerMetrics;
  now: () => number;
  /** the POS keys (per store from the directory, per LSP from the environment); default: settings.posKeys */
  keys?: PosKeys;
  /** runs at the start of every cycle, under the cycle lock (the store directory's refresh, withdrawals) */
  beforeCycle?: () => Promise<void>;
  /** Ties the hashes to the log they describe (log-identity.ts): checked before each cycle, remembered after. */
  logs?: LogGuard;
}

/** What a store's published changes leave in `poller_published` once Kafka acknowledged them. */
interface Remembered {
  locationId: string;
  fetchedAt: number;
  upserts: Array<{ discountId: string; source: Source; hash: string }>;
  removed: string[];
}

// One request stays under the broker's max.message.bytes (1 MB by default): every record batch in it does.
const MAX_SEND_BYTES = 768 * 1024;
// Encoded messages waiting for Kafka before fetching waits (bounds memory when fetching outruns Kafka).
const MAX_QUEUED_BYTES = 32 * 1024 * 1024;

export async function loadLocations(db: Kysely<Database>): Promise<PollLocation[]> {
  const rows = await db.selectFrom('locations').selectAll().orderBy('id').execute();
  return rows.map((r) => ({
    id: r.id, state: r.state, timeZone: r.time_zone, lspId: r.lsp_id, posLocId: r.pos_loc_id, api: r.dutchie_api, orgId: r.org_id, odooStoreId: r.odoo_store_id,
    hasStoreKey: r.has_store_key,
  }));
}

const hashesKey = (locationId: string, source: Source): string => `${locationId}|${source}`;

/** Every remembered content hash, per (store, source): one read per cycle instead of one per store and source. */
async function loadPublished(db: Kysely<Database>): Promise<Map<string, Map<string, string>>> {
  const rows = await db.selectFrom('poller_published').select(['location_id', 'source', 'discount_id', 'content_hash']).execute();
  const out = new Map<string, Map<string, string>>();
  for (const r of rows) {
    const k = hashesKey(r.location_id, r.source);
    let m = out.get(k);
    if (!m) { m = new Map(); out.set(k, m); }
    m.set(r.discount_id, r.content_hash);
  }
  return out;
}

/** Writes the hashes of acknowledged stores, and forgets their removed deals, in one transaction. */
async function remember(db: Kysely<Database>, batch: Remembered[]): Promise<void> {
  const up = { locations: [] as string[], ids: [] as string[], sources: [] as string[], hashes: [] as string[], fetchedAt: [] as string[] };
  const gone = { locations: [] as string[], ids: [] as string[] };
  for (const r of batch) {
    for (const u of r.upserts) { up.locations.push(r.locationId); up.ids.push(u.discountId); up.sources.push(u.source); up.hashes.push(u.hash); up.fetchedAt.push(String(r.fetchedAt)); }
    for (const id of r.removed) { gone.locations.push(r.locationId); gone.ids.push(id); }
  }
  await db.transaction().execute(async (trx) => {
    // Array parameters (unnest) instead of thousands of bound values.
    if (up.ids.length) {
      await sql`insert into poller_published (location_id, discount_id, source, content_hash, fetched_at)
        select l, d, s, h, f from unnest(${up.locations}::text[], ${up.ids}::text[], ${up.sources}::text[], ${up.hashes}::text[], ${up.fetchedAt}::bigint[]) as t(l, d, s, h, f)
        on conflict (location_id, discount_id) do update set content_hash = excluded.content_hash, fetched_at = excluded.fetched_at, source = excluded.source`.execute(trx);
    }
    if (gone.ids.length) {
      await sql`delete from poller_published p using unnest(${gone.locations}::text[], ${gone.ids}::text[]) as t(l, d)
        where p.location_id = t.l and p.discount_id = t.d`.execute(trx);
    }
  });
}

const reasonOf = (e: unknown): string => (e instanceof Error ? e.message : String(e));

export function createPoller(deps: PollerDeps) {
  const { db, producer, encoders, sources, settings, logger, metrics, now } = deps;
  const keys = deps.keys ?? new PosKeys(settings.posKeys);
  const topics = { dutchie: topicName(settings.topicPrefix, TOPICS.rawDutchie), ptl: topicName(settings.topicPrefix, TOPICS.rawPtl) };
  const maxDropShare = settings.maxDropShare ?? 0.5;
  /** (store, source) whose drop the last cycle held: a second cycle seeing a drop confirms it (this instance's memory). */
  let heldLastCycle = new Set<string>();

  /**
   * One cycle, without the lock (runLocked is what main and tests call). `stillLocked` runs before every
   * publish request and throws once the cycle no longer holds its lock (nothing more is sent).
   */
  async function runCycle(stillLocked: () => Promise<void> = () => Promise.resolve()): Promise<CycleSummary> {
    const started = now();
    const heldNow = new Set<string>();
    await deps.beforeCycle?.();
    const locations = await loadLocations(db);
    const published = await loadPublished(db);
    const limit = pLimit(settings.concurrency);
    const failed = new Map<string, Array<{ source: Source; reason: string }>>();
    let upserts = 0;
    let removals = 0;
    const publisher = createPublisher<Remembered>({
      send: async (topicMessages) => { await stillLocked(); await producer.sendBatch({ topicMessages }); },
      remember: (batch) => remember(db, batch),
      isContentError: (e) => e instanceof KafkaJSProtocolError && !e.retriable,
      maxSendBytes: MAX_SEND_BYTES,
      maxQueuedBytes: MAX_QUEUED_BYTES,
    });
    const inFlight: Array<Promise<void>> = [];
    const fail = (location: PollLocation, source: Source, reason: string): void => {
      failed.set(location.id, [...(failed.get(location.id) ?? []), { source, reason }]);
      metrics.failures.inc({ source });
      logger.warn({ locationId: location.id, source, reason }, 'feed not read: nothing published for this store');
    };
    /**
     * Plans a (store, source)'s changes and hands them to the publisher; returns once they are queued
     * (the fetch slot is free again), while Kafka and Postgres finish them in `inFlight`.
     */
    const record = async (location: PollLocation, source: Source, api: Api, fetch: FetchOutcome, fetchedAt: number): Promise<void> => {
      try {
        const previous = published.get(hashesKey(location.id, source)) ?? new Map<string, string>();
        let plan = planChanges({ location, source, api, fetch, previous, fetchedAt });
        if (plan.kind === 'skip') { fail(location, source, plan.reason); return; }
        // a drop to zero or by more than maxDropShare: its removals wait for a second cycle to confirm it
        const feed = hashesKey(location.id, source);
        if (plan.removals > 0 && isSuspiciousDrop(previous.size, plan.hashes.size, maxDropShare) && !heldLastCycle.has(feed)) {
          heldNow.add(feed);
          metrics.heldDrops.inc({ source });
          logger.warn({ locationId: location.id, source, published: previous.size, fetched: plan.hashes.size, removals: plan.removals, maxDropShare }, 'deals dropped sharply: removals held until the next cycle confirms');
          plan = withoutRemovals(plan);
        }
        if (plan.events.length === 0) return;
        const encode = encoders[source];
        const messages = plan.events.map((e) => ({ key: e.key, value: encode(e.value) }));
        const changes: Remembered = { locationId: location.id, fetchedAt, upserts: [], removed: [] };
        for (const { value: e } of plan.events) {
          if (e.op === 'upsert') changes.upserts.push({ discountId: e.discountId, source, hash: e.contentHash! });
          else changes.removed.push(e.discountId);
        }
        // Only counts outlive this call: the plan (record texts included) can be collected once encoded.
        const counts = { upserts: plan.upserts, removals: plan.removals };
        const { done } = await publisher.submit(topics[source], messages, changes);
        inFlight.push(done.then(() => {
          upserts += counts.upserts;
          removals += counts.removals;
          metrics.events.inc({ source, op: 'upsert' }, counts.upserts);
          metrics.events.inc({ source, op: 'remove' }, counts.removals);
        }, (e: unknown) => fail(location, source, `publish: ${reasonOf(e)}`)));
      } catch (e) {
        fail(location, source, `publish: ${reasonOf(e)}`);
      }
    };

    // Dutchie: one fetch per feed (a POS key or a Backoffice organisation serves every store of its LSP),
    // the API chosen per store as source-choice.ts says, Backoffice once per (LSP, org) in a cycle.
    const fallbacks: CycleSummary['fallbacks'] = [];
    const backofficeFeeds = new Map<string, Promise<Fetched<SourceRecord>>>();
    const backofficeFeed = (lspId: number, orgId: number): Promise<Fetched<SourceRecord>> => {
      const k = `${lspId}:${orgId}`;
      let f = backofficeFeeds.get(k);
      if (!f) { f = sources.fetchBackoffice(lspId, orgId); backofficeFeeds.set(k, f); }
      return f;
    };
    const fetchFeed = async (feed: Feed<PollLocation>): Promise<{ fetched: Fetched<SourceRecord>; api: 'pos' | 'backoffice' }> => {
      const s = feed.source;
      if (s.api === 'none') return { fetched: { kind: 'failed', reason: s.reason }, api: feed.stores[0]!.api };
      if (s.api === 'backoffice') return { fetched: await backofficeFeed(s.lspId, s.orgId), api: 'backoffice' };
      const keyName = s.origin === 'store' ? `the POS key the store directory gives store ${feed.stores[0]!.id}` : `DUTCHIE_POS_API_KEY_${s.lspId}`;
      const pos = await sources.fetchPos(s.lspId, s.key, keyName);
      if (pos.kind === 'ok' || !pos.rejected || s.fallback === null) return { fetched: pos, api: 'pos' };
      const fallback: Fallback = { from: 'pos', to: 'backoffice', keyOrigin: s.origin, reason: pos.reason };
      fallbacks.push({ locationIds: feed.stores.map((l) => l.id), ...fallback });
      metrics.fallbacks.inc({ feed: 'deals', key: s.origin });
      logger.warn({ locationIds: feed.stores.map((l) => l.id), ...fallback }, 'POS key refused: reading the stores through Backoffice');
      return { fetched: await backofficeFeed(s.fallback.lspId, s.fallback.orgId), api: 'backoffice' };
    };
    const dutchie = planFeeds(locations, keys, sources.hasBackoffice).map((feed) => limit(async () => {
      const { fetched, api } = await fetchFeed(feed);
      const stores = feed.stores;
      const fetchedAt = now();
      await Promise.all(stores.map((l) => record(l, 'dutchie', api, fetched.kind === 'ok'
        ? { kind: 'ok', records: fetched.records.filter((r) => appliesToStore(r, l.posLocId)) }
        : fetched, fetchedAt)));
    }));

    // PTL: one read of Odoo per cycle, then each store's share (its market; its store or all stores).
    const ptl = limit(() => sources.fetchPtl()).then(async (fetched: Fetched<PtlRecordInfo>) => {
      const fetchedAt = now();
      const orphans = fetched.kind === 'ok' ? fetched.records.filter((r) => r.market === undefined).map((r) => r.record.id) : [];
      // Without a market a PTL deal could reach the wrong stores (rule 14): it reaches none.
      if (orphans.length) logger.warn({ count: orphans.length, ids: orphans.slice(0, 20) }, 'PTL discounts without a known market are skipped');
      for (const l of locations) await record(l, 'ptl', 'odoo', fetched.kind === 'ok' ? { kind: 'ok', records: ptlForStore(fetched.records, l) } : fetched, fetchedAt);
      return fetched.kind;
    });

    await Promise.all(dutchie);
    const ptlStatus = await ptl;
    // Everything is queued: wait until Kafka acknowledged it and Postgres remembered it.
    await Promise.all(inFlight);
    heldLastCycle = heldNow;
    const durationMs = now() - started;
    const summary: CycleSummary = {
      locations: locations.length, locationsOk: locations.length - failed.size, locationsFailed: failed.size, upserts, removals, ptl: ptlStatus === 'ok' ? 'ok' : 'failed', durationMs,
      failures: [...failed].flatMap(([locationId, fs]) => fs.map((f) => ({ locationId, ...f }))),
      fallbacks,
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
      // Fencing: the lock belongs to this session; if the session died (or the lock went) another poller
      // may be in a cycle, so every publish request first checks this backend still holds it.
      let lost = false;
      const stillLocked = async (): Promise<void> => {
        const held = await sql<{ held: boolean }>`select exists(select 1 from pg_locks where locktype = 'advisory' and granted and pid = pg_backend_pid()
          and objsubid = 1 and classid::text::bigint = (${settings.lockKey}::bigint >> 32) & 4294967295 and objid::text::bigint = ${settings.lockKey}::bigint & 4294967295) as held`
          .execute(conn).then((r) => r.rows[0]?.held === true, () => false);
        if (!held) { lost = true; throw new LockLostError(); }
      };
      try {
        await deps.logs?.check('deals');
        const summary = await runCycle(stillLocked);
        if (lost) {
          metrics.cycles.inc({ result: 'aborted' });
          logger.error({ upserts: summary.upserts, removals: summary.removals }, 'poll cycle lost its advisory lock: aborted, nothing more published');
          return { kind: 'aborted', reason: 'lock lost' } as const;
        }
        await deps.logs?.remember('deals');
        metrics.cycles.inc({ result: 'done' });
        const { failures, fallbacks, ...counts } = summary;
        logger.info({ ...counts, failures: failures.slice(0, 20), fallbacks: fallbacks.slice(0, 20) }, 'poll cycle done');
        return { kind: 'done', summary } as const;
      } finally {
        // a dead session released its lock already
        await sql`select pg_advisory_unlock(${settings.lockKey})`.execute(conn).catch((err: unknown) => logger.warn({ err }, 'advisory unlock failed (session gone)'));
      }
    });
  }

  return { runCycle, runLocked, topics };
}
export type Poller = ReturnType<typeof createPoller>;
