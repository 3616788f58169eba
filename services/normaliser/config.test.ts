import { parseConfig } from '../../shared/config';
import { cliSchema, normaliserEnv } from './config';

describe('normaliser config', () => {
  it('defaults to group "normaliser" and metrics port 9102', () => {
    const cfg = parseConfig(normaliserEnv({}), {});
    expect(cfg).toMatchObject({ NORMALISER_GROUP: 'normaliser', METRICS_PORT: 9102 });
  });

  it('refuses --from-beginning into an unnamed group (it would reuse the live group\'s offsets)', () => {
    expect(cliSchema.safeParse({ fromBeginning: true, exitWhenCaughtUp: false }).success).toBe(false);
    expect(cliSchema.safeParse({ fromBeginning: true, group: 'replay-2026-11-21', exitWhenCaughtUp: false }).success).toBe(true);
    expect(cliSchema.safeParse({ fromBeginning: true, exitWhenCaughtUp: true }).success).toBe(true);
    expect(cliSchema.safeParse({ fromBeginning: false, group: 'bad name!', exitWhenCaughtUp: false }).success).toBe(false);
  });
});
