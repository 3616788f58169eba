/**
 * `npm run topics [-- --fix]`: checks every topic of the pipeline (TOPIC_PREFIX) against its spec in
 * shared/topics.ts (raw history and dead letters kept for ever, canonical topics compacted) and lists
 * what contradicts it; `--fix` sets the required configs on those topics. Exit 1 while any problem remains.
 */
import { parseArgs } from 'node:util';
import { baseEnv, loadConfig } from '../shared/config';
import { createKafka, fixTopicConfigs, topicConfigProblems } from '../shared/kafka';
import { createLogger } from '../shared/logger';
import { TOPICS } from '../shared/topics';

async function main(): Promise<number> {
  const { values } = parseArgs({ options: { fix: { type: 'boolean', default: false } } });
  const cfg = loadConfig('topics', baseEnv(process.env));
  const kafka = createKafka({ brokers: cfg.KAFKA_BROKERS, clientId: 'topics' }, createLogger('topics', 'warn'));
  const admin = kafka.admin();
  await admin.connect();
  try {
    const existing = new Set(await admin.listTopics());
    const specs = Object.values(TOPICS).filter((s) => existing.has(`${cfg.TOPIC_PREFIX}${s.name}`));
    if (values.fix) {
      const fixed = await fixTopicConfigs(admin, cfg.TOPIC_PREFIX, specs);
      for (const t of fixed) console.log(`fixed ${t}`);
    }
    const problems = await topicConfigProblems(admin, cfg.TOPIC_PREFIX, specs);
    for (const p of problems) console.log(`CONTRADICTS ${p}`);
    console.log(`${specs.length} topic(s) checked, ${problems.length} problem(s)`);
    return problems.length === 0 ? 0 : 1;
  } finally {
    await admin.disconnect();
  }
}

main().then((code) => process.exit(code), (e: unknown) => { console.error(e instanceof Error ? e.message : e); process.exit(1); });
