/**
 * Configuration: every service parses its environment once, at start-up, with a zod schema.
 * All problems are listed together, then the process exits non-zero. URLs and secrets have
 * development defaults (the local stack) only outside production: in production they are required.
 */
import { z } from 'zod';

export class ConfigError extends Error {
  constructor(readonly problems: string[]) {
    super(`invalid configuration:\n${problems.map((p) => `  - ${p}`).join('\n')}`);
  }
}

/** The local stack (`npm run stack:up`) as development defaults. */
export const LOCAL_STACK = {
  KAFKA_BROKERS: '127.0.0.1:9092',
  SCHEMA_REGISTRY_URL: 'http://127.0.0.1:8081/apis/ccompat/v7',
  DATABASE_URL: 'postgres://postgres@127.0.0.1:5432/dealstream',
  REDIS_URL: 'redis://127.0.0.1:6379',
} as const;

export const isProduction = (env: NodeJS.ProcessEnv): boolean => env.NODE_ENV === 'production';

/** A required string that falls back to `devValue` outside production. */
export function devDefault<T extends z.ZodType>(env: NodeJS.ProcessEnv, schema: T, devValue: string) {
  return isProduction(env) ? schema : z.preprocess((v) => v ?? devValue, schema);
}

const csv = z.string().min(1).transform((s) => s.split(',').map((x) => x.trim()).filter(Boolean));
const port = z.coerce.number().int().min(0).max(65535);

/** Settings shared by every service: where the stack is and how names are prefixed. */
export function baseEnv(env: NodeJS.ProcessEnv) {
  return z.object({
    NODE_ENV: z.enum(['development', 'test', 'production']).default('development'),
    LOG_LEVEL: z.enum(['trace', 'debug', 'info', 'warn', 'error', 'fatal', 'silent']).default('info'),
    KAFKA_BROKERS: devDefault(env, csv, LOCAL_STACK.KAFKA_BROKERS),
    SCHEMA_REGISTRY_URL: devDefault(env, z.string().url(), LOCAL_STACK.SCHEMA_REGISTRY_URL),
    DATABASE_URL: devDefault(env, z.string().url(), LOCAL_STACK.DATABASE_URL),
    REDIS_URL: devDefault(env, z.string().url(), LOCAL_STACK.REDIS_URL),
    /** Prepended to every topic and consumer group name (tests use it for isolation). */
    TOPIC_PREFIX: z.string().regex(/^[A-Za-z0-9._-]*$/).default(''),
    /** Prepended to every Redis key (tests use it for isolation). */
    REDIS_KEY_PREFIX: z.string().default(''),
    KAFKA_PARTITIONS: z.coerce.number().int().min(1).default(3),
    METRICS_PORT: port.optional(),
  });
}

export const portVar = port;
export const csvVar = csv;

/** Parses `env` with `schema`; throws a ConfigError listing every problem. */
export function parseConfig<S extends z.ZodType>(schema: S, env: NodeJS.ProcessEnv = process.env): z.infer<S> {
  const res = schema.safeParse(env);
  if (res.success) return res.data;
  // Never echo values: they may be secrets. Name the variable and the problem only.
  throw new ConfigError(res.error.issues.map((i) => `${i.path.join('.') || '(env)'}: ${i.message}`));
}

/** parseConfig for a service's main: prints every problem and exits 1. */
export function loadConfig<S extends z.ZodType>(service: string, schema: S, env: NodeJS.ProcessEnv = process.env): z.infer<S> {
  try {
    return parseConfig(schema, env);
  } catch (e) {
    if (!(e instanceof ConfigError)) throw e;
    console.error(JSON.stringify({ level: 'fatal', service, msg: 'invalid configuration', problems: e.problems }));
    process.exit(1);
  }
}
