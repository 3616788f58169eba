/**
 * One enrichment read: the chain's Odoo catalog (product.template with a SKU, no store) in pages, the
 * SKUs whose enrichment changed published to the compacted products.enrichment.v1 (key = SKU), then
 * their hashes remembered in `enrichment_published` (only after Kafka acknowledged: a crash in between
 * publishes again, never loses). Reads are incremental (templates written since the newest write_date
 * seen) with a full read every `fullSyncMs`, which also tombstones what the catalog no longer has.
 * One read is active across replicas (a Postgres advisory lock). An Odoo failure publishes nothing.
 */
import { sql } from 'kysely';
import type { Producer } from 'kafkajs';
import { Counter, Gauge, type Registry } from 'prom-client';
import type { Kysely } from '../../shared/db/db';
import type { Database } from '../../shared/db/schema';
import type { ProductEnrichment } from '../../shared/events';
import type { Logger } from '../../shared/logger';
import { TOPICS, topicName } from '../../shared/topics';
import type { OdooClient } from '../odoo-sink/odoo-client';
import { CATALOG_DOMAIN, CATALOG_FIELDS, planEnrichment, toEnrichment } from './handler';

export interface EnricherSettings { topicPrefix: string; lockKey: number; pageSize: number; fullSyncMs: number }

export interface EnricherDeps {
  db: Kysely<Database>;
  producer: Producer;
  /** Avro-encodes an enrichment for the topic (the registry serde) */
  encode: (e: ProductEnrichment) => Promise<Buffer>;
  odoo: OdooClient;
  logger: Logger;
  metrics: Registry;
  now: () => number;
  settings: EnricherSettings;
}

export type ReadResult =
  | { kind: 'done'; full: boolean; read: number; upserts: number; removals: number; rejected: number }
  | { kind: 'skipped'; reason: 'locked' }
  | { kind: 'failed'; reason: string };

const BATCH = 500;

export function createEnricher(deps: EnricherDeps) {
  const { db, producer, odoo, logger, settings, now } = deps;
  const topic = topicName(settings.topicPrefix, TOPICS.productEnrichment);
  const reads = new Counter({ name: 'enricher_reads_total', help: 'catalog reads by kind and result', labelNames: ['kind', 'result'], registers: [deps.metrics] });
  const published = new Counter({ name: 'enricher_events_published_total', help: 'enrichments published', labelNames: ['op'], registers: [deps.metrics] });
  const odooUp = new Gauge({ name: 'enricher_odoo_up', help: '1 when the last catalog read succeeded', registers: [deps.metrics] });
  /** the newest write_date seen (Odoo's own clock): the next incremental read starts there */
  let since: string | undefined;
  let lastFullAt = -Infinity;

  async function readCatalog(full: boolean): Promise<unknown[]> {
    const domain = full || since === undefined ? CATALOG_DOMAIN : [...CATALOG_DOMAIN, ['write_date', '>=', since]];
    const out: unknown[] = [];
    for (let offset = 0; ; offset += settings.pageSize) {
      const page = await odoo.executeKw<unknown[]>('product.template', 'search_read', [domain], { fields: [...CATALOG_FIELDS], order: 'id', offset, limit: settings.pageSize });
      out.push(...page);
      if (page.length < settings.pageSize) return out;
    }
  }

  async function remembered(skus: readonly string[] | 'all'): Promise<Map<string, string>> {
    let q = db.selectFrom('enrichment_published').select(['sku', 'content_hash']);
    if (skus !== 'all') { if (skus.length === 0) return new Map(); q = q.where('sku', 'in', [...skus]); }
    return new Map((await q.execute()).map((r) => [r.sku, r.content_hash]));
  }

  async function read(): Promise<ReadResult> {
    const full = since === undefined || now() - lastFullAt >= settings.fullSyncMs;
    const fetchedAt = now();
    let records: unknown[];
    try {
      records = await readCatalog(full);
    } catch (e) {
      odooUp.set(0);
      reads.inc({ kind: full ? 'full' : 'incremental', result: 'failed' });
      return { kind: 'failed', reason: e instanceof Error ? e.message : String(e) };
    }
    odooUp.set(1);
    const parsed = records.map((r) => toEnrichment(r, fetchedAt));
    const rejected = parsed.flatMap((p) => (p.kind === 'reject' ? [p] : []));
    for (const r of rejected.slice(0, 20)) logger.warn({ templateId: r.id, reason: r.reason }, 'catalog template not used for enrichment');
    const ok = parsed.flatMap((p) => (p.kind === 'ok' ? [p] : []));
    const previous = await remembered(full ? 'all' : ok.map((p) => p.enrichment.sku));
    const plan = planEnrichment({ enrichments: ok.map((p) => p.enrichment), previous, full });
    if (plan.duplicates.length) logger.warn({ skus: plan.duplicates.slice(0, 20), count: plan.duplicates.length }, 'several catalog templates share a SKU: the lowest id is used');
    if (plan.refusedEmpty) logger.warn({ published: previous.size }, 'the catalog read was empty: nothing removed');
    for (let i = 0; i < plan.events.length; i += BATCH) {
      const slice = plan.events.slice(i, i + BATCH);
      const messages = await Promise.all(slice.map(async (e) => ({ key: e.sku, value: e.value === null ? null : await deps.encode(e.value) })));
      await producer.send({ topic, messages });
      await db.transaction().execute(async (tx) => {
        const gone = slice.filter((e) => e.value === null).map((e) => e.sku);
        if (gone.length) await tx.deleteFrom('enrichment_published').where('sku', 'in', gone).execute();
        const up = slice.flatMap((e) => (e.value === null ? [] : [{ sku: e.sku, content_hash: e.value.contentHash, published_at: fetchedAt }]));
        if (up.length) {
          await tx.insertInto('enrichment_published').values(up)
            .onConflict((oc) => oc.column('sku').doUpdateSet({ content_hash: (eb) => eb.ref('excluded.content_hash'), published_at: (eb) => eb.ref('excluded.published_at') })).execute();
        }
      });
    }
    published.inc({ op: 'upsert' }, plan.upserts);
    published.inc({ op: 'remove' }, plan.removals);
    for (const p of ok) if (p.writeDate !== null && (since === undefined || p.writeDate > since)) since = p.writeDate;
    if (full) lastFullAt = fetchedAt;
    reads.inc({ kind: full ? 'full' : 'incremental', result: 'done' });
    return { kind: 'done', full, read: records.length, upserts: plan.upserts, removals: plan.removals, rejected: rejected.length };
  }

  /** One read if no other enricher is in one. */
  async function runLocked(): Promise<ReadResult> {
    return db.connection().execute(async (conn) => {
      const got = await sql<{ ok: boolean }>`select pg_try_advisory_lock(${settings.lockKey}) as ok`.execute(conn);
      if (!got.rows[0]?.ok) return { kind: 'skipped', reason: 'locked' } as const;
      try {
        const r = await read();
        if (r.kind === 'failed') logger.warn({ reason: r.reason }, 'catalog read failed: nothing published');
        else if (r.kind === 'done' && (r.full || r.upserts || r.removals)) logger.info(r, 'catalog read');
        return r;
      } finally {
        await sql`select pg_advisory_unlock(${settings.lockKey})`.execute(conn);
      }
    });
  }

  return { runLocked, topic, health: { odoo: () => Promise.resolve(since !== undefined) } };
}
export type Enricher = ReturnType<typeof createEnricher>;
