import { Writable } from 'node:stream';
import { createLogger } from '../../shared/logger';
import { OdooError, backoffMs, classifyOdooError, createOdooClient } from './odoo-client';

const SECRET = 'sk-very-secret-key';
const settings = { url: 'http://odoo.test', db: 'mint', login: 'sync@mint', apiKey: SECRET, timeoutMs: 1000, retries: 3 };

type Step = (body: { params: { service: string; method: string; args: unknown[] } }) => Response | Error;
const json = (v: unknown, status = 200) => new Response(JSON.stringify(v), { status, headers: { 'content-type': 'application/json' } });
const odooError = (name: string, message: string) => json({ jsonrpc: '2.0', id: 1, error: { code: 200, message: 'Odoo Server Error', data: { name, message } } });

function scripted(steps: Step[]) {
  const seen: Array<{ service: string; method: string; args: unknown[] }> = [];
  const fetch = (_url: unknown, init?: RequestInit) => {
    const body = JSON.parse(init?.body as string);
    seen.push(body.params);
    const step = steps.shift();
    if (!step) throw new Error('unexpected call');
    const out = step(body);
    return out instanceof Error ? Promise.reject(out) : Promise.resolve(out);
  };
  return { fetch: fetch as typeof globalThis.fetch, seen };
}

function capturedLogger() {
  const lines: string[] = [];
  const dest = new Writable({ write(chunk: Buffer, _e, cb) { lines.push(chunk.toString()); cb(); } });
  return { logger: createLogger('test', 'debug', dest), lines };
}

const auth: Step = () => json({ jsonrpc: '2.0', id: 1, result: 2 });
const ok = (result: unknown): Step => () => json({ jsonrpc: '2.0', id: 1, result });

describe('Odoo JSON-RPC client', () => {
  it('authenticates once and reuses the uid', async () => {
    const { fetch, seen } = scripted([auth, ok([1]), ok([2])]);
    const odoo = createOdooClient({ settings, logger: capturedLogger().logger, fetch });
    await odoo.executeKw('mint.discount', 'search', [[]]);
    await odoo.executeKw('mint.discount', 'search', [[]]);
    expect(seen.map((s) => `${s.service}.${s.method}`)).toEqual(['common.authenticate', 'object.execute_kw', 'object.execute_kw']);
    expect(seen[1]!.args.slice(0, 5)).toEqual(['mint', 2, SECRET, 'mint.discount', 'search']);
  });

  it('authenticates again on a session error and repeats the call once', async () => {
    const { fetch, seen } = scripted([auth, () => odooError('odoo.http.SessionExpiredException', 'Session expired'), auth, ok(true)]);
    const odoo = createOdooClient({ settings, logger: capturedLogger().logger, fetch });
    await expect(odoo.executeKw('mint.discount', 'write', [[1], {}])).resolves.toBe(true);
    expect(seen.filter((s) => s.method === 'authenticate')).toHaveLength(2);
  });

  it('retries network errors and 5xx with backoff, never logging the API key', async () => {
    const { logger, lines } = capturedLogger();
    const { fetch } = scripted([auth, () => new TypeError('fetch failed', { cause: new Error('connect ECONNREFUSED') }), () => json({}, 502), ok([7])]);
    const odoo = createOdooClient({ settings, logger, fetch, random: () => 0 });
    await expect(odoo.executeKw('mint.discount', 'search', [[]])).resolves.toEqual([7]);
    expect(lines.filter((l) => l.includes('retrying'))).toHaveLength(2);
    expect(lines.join('')).not.toContain(SECRET);
  });

  it('does not repeat a create blindly: a lost reply may have created the records', async () => {
    const { fetch, seen } = scripted([auth, () => new TypeError('fetch failed')]);
    const odoo = createOdooClient({ settings, logger: capturedLogger().logger, fetch });
    await expect(odoo.executeKw('mint.discount', 'create', [[{}]], {}, { retryable: false })).rejects.toMatchObject({ kind: 'transport' });
    expect(seen).toHaveLength(2);
  });

  it('surfaces a validation error with Odoo\'s message and no secret', async () => {
    const { fetch } = scripted([auth, () => odooError('odoo.exceptions.ValidationError', 'End date before start date')]);
    const odoo = createOdooClient({ settings, logger: capturedLogger().logger, fetch });
    const err = await odoo.executeKw('mint.discount', 'create', [[{}]]).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(OdooError);
    expect(err).toMatchObject({ kind: 'validation', message: 'End date before start date', odooName: 'odoo.exceptions.ValidationError' });
    expect(JSON.stringify(err) + String(err)).not.toContain(SECRET);
  });

  it('gives up after the retries and reports a refused login as auth', async () => {
    const down = () => new TypeError('fetch failed');
    const { fetch } = scripted([auth, down, down, down, down]);
    const odoo = createOdooClient({ settings, logger: capturedLogger().logger, fetch, random: () => 0 });
    await expect(odoo.executeKw('m', 'search', [[]])).rejects.toMatchObject({ kind: 'transport' });
    const refused = createOdooClient({ settings, logger: capturedLogger().logger, fetch: scripted([ok(false)]).fetch });
    await expect(refused.executeKw('m', 'search', [[]])).rejects.toMatchObject({ kind: 'auth' });
  });
});

describe('helpers', () => {
  it('classifies Odoo exceptions', () => {
    expect(classifyOdooError('odoo.exceptions.ValidationError', 'x')).toBe('validation');
    expect(classifyOdooError('odoo.exceptions.UserError', 'x')).toBe('validation');
    expect(classifyOdooError('odoo.http.SessionExpiredException', 'x')).toBe('session');
    expect(classifyOdooError('psycopg2.OperationalError', 'x')).toBe('server');
  });

  it('backs off exponentially with a cap, jittered below it', () => {
    expect(backoffMs(0, 200, 5000, () => 1)).toBe(200);
    expect(backoffMs(3, 200, 5000, () => 1)).toBe(1600);
    expect(backoffMs(10, 200, 5000, () => 1)).toBe(5000);
    expect(backoffMs(10, 200, 5000, () => 0.5)).toBe(2500);
  });
});
