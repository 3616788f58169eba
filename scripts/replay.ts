/** `npm run replay [-- --location <uuid>]`: rebuild Postgres + Redis from deals.discounts.v1, then verify. */
import { parseArgs } from 'node:util';
import { SingleBar, Presets } from 'cli-progress';
import { z } from 'zod';
import { baseEnv, loadConfig } from '../shared/config';
import { createDb } from '../shared/db/db';
import { createKafka } from '../shared/kafka';
import { createLogger } from '../shared/logger';
import { createRedis } from '../shared/redis';
import { AvroSerde } from '../shared/serde';
import { runReplay } from '../services/projector/replay';

async function main(): Promise<number> {
  const { values } = parseArgs({ options: { location: { type: 'string' } } });
  const location = values.location === undefined ? undefined : z.string().uuid().safeParse(values.location);
  if (location && !location.success) { console.error('--location must be a location UUID'); return 2; }
  const cfg = loadConfig('replay', baseEnv(process.env));
  const logger = createLogger('replay', cfg.LOG_LEVEL === 'info' ? 'warn' : cfg.LOG_LEVEL);
  const db = createDb(cfg.DATABASE_URL);
  const redis = createRedis(cfg.REDIS_URL);
  const bar = new SingleBar({ format: 'replay |{bar}| {percentage}% | {value}/{total} events | {eta_formatted} left' }, Presets.shades_classic);
  let started = false;
  try {
    console.log(`replaying deals.discounts.v1${location ? ` for location ${location.data}` : ''} from the earliest offset...`);
    const result = await runReplay({
      kafka: createKafka({ brokers: cfg.KAFKA_BROKERS, clientId: 'replay' }, logger), serde: AvroSerde.create(cfg.SCHEMA_REGISTRY_URL),
      db, redis, logger, topicPrefix: cfg.TOPIC_PREFIX, redisPrefix: cfg.REDIS_KEY_PREFIX, location: location?.data,
      onProgress: (done, total) => { if (!started) { bar.start(total, done); started = true; } else bar.update(done); },
    });
    bar.stop();
    const bad = result.checks.filter((c) => !c.ok);
    console.log(`replayed ${result.events} events; verified ${result.checks.length} location(s): ${result.checks.length - bad.length} match, ${bad.length} mismatch`);
    for (const c of bad) {
      console.log(`  MISMATCH ${c.locationId}: postgres ${c.postgres.count} deals ${c.postgres.checksum.slice(0, 12)} vs redis ${c.redis ? `${c.redis.count} deals ${c.redis.checksum.slice(0, 12)}` : 'missing'}`);
    }
    return result.ok ? 0 : 1;
  } finally {
    bar.stop();
    await db.destroy();
    redis.disconnect();
  }
}

main().then((code) => process.exit(code), (e: unknown) => { console.error(e instanceof Error ? e.message : e); process.exit(1); });
