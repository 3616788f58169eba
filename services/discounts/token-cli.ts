/**
 * `npm run discounts:token -- --business <uuid> [--business <uuid>] [--user <uuid>] [--ttl <seconds>]`
 * Mints a development bearer token for the discounts API, signed with DISCOUNTS_JWT_SECRET (the
 * development default outside production). Prints only the token, for `TOKEN=$(...)`.
 */
import { randomUUID } from 'node:crypto';
import { parseArgs } from 'node:util';
import { z } from 'zod';
import { loadConfig } from '../../shared/config';
import { mintToken } from './auth';
import { discountsEnv } from './config';

async function main(): Promise<void> {
  const { values } = parseArgs({
    options: { business: { type: 'string', multiple: true }, user: { type: 'string' }, ttl: { type: 'string', default: '28800' } },
  });
  const args = z.object({
    business: z.array(z.uuid()).min(1, 'pass --business <uuid> at least once'),
    user: z.uuid().default(() => randomUUID()),
    ttl: z.coerce.number().int().min(1).max(30 * 24 * 3600),
  }).safeParse({ business: values.business ?? [], user: values.user, ttl: values.ttl });
  if (!args.success) {
    console.error(args.error.issues.map((i) => `--${i.path.join('.')}: ${i.message}`).join('\n'));
    process.exit(2);
  }
  const cfg = loadConfig('discounts-token', discountsEnv(process.env));
  const token = await mintToken(
    { secret: cfg.DISCOUNTS_JWT_SECRET, issuer: cfg.DISCOUNTS_JWT_ISSUER, audience: cfg.DISCOUNTS_JWT_AUDIENCE },
    { userId: args.data.user, businesses: args.data.business },
    args.data.ttl,
  );
  process.stdout.write(`${token}\n`);
}

void main();
