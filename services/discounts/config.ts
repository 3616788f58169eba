/** Configuration of the discounts service (HTTP API, outbox relay, loyalty consumer). */
import { z } from 'zod';
import { baseEnv, csvVar, isProduction, parseConfig, portVar } from '../../shared/config';
import type { AuthSettings } from './auth';
import { GROUP_COMMIT_DEFAULTS } from './group-commit';
import { ASYMMETRIC_ALGS, publicKeyAlgorithm, type KeyConfig } from './key-ring';

/** Default relay linger: bounds the publish delay it adds under load. */
export const RELAY_LINGER_MS = 20;

/** Signing secret of development mode (DISCOUNTS_AUTH_MODE=development) when DISCOUNTS_JWT_SECRET is not set. */
export const DEV_JWT_SECRET = 'dealstream-discounts-development-secret-not-for-production';
/** `iss` of development tokens; with real keys the issuer must be named. */
export const DEV_JWT_ISSUER = 'dealstream';
export const DEFAULT_JWT_AUDIENCE = 'dealstream-discounts';

export const AUTH_MODES = ['jwks', 'public-key', 'development'] as const;
export type AuthMode = (typeof AUTH_MODES)[number];

const int = (min: number, max: number) => z.coerce.number().int().min(min).max(max);
/** A PEM in one environment line may carry its line breaks as `\n`. */
const pem = z.string().min(1).transform((s) => s.replace(/\\n/g, '\n'));

function fields() {
  return {
    DISCOUNTS_PORT: portVar.default(3002),
    /** Where token keys come from; when unset, from whichever of DISCOUNTS_JWKS_URL / DISCOUNTS_JWT_PUBLIC_KEY is set. */
    DISCOUNTS_AUTH_MODE: z.enum(AUTH_MODES).optional(),
    DISCOUNTS_JWKS_URL: z.url({ protocol: /^https?$/ }).optional(),
    DISCOUNTS_JWKS_COOLDOWN_MS: int(0, 3_600_000).default(30_000),
    DISCOUNTS_JWKS_CACHE_MAX_AGE_MS: int(1000, 86_400_000).default(600_000),
    DISCOUNTS_JWKS_TIMEOUT_MS: int(100, 60_000).default(5000),
    DISCOUNTS_JWT_ALGORITHMS: csvVar.pipe(z.array(z.enum(ASYMMETRIC_ALGS)).min(1)).default([...ASYMMETRIC_ALGS]),
    DISCOUNTS_JWT_PUBLIC_KEY: pem.optional(),
    /** HS256 secret of development mode only, at least 32 characters. */
    DISCOUNTS_JWT_SECRET: z.string().min(32, 'must be at least 32 characters').optional(),
    DISCOUNTS_JWT_ISSUER: z.string().min(1).optional(),
    DISCOUNTS_JWT_AUDIENCE: z.string().min(1).default(DEFAULT_JWT_AUDIENCE),
    /** Request limits: JSON body size and the total size of the request headers. */
    DISCOUNTS_MAX_BODY_BYTES: int(1024, 10 * 1024 * 1024).default(256 * 1024),
    DISCOUNTS_MAX_HEADER_BYTES: int(1024, 64 * 1024).default(16 * 1024),
    DISCOUNTS_DB_POOL: z.coerce.number().int().min(1).default(20),
    /** Group commit of applications: most per statement, most statements in flight. */
    DISCOUNTS_WRITE_BATCH: int(1, 1000).default(GROUP_COMMIT_DEFAULTS.maxBatch),
    DISCOUNTS_WRITE_CONCURRENCY: int(1, 100).default(GROUP_COMMIT_DEFAULTS.concurrency),
    /** Outbox relay: rows per batch and idle poll interval. */
    DISCOUNTS_RELAY_BATCH: int(1, 5000).default(500),
    DISCOUNTS_RELAY_POLL_MS: z.coerce.number().int().min(5).default(100),
    /** Outbox relay: pause after a partial batch (rows gather instead of one claim + publish each). */
    DISCOUNTS_RELAY_LINGER_MS: int(0, 1000).default(RELAY_LINGER_MS),
  };
}

type Fields = z.infer<z.ZodObject<ReturnType<typeof fields>>>;
type AuthFields = Pick<Fields, Extract<keyof Fields, `DISCOUNTS_${'AUTH' | 'JWKS' | 'JWT'}${string}`>>;

type Problem = { path: string; message: string };

/**
 * The key set-up the variables describe, or every problem with them. Missing key material is a
 * start-up error; the development secret is used only when development mode is chosen by name,
 * and never in production.
 */
export function resolveAuth(c: AuthFields, production: boolean): { auth: AuthSettings; mode: AuthMode } | { problems: Problem[] } {
  const problems: Problem[] = [];
  const problem = (path: string, message: string) => { problems.push({ path, message }); };
  if (c.DISCOUNTS_JWKS_URL && c.DISCOUNTS_JWT_PUBLIC_KEY) problem('DISCOUNTS_JWT_PUBLIC_KEY', 'set DISCOUNTS_JWKS_URL or DISCOUNTS_JWT_PUBLIC_KEY, not both');
  const mode = c.DISCOUNTS_AUTH_MODE ?? (c.DISCOUNTS_JWKS_URL ? 'jwks' : c.DISCOUNTS_JWT_PUBLIC_KEY ? 'public-key' : undefined);
  const audience = c.DISCOUNTS_JWT_AUDIENCE;
  let keys: KeyConfig | undefined;
  switch (mode) {
    case undefined:
      problem('DISCOUNTS_AUTH_MODE', "no key material: set DISCOUNTS_JWKS_URL (the identity provider's JWKS) or DISCOUNTS_JWT_PUBLIC_KEY, "
        + "or DISCOUNTS_AUTH_MODE=development on a developer's machine");
      break;
    case 'development':
      if (production) problem('DISCOUNTS_AUTH_MODE', 'development mode is refused with NODE_ENV=production');
      if (c.DISCOUNTS_JWKS_URL || c.DISCOUNTS_JWT_PUBLIC_KEY) problem('DISCOUNTS_AUTH_MODE', 'development mode uses a shared secret: unset DISCOUNTS_JWKS_URL / DISCOUNTS_JWT_PUBLIC_KEY, or choose their mode');
      keys = { kind: 'development', secret: c.DISCOUNTS_JWT_SECRET ?? DEV_JWT_SECRET };
      break;
    case 'jwks':
      if (!c.DISCOUNTS_JWKS_URL) problem('DISCOUNTS_JWKS_URL', 'required by DISCOUNTS_AUTH_MODE=jwks');
      else keys = { kind: 'jwks', url: c.DISCOUNTS_JWKS_URL, algorithms: c.DISCOUNTS_JWT_ALGORITHMS, cooldownMs: c.DISCOUNTS_JWKS_COOLDOWN_MS, cacheMaxAgeMs: c.DISCOUNTS_JWKS_CACHE_MAX_AGE_MS, timeoutMs: c.DISCOUNTS_JWKS_TIMEOUT_MS };
      break;
    case 'public-key': {
      const checked = c.DISCOUNTS_JWT_PUBLIC_KEY === undefined ? { problem: 'is required by DISCOUNTS_AUTH_MODE=public-key' } : publicKeyAlgorithm(c.DISCOUNTS_JWT_PUBLIC_KEY);
      if ('problem' in checked) problem('DISCOUNTS_JWT_PUBLIC_KEY', checked.problem);
      else keys = { kind: 'public-key', pem: c.DISCOUNTS_JWT_PUBLIC_KEY! };
      break;
    }
    default: {
      const _exhaustive: never = mode;
      return _exhaustive;
    }
  }
  if (mode !== 'development' && mode !== undefined) {
    if (c.DISCOUNTS_JWT_SECRET) problem('DISCOUNTS_JWT_SECRET', 'a shared secret is accepted only in development mode: every holder could mint tokens');
    if (!c.DISCOUNTS_JWT_ISSUER) problem('DISCOUNTS_JWT_ISSUER', "required with real keys: the identity provider's issuer");
  }
  if (problems.length > 0 || !keys || !mode) return { problems };
  return { mode, auth: { keys, issuer: c.DISCOUNTS_JWT_ISSUER ?? DEV_JWT_ISSUER, audience } };
}

/** The variables of the discounts service, as they are (the seed script and test fixtures need no keys). */
export function discountsEnv(env: NodeJS.ProcessEnv) {
  return baseEnv(env).extend(fields());
}

/** The service's configuration: the variables, and the token keys they describe (`auth`), checked. */
export function discountsServiceEnv(env: NodeJS.ProcessEnv) {
  return discountsEnv(env).transform((c, ctx) => {
    const r = resolveAuth(c, isProduction(env));
    if ('problems' in r) {
      for (const p of r.problems) ctx.addIssue({ code: 'custom', path: [p.path], message: p.message });
      return z.NEVER;
    }
    return { ...c, auth: r.auth, authMode: r.mode };
  });
}

export type DiscountsConfig = z.infer<ReturnType<typeof discountsServiceEnv>>;

export const parseDiscountsConfig = (env: NodeJS.ProcessEnv = process.env): DiscountsConfig => parseConfig(discountsServiceEnv(env), env);
