/**
 * Bearer authentication: an HS256 JWT (jose) naming the caller (`sub`) and the businesses it may
 * act for (`businesses`). Verified on every request; the token's text is never logged.
 */
import { SignJWT, errors, jwtVerify } from 'jose';
import { z } from 'zod';
import { DiscountsError } from './errors';

export interface Caller { userId: string; businesses: string[] }

const claims = z.object({ sub: z.uuid(), businesses: z.array(z.uuid()).min(1), exp: z.number().optional() });

export interface AuthSettings { secret: string; issuer: string; audience: string }

const key = (secret: string): Uint8Array => new TextEncoder().encode(secret);

export interface VerifierOptions {
  /** Clock in ms (tests). */
  now?: () => number;
  /** Verified tokens kept (0 verifies every request in full). */
  cacheSize?: number;
}

export type Verifier = ((authorization: string | undefined) => Promise<Caller>) & { cached: () => number };

/**
 * A verifier with a cache of verified tokens by their exact text: signature, algorithm, issuer,
 * audience and claims of a given text never change, only time does. So a cached token is checked
 * against its `exp` on every use, as jwtVerify would (expired when exp <= now in whole seconds),
 * and dropped once expired; a text that differs in any byte is verified in full. Only successes
 * are cached (a not-yet-valid `nbf` fails and is verified again next time).
 */
export function createVerifier(s: AuthSettings, opts: VerifierOptions = {}): Verifier {
  const k = key(s.secret);
  const now = opts.now ?? Date.now;
  const cacheSize = opts.cacheSize ?? 10_000;
  const verified = new Map<string, { caller: Caller; exp: number | undefined }>();

  async function verifyInFull(token: string): Promise<{ caller: Caller; exp: number | undefined }> {
    let payload: unknown;
    try {
      ({ payload } = await jwtVerify(token, k, { issuer: s.issuer, audience: s.audience, algorithms: ['HS256'], currentDate: new Date(now()) }));
    } catch (e) {
      if (e instanceof errors.JWTExpired) throw new DiscountsError('TOKEN_EXPIRED', 'the token has expired');
      throw new DiscountsError('UNAUTHENTICATED', 'the token is not valid');
    }
    const c = claims.safeParse(payload);
    if (!c.success) throw new DiscountsError('UNAUTHENTICATED', 'the token does not name a caller and its businesses');
    // frozen: one cached caller is shared by every request bearing the token
    return { caller: Object.freeze({ userId: c.data.sub, businesses: Object.freeze([...c.data.businesses]) as string[] }), exp: c.data.exp };
  }

  const verify = async (authorization: string | undefined): Promise<Caller> => {
    const m = /^Bearer\s+(\S+)$/i.exec(authorization ?? '');
    if (!m?.[1]) throw new DiscountsError('UNAUTHENTICATED', 'a bearer token is required');
    const token = m[1];
    const hit = verified.get(token);
    if (hit) {
      if (hit.exp === undefined || hit.exp > Math.floor(now() / 1000)) return hit.caller;
      verified.delete(token);
      throw new DiscountsError('TOKEN_EXPIRED', 'the token has expired');
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

/** Mints a token (development script, tests, benchmark). */
export async function mintToken(s: AuthSettings, caller: Caller, ttlSeconds = 3600): Promise<string> {
  return new SignJWT({ businesses: caller.businesses })
    .setProtectedHeader({ alg: 'HS256' })
    .setSubject(caller.userId)
    .setIssuer(s.issuer)
    .setAudience(s.audience)
    .setIssuedAt()
    .setExpirationTime(Math.floor(Date.now() / 1000) + ttlSeconds)
    .sign(key(s.secret));
}
