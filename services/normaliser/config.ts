/** The normaliser's environment, parsed once at start-up. */
import { z } from 'zod';
import { baseEnv, portVar } from '../../shared/config';

export function normaliserEnv(env: NodeJS.ProcessEnv) {
  return baseEnv(env).extend({
    /** Consumer group of the live normaliser (prefixed with TOPIC_PREFIX). */
    NORMALISER_GROUP: z.string().regex(/^[A-Za-z0-9._-]+$/).default('normaliser'),
    METRICS_PORT: portVar.default(9102),
    /** Bytes fetched per raw partition per batch; one batch's output must stay under the broker's 1 MB request limit. */
    NORMALISER_MAX_BYTES_PER_PARTITION: z.coerce.number().int().min(16 * 1024).max(900 * 1024).default(512 * 1024),
  });
}

export type NormaliserConfig = z.infer<ReturnType<typeof normaliserEnv>>;

/** Command line: `--from-beginning --group <name>` replays the raw topics in a fresh group. */
export const cliSchema = z.object({
  fromBeginning: z.boolean(),
  group: z.string().regex(/^[A-Za-z0-9._-]+$/).optional(),
  exitWhenCaughtUp: z.boolean(),
}).refine((c) => !c.fromBeginning || c.group !== undefined || c.exitWhenCaughtUp, {
  message: '--from-beginning needs --group <fresh name> (or --exit-when-caught-up, which makes one up)',
});
export type Cli = z.infer<typeof cliSchema>;
