/**
 * `npm run discounts:token -- --user <subject> --business <uuid> [--business <uuid>] [--ttl <seconds>] [--key <private.pem> [--kid <kid>]]`
 * Mints a bearer token for the discounts API naming `--user` (the subject an employee record is
 * linked to, e.g. `demo-cashier` of `npm run discounts:seed`). Without --key it is an HS256
 * development token (DISCOUNTS_JWT_SECRET, else the development secret), accepted only by a service
 * in DISCOUNTS_AUTH_MODE=development; with --key it is signed by that RSA or P-256 private key
 * (the pair of DISCOUNTS_JWT_PUBLIC_KEY). Prints only the token, for `TOKEN=$(...)`.
 */
import { createPrivateKey, createPublicKey } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { parseArgs } from 'node:util';
import { z } from 'zod';
import { mintToken, type SigningKey } from './auth';
import { DEFAULT_JWT_AUDIENCE, DEV_JWT_ISSUER, DEV_JWT_SECRET } from './config';
import { publicKeyAlgorithm } from './key-ring';

const tokenEnv = z.object({
  DISCOUNTS_JWT_SECRET: z.string().min(32).default(DEV_JWT_SECRET),
  DISCOUNTS_JWT_ISSUER: z.string().min(1).default(DEV_JWT_ISSUER),
  DISCOUNTS_JWT_AUDIENCE: z.string().min(1).default(DEFAULT_JWT_AUDIENCE),
});

function fail(message: string): never {
  console.error(message);
  process.exit(2);
}

function signingKey(file: string | undefined, kid: string | undefined, secret: string): SigningKey {
  if (file === undefined) return { alg: 'HS256', secret };
  let privateKey;
  try {
    privateKey = createPrivateKey(readFileSync(file, 'utf8'));
  } catch {
    return fail(`--key: ${file} is not a readable PEM private key`);
  }
  const k = publicKeyAlgorithm(createPublicKey(privateKey).export({ type: 'spki', format: 'pem' }).toString());
  if ('problem' in k) return fail(`--key: its public key ${k.problem}`);
  return { alg: k.alg, privateKey, kid };
}

async function main(): Promise<void> {
  const { values } = parseArgs({
    options: {
      business: { type: 'string', multiple: true }, user: { type: 'string' }, ttl: { type: 'string', default: '28800' },
      key: { type: 'string' }, kid: { type: 'string' },
    },
  });
  const args = z.object({
    business: z.array(z.uuid()).min(1, 'pass --business <uuid> at least once'),
    user: z.string({ error: 'pass --user <subject>, e.g. demo-cashier' }).min(1).max(255),
    ttl: z.coerce.number().int().min(1).max(30 * 24 * 3600),
  }).safeParse({ business: values.business ?? [], user: values.user, ttl: values.ttl });
  if (!args.success) fail(args.error.issues.map((i) => `--${i.path.join('.')}: ${i.message}`).join('\n'));
  const env = tokenEnv.safeParse(process.env);
  if (!env.success) fail(env.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`).join('\n'));
  const key = signingKey(values.key, values.kid, env.data.DISCOUNTS_JWT_SECRET);
  const token = await mintToken(key, { subject: args.data.user, businesses: args.data.business }, {
    issuer: env.data.DISCOUNTS_JWT_ISSUER, audience: env.data.DISCOUNTS_JWT_AUDIENCE, ttlSeconds: args.data.ttl,
  });
  process.stdout.write(`${token}\n`);
}

void main();
