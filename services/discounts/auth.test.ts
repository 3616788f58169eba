import { randomUUID } from 'node:crypto';
import { mintToken, createVerifier, type AuthSettings } from './auth';

const AUTH: AuthSettings = { secret: 'unit-secret-unit-secret-unit-secret-0123', issuer: 'dealstream', audience: 'dealstream-discounts' };

describe('bearer verification with a cache of verified tokens', () => {
  const business = randomUUID();
  const userId = randomUUID();
  let clock: number;
  const code = (p: Promise<unknown>) => p.then(() => 'ok', (e: { code?: string }) => e.code);

  beforeEach(() => { clock = Date.now(); });

  it('verifies a token once, then serves the same text from the cache', async () => {
    const verify = createVerifier(AUTH, { now: () => clock });
    const token = await mintToken(AUTH, { userId, businesses: [business] }, 60);
    for (let i = 0; i < 3; i++) expect(await verify(`Bearer ${token}`)).toEqual({ userId, businesses: [business] });
    expect(verify.cached()).toBe(1);
  });

  it('a cached token still expires at its exp, to the second', async () => {
    const verify = createVerifier(AUTH, { now: () => clock });
    const token = await mintToken(AUTH, { userId, businesses: [business] }, 60);
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
    const verify = createVerifier(AUTH, { now: () => clock });
    const token = await mintToken(AUTH, { userId, businesses: [business] }, 60);
    await verify(`Bearer ${token}`);
    const last = token.at(-1) === 'A' ? 'B' : 'A';
    expect(await code(verify(`Bearer ${token.slice(0, -1)}${last}`))).toBe('UNAUTHENTICATED');
    const [h, , sig] = token.split('.');
    const otherPayload = Buffer.from(JSON.stringify({ sub: userId, businesses: [business, randomUUID()], iss: AUTH.issuer, aud: AUTH.audience })).toString('base64url');
    expect(await code(verify(`Bearer ${h}.${otherPayload}.${sig}`))).toBe('UNAUTHENTICATED');
    const forged = await mintToken({ ...AUTH, secret: 'another-secret-another-secret-another-1' }, { userId, businesses: [business] }, 60);
    expect(await code(verify(`Bearer ${forged}`))).toBe('UNAUTHENTICATED');
    expect(verify.cached()).toBe(1);
  });

  it('failures are not cached, and the cache is bounded', async () => {
    const verify = createVerifier(AUTH, { now: () => clock, cacheSize: 2 });
    expect(await code(verify('Bearer not.a.jwt'))).toBe('UNAUTHENTICATED');
    expect(verify.cached()).toBe(0);
    for (let i = 0; i < 5; i++) await verify(`Bearer ${await mintToken(AUTH, { userId: randomUUID(), businesses: [business] }, 60)}`);
    expect(verify.cached()).toBe(2);
  });
});
