import { ConfigError } from '../../shared/config';
import { SANDBOX_ODOO, parseOdooSinkConfig } from './config';

describe('odoo-sink config', () => {
  it('defaults to the sandbox Odoo in development, batches of 50 and metrics on 9105', () => {
    const cfg = parseOdooSinkConfig({});
    expect(cfg).toMatchObject({ ODOO_URL: SANDBOX_ODOO.url, ODOO_BATCH_SIZE: 50, METRICS_PORT: 9105 });
  });

  it('requires every Odoo setting in production and never echoes the key', () => {
    const err = (() => { try { parseOdooSinkConfig({ NODE_ENV: 'production', ODOO_API_KEY: 'sk-secret', ODOO_BATCH_SIZE: '80' }); } catch (e) { return e; } })();
    expect(err).toBeInstanceOf(ConfigError);
    const text = (err as ConfigError).problems.join('\n');
    for (const v of ['ODOO_URL', 'ODOO_DB', 'ODOO_LOGIN', 'ODOO_BATCH_SIZE']) expect(text).toContain(v);
    expect(text).not.toContain('sk-secret');
  });

  it('reads a fixed store map and rejects a malformed one', () => {
    expect(parseOdooSinkConfig({ ODOO_STORES: 'a-b=7, c-d=8' }).ODOO_STORES).toEqual(new Map([['a-b', 7], ['c-d', 8]]));
    expect(() => parseOdooSinkConfig({ ODOO_STORES: 'a-b=x' })).toThrow(ConfigError);
  });
});
