/**
 * Given-helper: the whole pipeline in one process over a test world's real Kafka, registry,
 * Postgres and Redis — sandbox (deals and inventory) -> poller (both cycles, driven by the test)
 * -> normaliser (deals and inventory) -> projector (deals, inventory, snapshots) -> deals API.
 */
import type { Consumer, Producer } from 'kafkajs';
import { createProducer } from '../../shared/kafka';
import { redisKeys } from '../../shared/redis';
import type { BuiltPoller } from '../../services/poller/wiring';
import { createNormaliser, type Normaliser } from '../../services/normaliser/consumer';
import { createInventoryNormaliser, type InventoryNormaliser } from '../../services/normaliser/inventory-consumer';
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
  app: ReturnType<typeof givenDealsApi>;
  /** one deals cycle and one inventory cycle of the poller */
  pollOnce(): Promise<void>;
  close(): Promise<void>;
}

export async function givenPipeline(world: TestWorld, sandbox: SandboxOptions, now?: () => number): Promise<PipelineWorld> {
  const pw = await givenSandboxAndPoller(world, sandbox);
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
  const poller = await pw.poller();
  return {
    pw, poller,
    app: givenDealsApi(world, now === undefined ? {} : { now }),
    async pollOnce() {
      await poller.poller.runLocked();
      await poller.inventory.runLocked();
    },
    async close() {
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
