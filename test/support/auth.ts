/**
 * Token fixtures for tests and the benchmark: asymmetric key pairs as an identity provider has
 * them, a tiny local JWKS endpoint whose keys can be rotated while a verifier runs, and helpers
 * that break a token in one certain way each.
 */
import { generateKeyPairSync, type KeyObject } from 'node:crypto';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { exportJWK, SignJWT, type JWK } from 'jose';
import type { SigningKey } from '../../services/discounts/auth';

export interface TestKey { kid: string; alg: 'ES256' | 'RS256'; privateKey: KeyObject; publicKey: KeyObject; publicPem: string; signing: SigningKey }

let serial = 0;

/** A fresh key pair with its own `kid` (ES256 by default: fast to make; RS256 takes ~100 ms). */
export function makeTestKey(alg: 'ES256' | 'RS256' = 'ES256'): TestKey {
  const { privateKey, publicKey } = alg === 'ES256'
    ? generateKeyPairSync('ec', { namedCurve: 'P-256' })
    : generateKeyPairSync('rsa', { modulusLength: 2048 });
  const kid = `test-${alg.toLowerCase()}-${process.pid}-${++serial}`;
  return { kid, alg, privateKey, publicKey, publicPem: publicKey.export({ type: 'spki', format: 'pem' }).toString(), signing: { alg, privateKey, kid } };
}

export async function jwkOf(k: TestKey): Promise<JWK> {
  return { ...(await exportJWK(k.publicKey)), kid: k.kid, alg: k.alg, use: 'sig' };
}

export interface JwksServer {
  url: string;
  /** Replaces the published keys (a rotation at the identity provider). */
  publish(keys: TestKey[]): Promise<void>;
  /** How many times the key set was fetched. */
  fetches(): number;
  close(): Promise<void>;
}

/** Serves `{keys: [...]}` at http://127.0.0.1:<port>/.well-known/jwks.json: our own test fixture of an identity provider. */
export async function startJwksServer(keys: TestKey[]): Promise<JwksServer> {
  let body = '';
  let fetches = 0;
  const publish = async (ks: TestKey[]) => { body = JSON.stringify({ keys: await Promise.all(ks.map(jwkOf)) }); };
  await publish(keys);
  const server = http.createServer((req, res) => {
    if (req.url !== '/.well-known/jwks.json') { res.writeHead(404).end(); return; }
    fetches++;
    res.writeHead(200, { 'content-type': 'application/jwk-set+json' }).end(body);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}/.well-known/jwks.json`, publish, fetches: () => fetches,
    close: () => new Promise<void>((resolve) => { server.closeAllConnections(); server.close(() => resolve()); }),
  };
}

/**
 * The token with one bit of its signature's FIRST byte flipped: certainly another signature.
 * (Changing the last base64url character is not: for a 32-byte HMAC its two low bits are unused
 * padding, so one time in 16 the "tampered" text decodes to the same signature.)
 */
export function tamperSignature(token: string): string {
  const [h, p, sig] = token.split('.');
  if (h === undefined || p === undefined || sig === undefined) throw new Error('not a JWS compact token');
  const bytes = Buffer.from(sig, 'base64url');
  bytes[0] = bytes[0]! ^ 0x01;
  return `${h}.${p}.${bytes.toString('base64url')}`;
}

/** A token signed by `key` with exactly the claims given: no `exp` unless `claims` has one. */
export function signClaims(key: TestKey, claims: Record<string, unknown>): Promise<string> {
  return new SignJWT(claims).setProtectedHeader({ alg: key.alg, kid: key.kid }).sign(key.privateKey);
}
