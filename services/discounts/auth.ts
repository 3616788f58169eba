/**
 * Bearer authentication. A token is a JWT of the business's identity provider naming the caller
 * (`sub`, the subject an employee record is linked to) and the businesses it may act for
 * (`businesses`). `iss`, `aud`, `exp` and `sub` are required and the algorithms are pinned.
 *
 * Where the verification keys come from (key-ring.ts): the provider's JWKS endpoint (RS256/ES256,
 * cached, fetched again for an unknown `kid`), one static public key, or, only when the operator
 * chose development mode, an HS256 development secret. The token's text is never logged.
 */
import { SignJWT, errors, type JWTPayload } from 'jose';
import type { KeyObject } from 'node:crypto';
import { z } from 'zod';
import { DiscountsError } from './errors';
import { createKeyRing, type KeyConfig } from './key-ring';

export { type KeyConfig } from './key-ring';

export interface Caller { subject: string; businesses: readonly string[] }

export interface AuthSettings { keys: KeyConfig; issuer: string; audience: string }

const claims = z.object({
  sub: z.string().min(1).max(255),
  businesses: z.array(z.uuid()).min(1).max(1000),
  exp: z.number(),
});

/** Longer texts are refused before any parsing: no real token comes near it. */
const MAX_TOKEN_CHARS = 8192;

export interface VerifierOptions {
  /** Clock in ms (tests). */
  now?: () => number;
  /** Verified tokens kept (0 verifies every request in full). */
  cacheSize?: number;
}

export type Verifier = ((authorization: string | undefined) => Promise<Caller>) & { cached: () => number };

interface Verified { caller: Caller; exp: number; keys: unknown }

/**
 * A verifier with a cache of verified tokens by their exact text: signature, algorithm, issuer,
 * audience and claims of a given text never change, only time and the key set do. So a cached
 * token is checked against its `exp` on every use (expired when exp <= now in whole seconds) and
 * dropped once expired, and it is verified in full again once the key set it was verified under
 * is replaced (a JWKS fetched again: a key removed by a rotation stops being accepted). A text
 * that differs in any byte is verified in full. Only successes are cached.
 */
export function createVerifier(s: AuthSettings, opts: VerifierOptions = {}): Verifier {
  const ring = createKeyRing(s.keys);
  const now = opts.now ?? Date.now;
  const cacheSize = opts.cacheSize ?? 10_000;
  const verified = new Map<string, Verified>();

  async function verifyInFull(token: string): Promise<Verified> {
    // Read before verifying: a reload during the verification leaves an older mark, so the next
    // use verifies again, which is merely one more verification.
    const keys = ring.generation();
    let payload: JWTPayload;
    try {
      payload = await ring.verify(token, { issuer: s.issuer, audience: s.audience, requiredClaims: ['exp', 'sub'], currentDate: new Date(now()) });
    } catch (e) {
      throw authError(e, ring.remote);
    }
    const c = claims.safeParse(payload);
    if (!c.success) throw new DiscountsError('UNAUTHENTICATED', 'the token does not name a subject and its businesses');
    // frozen: one cached caller is shared by every request bearing the token
    return { caller: Object.freeze({ subject: c.data.sub, businesses: Object.freeze([...c.data.businesses]) }), exp: c.data.exp, keys };
  }

  const verify = async (authorization: string | undefined): Promise<Caller> => {
    const m = /^Bearer +(\S+)$/i.exec(authorization ?? '');
    if (!m?.[1]) throw new DiscountsError('UNAUTHENTICATED', 'a bearer token is required');
    const token = m[1];
    if (token.length > MAX_TOKEN_CHARS) throw new DiscountsError('UNAUTHENTICATED', 'the token is too long');
    const hit = verified.get(token);
    if (hit) {
      if (hit.exp <= Math.floor(now() / 1000)) {
        verified.delete(token);
        throw new DiscountsError('TOKEN_EXPIRED', 'the token has expired');
      }
      if (hit.keys !== undefined && hit.keys === ring.generation()) return hit.caller;
      verified.delete(token);
    }
    const v = await verifyInFull(token);
    if (cacheSize > 0) {
      verified.set(token, v);
      if (verified.size > cacheSize) verified.delete(verified.keys().next().value as string);
    }
    return v.caller;
  };
  return Object.assign(verify, { cached: () => verified.size });
}

/** What a failed verification tells the caller: why, never the token. */
function authError(e: unknown, remoteKeys: boolean): DiscountsError {
  const bad = (detail: string) => new DiscountsError('UNAUTHENTICATED', detail);
  if (e instanceof errors.JWTExpired) return new DiscountsError('TOKEN_EXPIRED', 'the token has expired');
  if (e instanceof errors.JWTClaimValidationFailed) return bad(`the token's ${e.claim} claim is ${e.reason === 'missing' ? 'missing' : 'not accepted'}`);
  if (e instanceof errors.JOSEAlgNotAllowed) return bad("the token's algorithm is not accepted");
  if (e instanceof errors.JWKSNoMatchingKey) return bad('the token is signed by an unknown key');
  if (e instanceof errors.JWSSignatureVerificationFailed) return bad("the token's signature is not valid");
  // The identity provider's JWKS could not be had (down, slow, not a key set): not the caller's fault.
  const keysUnavailable = e instanceof errors.JWKSTimeout || e instanceof errors.JWKSInvalid
    || (e instanceof errors.JOSEError && e.code === 'ERR_JOSE_GENERIC') || !(e instanceof errors.JOSEError);
  if (remoteKeys && keysUnavailable) return new DiscountsError('AUTH_UNAVAILABLE', "the identity provider's keys cannot be fetched now; try again");
  if (e instanceof errors.JOSEError) return bad('the token is not valid');
  throw e;
}

/** How a token is signed: the development secret, or a private key (tests, benchmark, `discounts:token --key`). */
export type SigningKey = { alg: 'HS256'; secret: string } | { alg: 'RS256' | 'ES256'; privateKey: KeyObject; kid?: string };

export interface MintOptions { issuer: string; audience: string; ttlSeconds?: number; nowSeconds?: number }

/** Mints a token for `subject`, covering `businesses`. */
export async function mintToken(key: SigningKey, who: { subject: string; businesses: readonly string[] }, o: MintOptions): Promise<string> {
  const iat = o.nowSeconds ?? Math.floor(Date.now() / 1000);
  const jwt = new SignJWT({ businesses: [...who.businesses] })
    .setSubject(who.subject).setIssuer(o.issuer).setAudience(o.audience).setIssuedAt(iat).setExpirationTime(iat + (o.ttlSeconds ?? 3600));
  if (key.alg === 'HS256') return jwt.setProtectedHeader({ alg: 'HS256' }).sign(new TextEncoder().encode(key.secret));
  return jwt.setProtectedHeader({ alg: key.alg, ...(key.kid ? { kid: key.kid } : {}) }).sign(key.privateKey);
}
