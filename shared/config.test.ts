import { z } from 'zod';
import { ConfigError, baseEnv, parseConfig } from './config';

describe('config', () => {
  it('uses the local stack in development', () => {
    const env = {};
    const cfg = parseConfig(baseEnv(env), env);
    expect(cfg.KAFKA_BROKERS).toEqual(['127.0.0.1:9092']);
    expect(cfg.DATABASE_URL).toMatch(/^postgres:/);
  });

  it('requires every URL in production and lists every problem at once', () => {
    const env = { NODE_ENV: 'production', KAFKA_PARTITIONS: 'many' };
    try {
      parseConfig(baseEnv(env), env);
      throw new Error('expected a ConfigError');
    } catch (e) {
      expect(e).toBeInstanceOf(ConfigError);
      const problems = (e as ConfigError).problems.join('\n');
      for (const name of ['KAFKA_BROKERS', 'SCHEMA_REGISTRY_URL', 'DATABASE_URL', 'REDIS_URL', 'KAFKA_PARTITIONS']) expect(problems).toContain(name);
    }
  });

  it('never echoes a value in its error', () => {
    const env = { API_KEY: 'sup3r-s3cret-value' };
    expect(() => parseConfig(z.object({ API_KEY: z.string().length(4) }), env)).toThrow(ConfigError);
    try { parseConfig(z.object({ API_KEY: z.string().length(4) }), env); } catch (e) {
      expect((e as Error).message).not.toContain('sup3r');
    }
  });
});
