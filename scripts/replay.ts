/**
 * `npm run replay [-- --inventory] [--allow-fewer] [--quiet-s <n>]`: rebuilds the deals read model
 * from deals.discounts.v1 (or, with --inventory, the inventory one from inventory.items.v2) into a
 * shadow generation while the live one keeps serving and updating, verifies it per location against
 * the topic, then switches readers to it atomically (services/projector/rebuild.ts). Progress bar
 * with ETA, then a report. Exit 0 when switched, 1 when not (the live data is untouched then).
 * Ctrl-C or a kill stops it: the live data is untouched, and the next run drops the shadow it left.
 * `npm run replay -- --enrichment`: rebuilds `product_enrichment` from products.enrichment.v1 in place
 * and the inventory snapshots that join it (services/projector/enrichment-replay.ts).
 */
import { parseArgs } from 'node:util';
import { SingleBar, Presets } from 'cli-progress';
import { z } from 'zod';
import { baseEnv, loadConfig } from '../shared/config';
import { createKafka, createProducer } from '../shared/kafka';
import { createLogger } from '../shared/logger';
import { createRedis } from '../shared/redis';
import { AvroSerde } from '../shared/serde';
import { createDb, warnIdleError } from '../shared/db/db';
import { runEnrichmentReplay } from '../services/projector/enrichment-replay';
import { runInventoryReplay } from '../services/projector/inventory-replay';
import type { RebuildReport } from '../services/projector/rebuild';
import { runReplay } from '../services/projector/replay';

function print(r: RebuildReport): void {
  const bad = r.locations.filter((l) => !l.ok);
  console.log(`${r.kind} rebuild: ${r.events} events in ${r.seconds.toFixed(1)} s (${r.eventsPerSecond}/s), ${r.catchUpEvents} read under the switch lock`);
  console.log(`  records: ${r.rebuiltRecords} rebuilt vs ${r.liveRecords} live before; ${r.locations.length} location(s) verified, ${r.locations.length - bad.length} match, ${bad.length} mismatch`);
  for (const l of bad.slice(0, 20)) {
    console.log(`  MISMATCH ${l.locationId}: topic ${l.topic ? `${l.topic.count} ${l.topic.checksum.slice(0, 12)}` : 'none'} vs postgres ${l.postgres ? `${l.postgres.count} ${l.postgres.checksum.slice(0, 12)}` : 'none'}; redis ${l.redis ? 'ok' : 'differs'}`);
  }
  if (r.quietEnds.length) console.log(`  partitions ${r.quietEnds.join(', ')} ended before their end offset (last records compacted away)`);
  console.log(r.switched ? '  SWITCHED: readers now see the rebuilt data; the old generation is dropped' : `  NOT SWITCHED: ${r.reason ?? 'stopped'}; the live data is untouched`);
}

async function main(): Promise<number> {
  const { values } = parseArgs({ options: {
    inventory: { type: 'boolean', default: false }, enrichment: { type: 'boolean', default: false }, 'allow-fewer': { type: 'boolean', default: false }, 'quiet-s': { type: 'string' },
  } });
  const quiet = z.coerce.number().positive().optional().safeParse(values['quiet-s']);
  if (!quiet.success) { console.error('--quiet-s must be a positive number of seconds'); return 2; }
  const cfg = loadConfig('replay', baseEnv(process.env));
  const logger = createLogger('replay', cfg.LOG_LEVEL === 'info' ? 'warn' : cfg.LOG_LEVEL);
  const redis = createRedis(cfg.REDIS_URL);
  const kafka = createKafka({ brokers: cfg.KAFKA_BROKERS, clientId: 'replay' }, logger);
  const serde = AvroSerde.create(cfg.SCHEMA_REGISTRY_URL);
  const bar = new SingleBar({ format: 'replay |{bar}| {percentage}% | {value}/{total} events | {eta_formatted} left' }, Presets.shades_classic);
  let started = false;
  const onProgress = (done: number, total: number): void => { if (!started) { bar.start(total, done); started = true; } else bar.update(done); };
  const producer = createProducer(kafka);
  const common = {
    kafka, serde, redis, logger, databaseUrl: cfg.DATABASE_URL, topicPrefix: cfg.TOPIC_PREFIX, redisPrefix: cfg.REDIS_KEY_PREFIX, onProgress,
    allowFewer: values['allow-fewer'], quietMs: quiet.data === undefined ? undefined : quiet.data * 1000,
    onPhase: (phase: string) => { if (phase === 'verified') { bar.stop(); console.log('verified; switching (the live projector pauses between batches)...'); } },
  };
  try {
    if (values.enrichment) {
      console.log('replaying products.enrichment.v1 from the earliest offset (in place)...');
      const db = createDb(cfg.DATABASE_URL, 4, warnIdleError(logger));
      try {
        await producer.connect();
        const result = await runEnrichmentReplay({ ...common, db, producer });
        bar.stop();
        console.log(`replayed ${result.events} enrichment events; rebuilt the snapshots of ${result.locations} location(s)`);
        return 0;
      } finally {
        await db.destroy();
      }
    }
    console.log(`rebuilding the ${values.inventory ? 'inventory' : 'deals'} read model into a shadow generation (live data keeps serving)...`);
    let report: RebuildReport;
    if (values.inventory) {
      await producer.connect();
      report = await runInventoryReplay({ ...common, producer });
    } else {
      report = await runReplay(common);
    }
    bar.stop();
    print(report);
    return report.switched ? 0 : 1;
  } finally {
    bar.stop();
    await producer.disconnect();
    redis.disconnect();
  }
}

main().then((code) => process.exit(code), (e: unknown) => { console.error(e instanceof Error ? e.message : e); process.exit(1); });
