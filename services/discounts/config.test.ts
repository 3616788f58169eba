import { makeTestKey } from '../../test/support/auth';
import { ConfigError } from '../../shared/config';
import { DEV_JWT_SECRET, parseDiscountsConfig } from './config';

const problemsOf = (env: NodeJS.ProcessEnv): string => {
  try {
    parseDiscountsConfig(env);
  } catch (e) {
    if (e instanceof ConfigError) return e.problems.join('\n');
    throw e;
  }
  return '';
};

const PROD = { NODE_ENV: 'production', KAFKA_BROKERS: 'k:9092', SCHEMA_REGISTRY_URL: 'http://r', DATABASE_URL: 'postgres://u:hunter2@db/x', REDIS_URL: 'redis://r' };
const ISSUER = 'https://idp.example.test/';

describe('discounts configuration: where token keys come from', () => {
  it('missing key material is a start-up error, in development too', () => {
    expect(problemsOf({})).toMatch(/DISCOUNTS_AUTH_MODE: no key material: set DISCOUNTS_JWKS_URL/);
    const p = problemsOf(PROD);
    expect(p).toMatch(/no key material/);
    expect(p).not.toMatch(/hunter2/); // values are never echoed
  });

  it('the development secret only when development mode is chosen by name, and never in production', () => {
    const cfg = parseDiscountsConfig({ DISCOUNTS_AUTH_MODE: 'development' });
    expect(cfg.DISCOUNTS_PORT).toBe(3002);
    expect(cfg.authMode).toBe('development');
    expect(cfg.auth.keys).toEqual({ kind: 'development', secret: DEV_JWT_SECRET });
    expect(problemsOf({ ...PROD, DISCOUNTS_AUTH_MODE: 'development' })).toMatch(/development mode is refused with NODE_ENV=production/);
    expect(problemsOf({ DISCOUNTS_AUTH_MODE: 'development', DISCOUNTS_JWT_SECRET: 'short' })).toMatch(/at least 32/);
  });

  it('a JWKS endpoint: issuer required, algorithms pinned to RS256/ES256, no shared secret beside it', () => {
    const cfg = parseDiscountsConfig({ ...PROD, DISCOUNTS_JWKS_URL: 'https://idp.example.test/.well-known/jwks.json', DISCOUNTS_JWT_ISSUER: ISSUER });
    expect(cfg.auth).toEqual({
      issuer: ISSUER, audience: 'dealstream-discounts',
      keys: { kind: 'jwks', url: 'https://idp.example.test/.well-known/jwks.json', algorithms: ['RS256', 'ES256'], cooldownMs: 30_000, cacheMaxAgeMs: 600_000, timeoutMs: 5000 },
    });
    expect(problemsOf({ ...PROD, DISCOUNTS_JWKS_URL: 'https://idp/jwks' })).toMatch(/DISCOUNTS_JWT_ISSUER: required with real keys/);
    expect(problemsOf({ ...PROD, DISCOUNTS_JWKS_URL: 'https://idp/jwks', DISCOUNTS_JWT_ISSUER: ISSUER, DISCOUNTS_JWT_ALGORITHMS: 'HS256' })).toMatch(/DISCOUNTS_JWT_ALGORITHMS/);
    expect(problemsOf({ ...PROD, DISCOUNTS_JWKS_URL: 'https://idp/jwks', DISCOUNTS_JWT_ISSUER: ISSUER, DISCOUNTS_JWT_SECRET: 'x'.repeat(40) }))
      .toMatch(/DISCOUNTS_JWT_SECRET: a shared secret is accepted only in development mode/);
    expect(problemsOf({ ...PROD, DISCOUNTS_AUTH_MODE: 'jwks', DISCOUNTS_JWT_ISSUER: ISSUER })).toMatch(/DISCOUNTS_JWKS_URL: required/);
  });

  it('a static public key (PEM, line breaks as \\n allowed): RSA or P-256 only, and not beside a JWKS', () => {
    const pem = makeTestKey('ES256').publicPem;
    const cfg = parseDiscountsConfig({ ...PROD, DISCOUNTS_JWT_PUBLIC_KEY: pem.replace(/\n/g, '\\n'), DISCOUNTS_JWT_ISSUER: ISSUER });
    expect(cfg.auth.keys).toEqual({ kind: 'public-key', pem });
    expect(problemsOf({ ...PROD, DISCOUNTS_JWT_PUBLIC_KEY: 'not a key', DISCOUNTS_JWT_ISSUER: ISSUER })).toMatch(/DISCOUNTS_JWT_PUBLIC_KEY: is not a PEM public key/);
    expect(problemsOf({ ...PROD, DISCOUNTS_JWT_PUBLIC_KEY: pem, DISCOUNTS_JWKS_URL: 'https://idp/jwks', DISCOUNTS_JWT_ISSUER: ISSUER })).toMatch(/not both/);
  });
});
