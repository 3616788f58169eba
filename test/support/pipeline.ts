/**
 * Given-helper: the whole pipeline in one process over a test world's real Kafka, registry,
 * Postgres and Redis — sandbox (deals and inventory) -> poller (both cycles, driven by the test)
 * -> normaliser (deals and inventory) -> projector (deals, inventory, enrichment, snapshots) -> deals API.
 */
import type { Consumer, Producer } from 'kafkajs';
import { Registry } from 'prom-client';
import { createProducer } from '../../shared/kafka';
import { TOPICS, topicName } from '../../shared/topics';
import { createEnricher, type Enricher } from '../../services/enricher/enricher';
import { createOdooClient } from '../../services/odoo-sink/odoo-client';
import { redisKeys } from '../../shared/redis';
import type { BuiltPoller } from '../../services/poller/wiring';
import { createNormaliser, type Normaliser } from '../../services/normaliser/consumer';
import { createInventoryNormaliser, type InventoryNormaliser } from '../../services/normaliser/inventory-consumer';
import { startEnrichmentConsumer } from '../../services/projector/enrichment-consumer';
import { startInventoryConsumer } from '../../services/projector/inventory-consumer';
import { loadDealsFromDb, rebuildInventorySnapshot } from '../../services/projector/inventory-projection';
import { createProjector, type Projector } from '../../services/projector/projector';
import { createSwitchLock } from '../../services/projector/switch-lock';
import type { SandboxOptions } from '../../services/sandbox/sandbox';
import { givenDealsApi } from './deals-api';
import type { TestWorld } from './integration';
import { givenSandboxAndPoller, type PollerWorld } from './poller';

export interface PipelineWorld {
  pw: PollerWorld;
  poller: BuiltPoller;
  /** phase 2: reads the sandbox Odoo's catalog (driven by the test: pollOnce, or runLocked) */
  enricher: Enricher;
  app: ReturnType<typeof givenDealsApi>;
  /** one deals cycle and one inventory cycle of the poller */
  pollOnce(): Promise<void>;
  close(): Promise<void>;
}

export async function givenPipeline(world: TestWorld, sandbox: SandboxOptions, now?: () => number, opts: { directory?: boolean } = {}): Promise<PipelineWorld> {
  const pw = await givenSandboxAndPoller(world, sandbox, {}, opts);
  const common = { kafka: world.kafka, serde: world.serde, logger: world.logger, topicPrefix: world.topicPrefix, partitions: 3 };
  const normaliser: Normaliser = createNormaliser({ ...common, groupId: `${world.topicPrefix}normaliser`, fromBeginning: true });
  const invNormaliser: InventoryNormaliser = createInventoryNormaliser({ ...common, groupId: `${world.topicPrefix}normaliser-inventory` });
  const inventoryKey = redisKeys(world.redisPrefix).inventory;
  const snapshotDeps = { db: world.db, redis: world.redis, inventoryKey, loadDeals: (id: string) => loadDealsFromDb(world.db, id), now: Date.now };
  // the live projector's side of a rebuild's switch, as main.ts wires it
  const switchLock = createSwitchLock(world.databaseUrl, 5);
  const projector: Projector = createProjector({
    ...common, db: world.db, switchLock, redis: world.redis, redisPrefix: world.redisPrefix, groupId: 'projector',
    onLocationRebuilt: async (id) => { await rebuildInventorySnapshot(snapshotDeps, id, { onlyIfKnown: true }); },
  });
  await normaliser.start();
  await invNormaliser.start();
  await projector.start();
  const dlqProducer: Producer = createProducer(world.kafka);
  await dlqProducer.connect();
  const invConsumer: Consumer = await startInventoryConsumer({
    ...common, db: world.db, redis: world.redis, producer: dlqProducer, inventoryKey, loadDeals: snapshotDeps.loadDeals,
    groupId: `${world.topicPrefix}projector-inventory`, now: Date.now, switchLock,
  });
  const enrichConsumer: Consumer = await startEnrichmentConsumer({
    ...common, db: world.db, producer: dlqProducer, rebuild: (id) => rebuildInventorySnapshot(snapshotDeps, id, { onlyIfKnown: true }),
    groupId: `${world.topicPrefix}projector-enrichment`, now: Date.now,
  });
  const poller = await pw.poller();
  const enricherProducer = createProducer(world.kafka);
  await enricherProducer.connect();
  const enrichmentTopic = topicName(world.topicPrefix, TOPICS.productEnrichment);
  await world.serde.register(enrichmentTopic, TOPICS.productEnrichment.schema);
  const enricher = createEnricher({
    db: world.db, producer: enricherProducer, encode: (e) => world.serde.encode(enrichmentTopic, e), logger: world.logger, metrics: new Registry(), now: Date.now,
    odoo: createOdooClient({ settings: { url: pw.running.urls.odoo, ...pw.sandbox.odooAuth, timeoutMs: 5000, retries: 1 }, logger: world.logger }),
    settings: { topicPrefix: world.topicPrefix, lockKey: 7_000_714, pageSize: 1000, fullSyncMs: 0 },
  });
  return {
    pw, poller, enricher,
    app: givenDealsApi(world, now === undefined ? {} : { now }),
    async pollOnce() {
      await poller.poller.runLocked();
      await poller.inventory.runLocked();
      await enricher.runLocked();
    },
    async close() {
      await enricherProducer.disconnect();
      await enrichConsumer.disconnect();
      await invConsumer.disconnect();
      await dlqProducer.disconnect();
      await projector.stop();
      await switchLock.close();
      await invNormaliser.stop();
      await normaliser.stop();
      await pw.close();
    },
  };
}
