import { ConfigError } from '../../shared/config';
import { DEV_JWT_SECRET, parseDiscountsConfig } from './config';

describe('discounts configuration', () => {
  it('defaults to the development secret and port 3002 outside production', () => {
    const cfg = parseDiscountsConfig({});
    expect(cfg.DISCOUNTS_PORT).toBe(3002);
    expect(cfg.DISCOUNTS_JWT_SECRET).toBe(DEV_JWT_SECRET);
  });

  it('requires the JWT secret (and every address) in production, without echoing values', () => {
    const env = { NODE_ENV: 'production', KAFKA_BROKERS: 'k:9092', SCHEMA_REGISTRY_URL: 'http://r', DATABASE_URL: 'postgres://u:hunter2@db/x', REDIS_URL: 'redis://r' };
    expect(() => parseDiscountsConfig(env)).toThrow(ConfigError);
    try { parseDiscountsConfig(env); } catch (e) {
      expect((e as ConfigError).problems.join('\n')).toMatch(/DISCOUNTS_JWT_SECRET/);
      expect((e as ConfigError).message).not.toMatch(/hunter2/);
    }
    expect(() => parseDiscountsConfig({ ...env, DISCOUNTS_JWT_SECRET: 'short' })).toThrow(/at least 32/);
    expect(parseDiscountsConfig({ ...env, DISCOUNTS_JWT_SECRET: 'x'.repeat(40) }).DISCOUNTS_JWT_SECRET).toHaveLength(40);
  });
});
