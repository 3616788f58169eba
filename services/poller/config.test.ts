import { ConfigError, parseConfig } from '../../shared/config';
import { pollerEnv, posKeysFrom } from './config';

describe('poller configuration', () => {
  it('collects DUTCHIE_POS_API_KEY_{lspId} by LSP', () => {
    const keys = posKeysFrom({ DUTCHIE_POS_API_KEY_100: 'k100', DUTCHIE_POS_API_KEY_200: 'k200', DUTCHIE_POS_API_KEY_X: 'no', OTHER: 'x' });
    expect([...keys]).toEqual([[100, 'k100'], [200, 'k200']]);
  });

  it('defaults to the local stack and the sandbox ports outside production, with a 60 s interval', () => {
    const cfg = parseConfig(pollerEnv({}), {});
    expect(cfg).toMatchObject({ DUTCHIE_POS_URL: 'http://127.0.0.1:7001', DUTCHIE_BACKOFFICE_URL: 'http://127.0.0.1:7002', ODOO_URL: 'http://127.0.0.1:7003', POLL_INTERVAL_MS: 60_000, POLL_CONCURRENCY: 8, METRICS_PORT: 9101 });
  });

  it('requires every address in production and never echoes a value', () => {
    const env = { NODE_ENV: 'production', ODOO_API_KEY: 'super-secret-key', POLL_CONCURRENCY: 'lots' };
    let error: unknown;
    try { parseConfig(pollerEnv(env), env); } catch (e) { error = e; }
    expect(error).toBeInstanceOf(ConfigError);
    const problems = (error as ConfigError).problems.join('\n');
    for (const v of ['DUTCHIE_POS_URL', 'DUTCHIE_BACKOFFICE_URL', 'ODOO_URL', 'KAFKA_BROKERS', 'DATABASE_URL', 'POLL_CONCURRENCY']) expect(problems).toContain(v);
    expect(problems).not.toContain('super-secret-key');
  });
});
