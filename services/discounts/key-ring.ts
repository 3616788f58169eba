/**
 * The keys bearer tokens are verified with, in one of three set-ups (KeyConfig), each with its
 * algorithms pinned: a token may never choose how it is checked.
 * - `jwks`: the identity provider's JWKS endpoint (RS256/ES256). jose caches the key set, fetches
 *   it again when a token names an unknown `kid` (at most once per cooldown, so random kids cannot
 *   make us hammer the provider) and when it is older than its maximum age: keys rotate without a
 *   restart.
 * - `public-key`: one static PEM public key, for simple set-ups; its algorithm follows from the key.
 * - `development`: an HS256 shared secret; only ever chosen explicitly (config.ts).
 */
import { createPublicKey, type KeyObject } from 'node:crypto';
import { createRemoteJWKSet, jwksCache, jwtVerify, type ExportedJWKSCache, type JWKSCacheInput, type JWTPayload, type JWTVerifyOptions } from 'jose';

export const ASYMMETRIC_ALGS = ['RS256', 'ES256'] as const;
export type AsymmetricAlg = (typeof ASYMMETRIC_ALGS)[number];

export type KeyConfig =
  | { kind: 'jwks'; url: string; algorithms: readonly AsymmetricAlg[]; cooldownMs: number; cacheMaxAgeMs: number; timeoutMs: number }
  | { kind: 'public-key'; pem: string }
  | { kind: 'development'; secret: string };

export interface KeyRing {
  verify(token: string, options: JWTVerifyOptions): Promise<JWTPayload>;
  /**
   * The key set in use now (its identity changes whenever it is replaced); undefined when it must
   * be fetched again before it can be trusted. A token verified under another one is verified again.
   */
  generation(): unknown;
  /** Keys fetched over the network: a failure to fetch them is an outage, not a bad token. */
  remote: boolean;
}

/** The algorithm a PEM public key verifies with, or a reason it cannot be used. */
export function publicKeyAlgorithm(pem: string): { alg: AsymmetricAlg; key: KeyObject } | { problem: string } {
  let key: KeyObject;
  try {
    key = createPublicKey(pem);
  } catch {
    return { problem: 'is not a PEM public key' };
  }
  if (key.asymmetricKeyType === 'rsa') {
    return (key.asymmetricKeyDetails?.modulusLength ?? 0) >= 2048 ? { alg: 'RS256', key } : { problem: 'an RSA key must have at least 2048 bits' };
  }
  if (key.asymmetricKeyType === 'ec' && key.asymmetricKeyDetails?.namedCurve === 'prime256v1') return { alg: 'ES256', key };
  return { problem: 'must be an RSA (RS256) or P-256 (ES256) public key' };
}

export function createKeyRing(c: KeyConfig): KeyRing {
  switch (c.kind) {
    case 'jwks': {
      // jose writes the key set it fetched into this object: its identity is the generation.
      const fetched: Partial<ExportedJWKSCache> = {};
      const set = createRemoteJWKSet(new URL(c.url), {
        cooldownDuration: c.cooldownMs, cacheMaxAge: c.cacheMaxAgeMs, timeoutDuration: c.timeoutMs,
        [jwksCache]: fetched as JWKSCacheInput, // filled in by jose on every fetch
      });
      const algorithms = [...c.algorithms];
      return {
        remote: true,
        verify: async (token, o) => (await jwtVerify(token, set, { ...o, algorithms })).payload,
        generation: () => (set.fresh ? fetched.jwks : undefined),
      };
    }
    case 'public-key': {
      const k = publicKeyAlgorithm(c.pem);
      if ('problem' in k) throw new Error(`the public key ${k.problem}`);
      const algorithms = [k.alg];
      return { remote: false, verify: async (token, o) => (await jwtVerify(token, k.key, { ...o, algorithms })).payload, generation: () => k.key };
    }
    case 'development': {
      const secret = new TextEncoder().encode(c.secret);
      return { remote: false, verify: async (token, o) => (await jwtVerify(token, secret, { ...o, algorithms: ['HS256'] })).payload, generation: () => secret };
    }
    default: {
      const _exhaustive: never = c;
      return _exhaustive;
    }
  }
}
