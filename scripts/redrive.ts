/**
 * `npm run redrive -- --topic <dlq> [--reason <text>] [--since <iso>] [--dry-run] [--again] [--wait-s <n>]`:
 * re-publishes the matching dead letters of a DLQ topic (e.g. deals.dlq.v1; TOPIC_PREFIX is added)
 * to their origin topics (shared/redrive.ts), then reports how many went back and how many were
 * dead-lettered again. `--dry-run` changes nothing; a letter goes back once unless `--again`.
 * Exit 0 when nothing was dead-lettered again, 1 otherwise (or when that is not known).
 */
import { parseArgs } from 'node:util';
import { z } from 'zod';
import { baseEnv, loadConfig } from '../shared/config';
import { createDb } from '../shared/db/db';
import { createKafka } from '../shared/kafka';
import { createLogger } from '../shared/logger';
import { redrive } from '../shared/redrive';

const args = z.object({
  topic: z.string().min(1, '--topic <dlq topic> is required'),
  reason: z.string().min(1).optional(),
  since: z.string().datetime({ offset: true, message: '--since must be an ISO instant, e.g. 2026-12-01T00:00:00Z' }).optional(),
  'dry-run': z.boolean(),
  again: z.boolean(),
  'wait-s': z.coerce.number().int().min(0).max(3600).default(30),
});

async function main(): Promise<number> {
  const { values } = parseArgs({ options: {
    topic: { type: 'string' }, reason: { type: 'string' }, since: { type: 'string' }, 'dry-run': { type: 'boolean', default: false },
    again: { type: 'boolean', default: false }, 'wait-s': { type: 'string' },
  } });
  const parsed = args.safeParse(values);
  if (!parsed.success) { console.error(parsed.error.issues.map((i) => i.message).join('\n')); return 2; }
  const a = parsed.data;
  const cfg = loadConfig('redrive', baseEnv(process.env));
  const logger = createLogger('redrive', cfg.LOG_LEVEL === 'info' ? 'warn' : cfg.LOG_LEVEL);
  const kafka = createKafka({ brokers: cfg.KAFKA_BROKERS, clientId: 'redrive' }, logger);
  const db = createDb(cfg.DATABASE_URL, 2);
  try {
    const r = await redrive({ kafka, db, topicPrefix: cfg.TOPIC_PREFIX, waitMs: a['wait-s'] * 1000 }, `${cfg.TOPIC_PREFIX}${a.topic}`,
      { reason: a.reason, sinceMs: a.since === undefined ? undefined : Date.parse(a.since), again: a.again }, a['dry-run']);
    const total = Object.values(r.sent).reduce((n, x) => n + x, 0);
    console.log(`${r.scanned} dead letter(s) read, ${r.matched} match, ${r.skipped} already redriven (--again redrives them)`);
    for (const [topic, n] of Object.entries(r.sent)) console.log(`  ${r.dryRun ? 'would go back' : 'went back'} to ${topic}: ${n}`);
    if (r.dryRun) console.log(`dry run: ${total} would go back; nothing was changed`);
    else console.log(`${total} went back (run ${r.runId}); dead-lettered again: ${r.deadLetteredAgain ?? 'not known yet (the consumers did not catch up in time)'}`);
    console.log(JSON.stringify(r));
    return r.dryRun || r.deadLetteredAgain === 0 ? 0 : 1;
  } finally {
    await db.destroy();
  }
}

main().then((code) => process.exit(code), (e: unknown) => { console.error(e instanceof Error ? e.message : e); process.exit(1); });
