/**
 * Bearer authentication: an HS256 JWT (jose) naming the caller (`sub`) and the businesses it may
 * act for (`businesses`). Verified on every request; the token's text is never logged.
 */
import { SignJWT, errors, jwtVerify } from 'jose';
import { z } from 'zod';
import { DiscountsError } from './errors';

export interface Caller { userId: string; businesses: string[] }

const claims = z.object({ sub: z.uuid(), businesses: z.array(z.uuid()).min(1) });

export interface AuthSettings { secret: string; issuer: string; audience: string }

const key = (secret: string): Uint8Array => new TextEncoder().encode(secret);

export function createVerifier(s: AuthSettings) {
  const k = key(s.secret);
  return async (authorization: string | undefined): Promise<Caller> => {
    const m = /^Bearer\s+(\S+)$/i.exec(authorization ?? '');
    if (!m?.[1]) throw new DiscountsError('UNAUTHENTICATED', 'a bearer token is required');
    let payload: unknown;
    try {
      ({ payload } = await jwtVerify(m[1], k, { issuer: s.issuer, audience: s.audience, algorithms: ['HS256'] }));
    } catch (e) {
      if (e instanceof errors.JWTExpired) throw new DiscountsError('TOKEN_EXPIRED', 'the token has expired');
      throw new DiscountsError('UNAUTHENTICATED', 'the token is not valid');
    }
    const c = claims.safeParse(payload);
    if (!c.success) throw new DiscountsError('UNAUTHENTICATED', 'the token does not name a caller and its businesses');
    return { userId: c.data.sub, businesses: c.data.businesses };
  };
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
