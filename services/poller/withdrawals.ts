/**
 * Withdrawing the stores the directory marked inactive (`store_withdrawals`): each cycle, under its own
 * lock, publishes the removal of everything it published for such a store, as a feed that lists nothing
 * would (planChanges / diffInventory with an empty feed), then forgets the hashes and records that its
 * part is done. The deal cycle withdraws the Dutchie and PTL deals, the inventory cycle the packages; the
 * row goes once both are done. Removals go through the raw topics like any removal, so the canonical
 * topics get tombstones and a replay agrees. Publishing first, forgetting after: a crash repeats a
 * removal (idempotent), never loses one.
 */
import type { Producer } from 'kafkajs';
import type { Kysely } from '../../shared/db/db';
import type { Database } from '../../shared/db/schema';
import type { Logger } from '../../shared/logger';
import type { AvroSerde } from '../../shared/serde';
import { TOPICS, topicName } from '../../shared/topics';
import { planChanges, type PollLocation, type Source } from './handler';
import { diffInventory } from './inventory-diff';
import type { RawEventEncoder } from './raw-encoder';

export interface WithdrawalDeps {
  db: Kysely<Database>;
  producer: Producer;
  encoders: Record<Source, RawEventEncoder>;
  serde: AvroSerde;
  topicPrefix: string;
  logger: Logger;
  now: () => number;
}

const CHUNK = 500;

export function createWithdrawals(deps: WithdrawalDeps) {
  const { db, producer, logger } = deps;
  const dealTopics: Record<Source, string> = { dutchie: topicName(deps.topicPrefix, TOPICS.rawDutchie), ptl: topicName(deps.topicPrefix, TOPICS.rawPtl) };
  const inventoryTopic = topicName(deps.topicPrefix, TOPICS.inventoryRaw);

  async function send(topic: string, messages: Array<{ key: string; value: Buffer }>): Promise<void> {
    for (let i = 0; i < messages.length; i += CHUNK) await producer.send({ topic, messages: messages.slice(i, i + CHUNK) });
  }

  /** The deal cycle's part: removals of every remembered deal (both sources) of each pending store. */
  async function deals(): Promise<number> {
    const pending = await db.selectFrom('store_withdrawals').selectAll().where('deals_done_at', 'is', null).execute();
    let removed = 0;
    for (const w of pending) {
      const rows = await db.selectFrom('poller_published').select(['discount_id', 'source', 'content_hash']).where('location_id', '=', w.location_id).execute();
      const location: PollLocation = { id: w.location_id, state: w.state, timeZone: w.time_zone, lspId: 0, posLocId: w.pos_loc_id, api: 'pos', orgId: null, odooStoreId: null };
      const fetchedAt = deps.now();
      for (const source of ['dutchie', 'ptl'] as const) {
        const previous = new Map(rows.filter((r) => r.source === source).map((r) => [r.discount_id, r.content_hash]));
        if (previous.size === 0) continue;
        const plan = planChanges({ location, source, api: source === 'ptl' ? 'odoo' : 'pos', fetch: { kind: 'ok', records: [] }, previous, fetchedAt });
        if (plan.kind !== 'publish') continue;
        await send(dealTopics[source], plan.events.map((e) => ({ key: e.key, value: deps.encoders[source](e.value) })));
        removed += plan.removals;
      }
      await done(w, 'deals', rows.length);
    }
    await forgetDone();
    return removed;
  }

  /** The inventory cycle's part: removals of every remembered package of each pending store. */
  async function inventory(): Promise<number> {
    const pending = await db.selectFrom('store_withdrawals').selectAll().where('inventory_done_at', 'is', null).execute();
    let removed = 0;
    for (const w of pending) {
      const rows = await db.selectFrom('inventory_published').select(['inventory_id', 'content_hash']).where('location_id', '=', w.location_id).execute();
      const diff = diffInventory({ api: 'pos', locationId: w.location_id, fetchedAt: deps.now(), fetch: { ok: true, records: [] }, previous: new Map(rows.map((r) => [r.inventory_id, r.content_hash])) });
      if (diff.kind === 'changes' && diff.events.length) {
        await send(inventoryTopic, await Promise.all(diff.events.map(async (e) => ({ key: `${e.locationId}_${e.inventoryId}`, value: await deps.serde.encode(inventoryTopic, e) }))));
        removed += diff.events.length;
      }
      await done(w, 'inventory', rows.length);
    }
    await forgetDone();
    return removed;
  }

  /** A part done: its remembered hashes forgotten and the part marked done, together; logged. */
  async function done(w: { location_id: string; name: string }, part: 'deals' | 'inventory', count: number): Promise<void> {
    await db.transaction().execute(async (tx) => {
      if (part === 'deals') await tx.deleteFrom('poller_published').where('location_id', '=', w.location_id).execute();
      else await tx.deleteFrom('inventory_published').where('location_id', '=', w.location_id).execute();
      await tx.updateTable('store_withdrawals').set(part === 'deals' ? { deals_done_at: new Date(deps.now()) } : { inventory_done_at: new Date(deps.now()) })
        .where('location_id', '=', w.location_id).execute();
    });
    logger.warn({ locationId: w.location_id, name: w.name, [part]: count }, `withdrawn store: its ${part} removed`);
  }

  async function forgetDone(): Promise<void> {
    await db.deleteFrom('store_withdrawals').where('deals_done_at', 'is not', null).where('inventory_done_at', 'is not', null).execute();
  }

  return { deals, inventory };
}
