/**
 * Given-helpers for the sink's integration tests and benchmark: the sandbox Odoo (services/sandbox)
 * started in-process on an ephemeral port with one store, and a producer of canonical deals.
 */
import { randomUUID } from 'node:crypto';
import type { Kafka, Producer } from 'kafkajs';
import type { Kysely } from 'kysely';
import type { Database } from '../../shared/db/schema';
import type { Deal } from '../../shared/events';
import { createProducer, ensureTopics } from '../../shared/kafka';
import type { AvroSerde } from '../../shared/serde';
import { TOPICS, dealKey, topicName } from '../../shared/topics';
import type { FaultBox } from '../../services/sandbox/faults';
import type { RunningServer } from '../../services/sandbox/http';
import type { OdooAuth } from '../../services/sandbox/odoo-rpc';
import type { OdooStore } from '../../services/sandbox/odoo-store';
import { Sandbox } from '../../services/sandbox/sandbox';
import { AZ_LOCATION } from './odoo-fixtures';

/** The LocId of the sandbox's recorded AZ store (FIXTURE_STORE). */
export const AZ_POS_LOC_ID = 1568;

export interface SandboxOdoo {
  store: OdooStore;
  faults: FaultBox;
  server: RunningServer;
  auth: OdooAuth;
  storeId: number;
  env: NodeJS.ProcessEnv;
  /** Object calls by `model.method` since the last reset. */
  calls(): Record<string, number>;
  dutchieRecords(): Array<Record<string, unknown>>;
  close(): Promise<void>;
}

/**
 * The project's sandbox (services/sandbox) with only what the sink needs: the recorded AZ store
 * (LocId 1568, a `mint.store` in the sandbox Odoo), its seeded PTL discounts, ephemeral ports.
 */
export async function startSandboxOdoo(): Promise<SandboxOdoo> {
  const sandbox = new Sandbox({ markets: ['AZ'], lspsPerMarket: 1, storesPerLsp: 1, dealsPerLsp: 1, includeFixture: true, ptlDealsPerMarket: 3 });
  const running = await sandbox.start();
  const store = sandbox.odoo;
  const storeId = sandbox.state.stores.find((s) => s.posLocId === AZ_POS_LOC_ID)?.odooStoreId;
  if (!storeId) throw new Error(`the sandbox has no store with LocId ${AZ_POS_LOC_ID}`);
  const auth = sandbox.odooAuth;
  return {
    store, faults: sandbox.faults, server: running.servers.odoo, auth, storeId,
    env: { ODOO_URL: running.urls.odoo, ODOO_DB: auth.db, ODOO_LOGIN: auth.login, ODOO_API_KEY: auth.apiKey, ODOO_TIMEOUT_MS: '5000' },
    calls: () => store.callCounts(),
    dutchieRecords: () => store.records('mint.discount', [['source', '=', 'dutchie']]),
    close: () => running.close(),
  };
}

/** The AZ store of the fixtures as a Postgres location (the sink maps its UUID to the Odoo store via the LocId). */
export async function givenAzLocation(db: Kysely<Database>): Promise<void> {
  await db.insertInto('locations').values({
    id: AZ_LOCATION, name: 'Mint Tempe', state: 'AZ', time_zone: 'America/Phoenix', lsp_id: 100, pos_loc_id: AZ_POS_LOC_ID, dutchie_api: 'pos', org_id: null,
  }).onConflict((oc) => oc.column('id').doNothing()).execute();
}

/** `n` more AZ stores: a Postgres location and a `mint.store` each. Returns their location UUIDs. */
export async function givenMoreStores(db: Kysely<Database>, odoo: SandboxOdoo, n: number): Promise<string[]> {
  const [market] = odoo.store.search('mint.market', [['code', '=', 'AZ']]);
  const out: string[] = [];
  for (let i = 0; i < n; i++) {
    const id = randomUUID();
    const posLocId = 6000 + i;
    odoo.store.create('mint.store', { name: `Mint Bench #${i}`, market_id: market ?? false, dutchie_loc_id: posLocId });
    await db.insertInto('locations').values({ id, name: `Mint Bench #${i}`, state: 'AZ', time_zone: 'America/Phoenix', lsp_id: 100, pos_loc_id: posLocId, dutchie_api: 'pos', org_id: null }).execute();
    out.push(id);
  }
  return out;
}

export interface DealPublisher {
  topic: string;
  publish(deals: Array<Deal | { tombstone: string }>): Promise<void>;
  close(): Promise<void>;
}

/** Publishes canonical deals (Avro, registry) and tombstones on the prefixed deals.discounts.v1. */
export async function dealPublisher(kafka: Kafka, serde: AvroSerde, prefix: string, partitions = 3): Promise<DealPublisher> {
  const admin = kafka.admin();
  await admin.connect();
  await ensureTopics(admin, prefix, [TOPICS.discounts, TOPICS.dlq], partitions);
  await admin.disconnect();
  const topic = topicName(prefix, TOPICS.discounts);
  await serde.register(topic, TOPICS.discounts.schema);
  const producer: Producer = createProducer(kafka);
  await producer.connect();
  return {
    topic,
    async publish(items) {
      const messages = await Promise.all(items.map(async (d) => ('tombstone' in d
        ? { key: d.tombstone, value: null }
        : { key: dealKey(d.locationId, d.discountId), value: await serde.encode(topic, d) })));
      for (let i = 0; i < messages.length; i += 1000) await producer.send({ topic, messages: messages.slice(i, i + 1000) });
    },
    close: () => producer.disconnect(),
  };
}

/** Polls `check` until it returns true (or throws the last failure after `timeoutMs`). */
export async function eventually(check: () => boolean | Promise<boolean>, timeoutMs: number, what: string): Promise<void> {
  const until = Date.now() + timeoutMs;
  for (;;) {
    if (await check()) return;
    if (Date.now() > until) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 200));
  }
}

/** True when the group has committed every message of the topic (nothing left to process). */
export async function caughtUp(kafka: Kafka, groupId: string, topic: string): Promise<boolean> {
  const admin = kafka.admin();
  await admin.connect();
  try {
    const ends = await admin.fetchTopicOffsets(topic);
    const [committed] = await admin.fetchOffsets({ groupId, topics: [topic] });
    return ends.every((e) => {
      const c = committed?.partitions.find((p) => p.partition === e.partition)?.offset ?? '-1';
      return e.high === '0' || BigInt(c) >= BigInt(e.high);
    });
  } finally {
    await admin.disconnect();
  }
}
