/**
 * The poller's inventory cycle (issue 6), on its own interval: for every POS store, fetch its
 * inventory, publish only what changed to inventory.raw.v2 (key {locationId}_{inventoryId}: one per package), then
 * remember the published hashes. One cycle at a time across replicas (its own advisory lock).
 * Backoffice stores are read through the poller's Backoffice session (Sources). A failed fetch
 * publishes nothing for that store (never "everything was removed").
 */
import { sql } from 'kysely';
import type { Producer } from 'kafkajs';
import type { Kysely } from '../../shared/db/db';
import type { Database } from '../../shared/db/schema';
import type { Logger } from '../../shared/logger';
import type { AvroSerde } from '../../shared/serde';
import { TOPICS, topicName } from '../../shared/topics';
import { diffInventory, type InventoryFetch } from './inventory-diff';
import type { LogGuard } from './log-identity';
import { fetchPosInventory, type PosInventoryFetchDeps } from './inventory-fetch';
import { PosKeys, planFeeds, type Fallback } from './source-choice';

export interface InventoryPollerDeps {
  db: Kysely<Database>;
  producer: Producer;
  serde: AvroSerde;
  logger: Logger;
  now: () => number;
  topicPrefix: string;
  posUrl: string;
  /** LSP id -> POS API key */
  posKeys: ReadonlyMap<number, string>;
  lockKey: number;
  /** Backoffice inventory (the poller's Sources, which hold the session); absent: Backoffice stores are skipped */
  backoffice?: (lspId: number, orgId: number, locId: number) => Promise<InventoryFetch>;
  fetchOptions?: Pick<PosInventoryFetchDeps, 'fetch' | 'sleep' | 'maxAttempts'>;
  /** the POS keys (per store from the directory, per LSP from the environment); default: posKeys */
  keys?: PosKeys;
  /** runs at the start of every cycle, under the inventory lock (the withdrawals of inactive stores) */
  beforeCycle?: () => Promise<void>;
  /** a store's POS key was refused and its inventory read through Backoffice (the poller's metrics) */
  onFallback?: (locationId: string, fallback: Fallback) => void;
  /** Ties the hashes to the log they describe (log-identity.ts): checked before each cycle, remembered after. */
  logs?: LogGuard;
}

type StoreRow = { id: string; lsp_id: number; pos_loc_id: number; dutchie_api: 'pos' | 'backoffice'; org_id: number | null; has_store_key: boolean };

export interface InventoryCycle { locations: number; failed: number; upserts: number; removals: number; fallbacks: number }

export function createInventoryPoller(deps: InventoryPollerDeps) {
  const topic = topicName(deps.topicPrefix, TOPICS.inventoryRaw);

  const keys = deps.keys ?? new PosKeys(deps.posKeys);

  /** The store's inventory through the API source-choice.ts picks (POS with a key, else Backoffice; Backoffice when the key is refused). */
  async function fetchStore(loc: StoreRow): Promise<{ fetch: InventoryFetch; api: 'pos' | 'backoffice'; fellBack: boolean }> {
    const [feed] = planFeeds([{ id: loc.id, lspId: loc.lsp_id, orgId: loc.org_id, hasStoreKey: loc.has_store_key }], keys, deps.backoffice !== undefined);
    const source = feed!.source;
    const viaBackoffice = (lspId: number, orgId: number) => deps.backoffice!(lspId, orgId, loc.pos_loc_id);
    if (source.api === 'none') return { fetch: { ok: false, reason: source.reason }, api: loc.dutchie_api, fellBack: false };
    if (source.api === 'backoffice') return { fetch: await viaBackoffice(source.lspId, source.orgId), api: 'backoffice', fellBack: false };
    const pos = await fetchPosInventory({ baseUrl: deps.posUrl, apiKey: source.key, locId: loc.pos_loc_id, ...deps.fetchOptions });
    if (pos.ok || !pos.rejected || source.fallback === null) return { fetch: pos, api: 'pos', fellBack: false };
    const fallback: Fallback = { from: 'pos', to: 'backoffice', keyOrigin: source.origin, reason: pos.reason };
    deps.logger.warn({ locationId: loc.id, ...fallback }, 'POS key refused: reading the store\'s inventory through Backoffice');
    deps.onFallback?.(loc.id, fallback);
    return { fetch: await viaBackoffice(source.fallback.lspId, source.fallback.orgId), api: 'backoffice', fellBack: true };
  }

  async function pollLocation(loc: StoreRow): Promise<{ ok: boolean; upserts: number; removals: number; fellBack: boolean }> {
    const fetchedAt = deps.now();
    const { fetch, api, fellBack } = await fetchStore(loc);
    const rows = await deps.db.selectFrom('inventory_published').select(['inventory_id', 'content_hash']).where('location_id', '=', loc.id).execute();
    const diff = diffInventory({ api, locationId: loc.id, fetchedAt, fetch, previous: new Map(rows.map((r) => [r.inventory_id, r.content_hash])) });
    if (diff.kind === 'skip') {
      deps.logger.warn({ locationId: loc.id, reason: diff.reason }, 'inventory fetch failed: nothing published');
      return { ok: false, upserts: 0, removals: 0, fellBack };
    }
    if (diff.events.length > 0) {
      const messages = await Promise.all(diff.events.map(async (e) => ({ key: `${e.locationId}_${e.inventoryId}`, value: await deps.serde.encode(topic, e) })));
      // bounded batches: a big first inventory does not become one huge request
      for (let i = 0; i < messages.length; i += 500) await deps.producer.send({ topic, messages: messages.slice(i, i + 500) });
      // remember only after Kafka acknowledged: a crash in between republishes, never loses
      await deps.db.transaction().execute(async (tx) => {
        const removed = diff.events.filter((e) => e.op === 'remove').map((e) => e.inventoryId);
        if (removed.length) await tx.deleteFrom('inventory_published').where('location_id', '=', loc.id).where('inventory_id', 'in', removed).execute();
        const upserts = diff.events.filter((e) => e.op === 'upsert');
        for (let i = 0; i < upserts.length; i += 1000) {
          await tx.insertInto('inventory_published')
            .values(upserts.slice(i, i + 1000).map((e) => ({ location_id: loc.id, inventory_id: e.inventoryId, content_hash: e.contentHash!, fetched_at: e.fetchedAt })))
            .onConflict((oc) => oc.columns(['location_id', 'inventory_id']).doUpdateSet({ content_hash: (eb) => eb.ref('excluded.content_hash'), fetched_at: (eb) => eb.ref('excluded.fetched_at') }))
            .execute();
        }
      });
    }
    const removals = diff.events.filter((e) => e.op === 'remove').length;
    return { ok: true, upserts: diff.events.length - removals, removals, fellBack };
  }

  /** One cycle if no other poller is in one; null when the lock is taken. */
  async function runLocked(): Promise<InventoryCycle | null> {
    return deps.db.connection().execute(async (conn) => {
      const got = await sql<{ ok: boolean }>`select pg_try_advisory_lock(${deps.lockKey}) as ok`.execute(conn);
      if (!got.rows[0]?.ok) return null;
      try {
        await deps.logs?.check('inventory');
        await deps.beforeCycle?.();
        const locations = await conn.selectFrom('locations').select(['id', 'lsp_id', 'pos_loc_id', 'dutchie_api', 'org_id', 'has_store_key']).execute();
        const cycle: InventoryCycle = { locations: locations.length, failed: 0, upserts: 0, removals: 0, fallbacks: 0 };
        for (const loc of locations) {
          const r = await pollLocation(loc);
          if (!r.ok) cycle.failed += 1;
          if (r.fellBack) cycle.fallbacks += 1;
          cycle.upserts += r.upserts;
          cycle.removals += r.removals;
        }
        await deps.logs?.remember('inventory');
        deps.logger.info(cycle, 'inventory cycle done');
        return cycle;
      } finally {
        await sql`select pg_advisory_unlock(${deps.lockKey})`.execute(conn);
      }
    });
  }

  return { runLocked, pollLocation };
}
