import { ConfigError, parseConfig } from '../../shared/config';
import { dealsApiEnv } from './config';

const parse = (env: NodeJS.ProcessEnv) => parseConfig(dealsApiEnv(env), env);

describe('deals API configuration', () => {
  it('limits 3,000 requests a minute per address, exempts nobody and trusts no proxy by default', () => {
    expect(parse({})).toMatchObject({ RATE_LIMIT_PER_MIN: 3000, RATE_LIMIT_EXEMPT: [], TRUST_PROXY: false, UNKNOWN_LOCATION_TTL_MS: 30_000 });
  });

  it('reloads the known stores and re-checks held values against Postgres every 5 s, and gives Redis and Postgres 1 s', () => {
    expect(parse({})).toMatchObject({ KNOWN_STORES_REFRESH_MS: 5_000, FALLBACK_REFRESH_MS: 5_000, DEPENDENCY_TIMEOUT_MS: 1_000 });
    expect(() => parse({ KNOWN_STORES_REFRESH_MS: '0' })).toThrow(ConfigError); // never off: an unknown id must be a 404
  });

  it('takes exempt addresses and CIDR blocks, and a proxy hop count or list', () => {
    expect(parse({ RATE_LIMIT_EXEMPT: '10.0.0.0/8, 203.0.113.7', TRUST_PROXY: '2', RATE_LIMIT_PER_MIN: '0' })).toMatchObject({
      RATE_LIMIT_EXEMPT: ['10.0.0.0/8', '203.0.113.7'], TRUST_PROXY: 2, RATE_LIMIT_PER_MIN: 0,
    });
    expect(parse({ TRUST_PROXY: 'loopback, 10.0.0.0/8' }).TRUST_PROXY).toBe('loopback, 10.0.0.0/8');
    expect(parse({ TRUST_PROXY: 'true' }).TRUST_PROXY).toBe(true);
  });

  it('refuses an exemption that is not an address, naming the variable only', () => {
    let error: unknown;
    try { parse({ RATE_LIMIT_EXEMPT: 'storefront.example.com' }); } catch (e) { error = e; }
    expect(error).toBeInstanceOf(ConfigError);
    expect((error as ConfigError).problems.join()).toMatch(/RATE_LIMIT_EXEMPT: entries must be IP addresses or CIDR blocks/);
  });
});
