import { randomUUID } from 'node:crypto';
import { SignJWT } from 'jose';
import { makeTestKey, signClaims, startJwksServer, tamperSignature, type JwksServer } from '../../test/support/auth';
import { createVerifier, mintToken, type AuthSettings, type KeyConfig } from './auth';

const ISSUER = 'https://idp.example.test/';
const AUDIENCE = 'dealstream-discounts';
const business = randomUUID();
const key = makeTestKey('ES256');
const STATIC: AuthSettings = { keys: { kind: 'public-key', pem: key.publicPem }, issuer: ISSUER, audience: AUDIENCE };
const code = (p: Promise<unknown>) => p.then(() => 'ok', (e: { code?: string }) => e.code);
const detail = (p: Promise<unknown>) => p.then(() => 'ok', (e: Error) => e.message);
const mint = (k = key, ttlSeconds = 60, subject = 'emp-1') => mintToken(k.signing, { subject, businesses: [business] }, { issuer: ISSUER, audience: AUDIENCE, ttlSeconds });

describe('bearer verification with a cache of verified tokens', () => {
  let clock: number;
  beforeEach(() => { clock = Date.now(); });

  it('verifies a token once, then serves the same text from the cache', async () => {
    const verify = createVerifier(STATIC, { now: () => clock });
    const token = await mint();
    for (let i = 0; i < 3; i++) expect(await verify(`Bearer ${token}`)).toEqual({ subject: 'emp-1', businesses: [business] });
    expect(verify.cached()).toBe(1);
  });

  it('a cached token still expires at its exp, to the second', async () => {
    const verify = createVerifier(STATIC, { now: () => clock });
    const token = await mint();
    const { exp } = JSON.parse(Buffer.from(token.split('.')[1]!, 'base64url').toString()) as { exp: number };
    expect(await code(verify(`Bearer ${token}`))).toBe('ok');
    clock = exp * 1000 - 1;
    expect(await code(verify(`Bearer ${token}`))).toBe('ok');
    clock = exp * 1000;
    expect(await code(verify(`Bearer ${token}`))).toBe('TOKEN_EXPIRED');
    expect(verify.cached()).toBe(0);
    expect(await code(verify(`Bearer ${token}`))).toBe('TOKEN_EXPIRED'); // and in full, too
  });

  it('a text differing in any byte from a cached token is verified in full', async () => {
    const verify = createVerifier(STATIC, { now: () => clock });
    const token = await mint();
    await verify(`Bearer ${token}`);
    expect(await detail(verify(`Bearer ${tamperSignature(token)}`))).toBe("the token's signature is not valid");
    const [h, , sig] = token.split('.');
    const otherPayload = Buffer.from(JSON.stringify({ sub: 'emp-1', businesses: [business, randomUUID()], iss: ISSUER, aud: AUDIENCE, exp: 2e9 })).toString('base64url');
    expect(await code(verify(`Bearer ${h}.${otherPayload}.${sig}`))).toBe('UNAUTHENTICATED');
    expect(verify.cached()).toBe(1);
  });

  it('tampering flips a bit of the first signature byte, so it never decodes to the same signature', async () => {
    // The HMAC development tokens were the flaky case: 100 of them, each tampered, all refused.
    const dev: AuthSettings = { keys: { kind: 'development', secret: 'd'.repeat(40) }, issuer: ISSUER, audience: AUDIENCE };
    const verify = createVerifier(dev, { cacheSize: 0 });
    for (let i = 0; i < 100; i++) {
      const t = await mintToken({ alg: 'HS256', secret: 'd'.repeat(40) }, { subject: `s${i}`, businesses: [business] }, { issuer: ISSUER, audience: AUDIENCE });
      expect(await code(verify(`Bearer ${tamperSignature(t)}`))).toBe('UNAUTHENTICATED');
    }
  });

  it('failures are not cached, and the cache is bounded', async () => {
    const verify = createVerifier(STATIC, { now: () => clock, cacheSize: 2 });
    expect(await code(verify('Bearer not.a.jwt'))).toBe('UNAUTHENTICATED');
    expect(verify.cached()).toBe(0);
    for (let i = 0; i < 5; i++) await verify(`Bearer ${await mint(key, 60, `s${i}`)}`);
    expect(verify.cached()).toBe(2);
  });
});

describe('what a token must be', () => {
  const verify = createVerifier(STATIC);

  it('401 for an expired token and for one without exp', async () => {
    const expired = await mintToken(key.signing, { subject: 'emp-1', businesses: [business] }, { issuer: ISSUER, audience: AUDIENCE, nowSeconds: Math.floor(Date.now() / 1000) - 120, ttlSeconds: 60 });
    expect(await code(verify(`Bearer ${expired}`))).toBe('TOKEN_EXPIRED');
    const noExp = await signClaims(key, { sub: 'emp-1', businesses: [business], iss: ISSUER, aud: AUDIENCE });
    expect(await code(verify(`Bearer ${noExp}`))).toBe('UNAUTHENTICATED');
    expect(await detail(verify(`Bearer ${noExp}`))).toBe("the token's exp claim is missing");
  });

  it('401 without iss, aud or sub, or with foreign ones', async () => {
    const exp = Math.floor(Date.now() / 1000) + 60;
    const base = { sub: 'emp-1', businesses: [business], iss: ISSUER, aud: AUDIENCE, exp };
    for (const claims of [
      { ...base, iss: undefined }, { ...base, aud: undefined }, { ...base, sub: undefined },
      { ...base, iss: 'https://evil.example/' }, { ...base, aud: 'another-api' }, { ...base, businesses: [] }, { ...base, businesses: ['not-a-uuid'] },
    ]) {
      expect({ claims, code: await code(verify(`Bearer ${await signClaims(key, JSON.parse(JSON.stringify(claims)) as Record<string, unknown>)}`)) })
        .toEqual({ claims, code: 'UNAUTHENTICATED' });
    }
  });

  it('401 for a token signed by an unknown key', async () => {
    expect(await detail(verify(`Bearer ${await mint(makeTestKey('ES256'))}`))).toBe("the token's signature is not valid");
  });

  it('algorithms are pinned: no HS256 made with the public key as secret, no alg none, no RS256 for an EC key', async () => {
    const confused = await new SignJWT({ sub: 'emp-1', businesses: [business] }).setProtectedHeader({ alg: 'HS256' }).setIssuer(ISSUER).setAudience(AUDIENCE)
      .setExpirationTime('1m').sign(new TextEncoder().encode(key.publicPem));
    expect(await detail(verify(`Bearer ${confused}`))).toBe("the token's algorithm is not accepted");
    const payload = Buffer.from(JSON.stringify({ sub: 'emp-1', businesses: [business], iss: ISSUER, aud: AUDIENCE, exp: 2e9 })).toString('base64url');
    const none = `${Buffer.from('{"alg":"none"}').toString('base64url')}.${payload}.`;
    expect(await code(verify(`Bearer ${none}`))).toBe('UNAUTHENTICATED');
    expect(await detail(verify(`Bearer ${await mint(makeTestKey('RS256'))}`))).toBe("the token's algorithm is not accepted");
  });

  it('a development token is refused by a verifier of real keys, and the other way round', async () => {
    const devToken = await mintToken({ alg: 'HS256', secret: 'd'.repeat(40) }, { subject: 'emp-1', businesses: [business] }, { issuer: ISSUER, audience: AUDIENCE });
    expect(await code(verify(`Bearer ${devToken}`))).toBe('UNAUTHENTICATED');
    const devVerify = createVerifier({ keys: { kind: 'development', secret: 'd'.repeat(40) }, issuer: ISSUER, audience: AUDIENCE });
    expect(await code(devVerify(`Bearer ${devToken}`))).toBe('ok');
    expect(await code(devVerify(`Bearer ${await mint()}`))).toBe('UNAUTHENTICATED');
  });

  it('401 for what is not a bearer token at all', async () => {
    for (const h of [undefined, '', 'Bearer', 'Basic dXNlcjpwYXNz', `Bearer ${'a'.repeat(9000)}`, 'Bearer a b']) expect(await code(verify(h))).toBe('UNAUTHENTICATED');
  });
});

describe('keys from a JWKS endpoint', () => {
  let jwks: JwksServer;
  const k1 = makeTestKey('ES256');
  const k2 = makeTestKey('RS256');
  const jwksKeys = (url: string): KeyConfig => ({ kind: 'jwks', url, algorithms: ['RS256', 'ES256'], cooldownMs: 0, cacheMaxAgeMs: 600_000, timeoutMs: 2000 });
  beforeEach(async () => { jwks = await startJwksServer([k1]); });
  afterEach(async () => { await jwks.close(); });

  it('fetches the key set once and verifies every token with it', async () => {
    const verify = createVerifier({ keys: jwksKeys(jwks.url), issuer: ISSUER, audience: AUDIENCE }, { cacheSize: 0 });
    for (let i = 0; i < 5; i++) expect(await code(verify(`Bearer ${await mint(k1, 60, `s${i}`)}`))).toBe('ok');
    expect(jwks.fetches()).toBe(1);
  });

  it('rotation without a restart: a new kid fetches the keys again, and a removed key is refused, cached or not', async () => {
    const verify = createVerifier({ keys: jwksKeys(jwks.url), issuer: ISSUER, audience: AUDIENCE });
    const old = await mint(k1);
    expect(await code(verify(`Bearer ${old}`))).toBe('ok');
    expect(verify.cached()).toBe(1);

    await jwks.publish([k2]); // the identity provider rotates: k2 in, k1 out
    expect(await code(verify(`Bearer ${await mint(k2)}`))).toBe('ok');
    expect(jwks.fetches()).toBe(2);
    expect(await detail(verify(`Bearer ${old}`))).toBe('the token is signed by an unknown key');
  });

  it('a kid the provider never published is 401', async () => {
    const verify = createVerifier({ keys: jwksKeys(jwks.url), issuer: ISSUER, audience: AUDIENCE });
    expect(await detail(verify(`Bearer ${await mint(makeTestKey('ES256'))}`))).toBe('the token is signed by an unknown key');
  });

  it('unknown kids fetch the key set at most once per cooldown', async () => {
    const verify = createVerifier({ keys: { ...jwksKeys(jwks.url), cooldownMs: 60_000 } as KeyConfig, issuer: ISSUER, audience: AUDIENCE });
    for (let i = 0; i < 10; i++) expect(await code(verify(`Bearer ${await mint(makeTestKey('ES256'))}`))).toBe('UNAUTHENTICATED');
    expect(jwks.fetches()).toBe(1);
  });

  it('keys that cannot be fetched are an outage (503), not a bad token', async () => {
    await jwks.close();
    const verify = createVerifier({ keys: jwksKeys(jwks.url), issuer: ISSUER, audience: AUDIENCE });
    expect(await code(verify(`Bearer ${await mint(k1)}`))).toBe('AUTH_UNAVAILABLE');
    jwks = await startJwksServer([k1]); // for afterEach
  });
});
