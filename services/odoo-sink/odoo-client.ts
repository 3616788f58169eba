/**
 * Odoo JSON-RPC client (`POST /jsonrpc`, external-apis.md §3): authenticates once, re-authenticates
 * on session errors, times out every request, retries network errors and 5xx with exponential
 * backoff and full jitter. The API key is sent in the body only; it never reaches an error or a log.
 */
import { z } from 'zod';
import type { Logger } from '../../shared/logger';

export interface OdooSettings { url: string; db: string; login: string; apiKey: string; timeoutMs: number; retries: number }

export const ODOO_ERROR_KINDS = ['validation', 'session', 'server', 'transport', 'auth'] as const;
export type OdooErrorKind = (typeof ODOO_ERROR_KINDS)[number];

/** An Odoo failure with what the sink needs to decide: a per-record problem, or one worth retrying. */
export class OdooError extends Error {
  constructor(readonly kind: OdooErrorKind, message: string, readonly odooName?: string) {
    super(message);
    this.name = 'OdooError';
  }
  /** A problem of the records sent (the same call will fail again): DLQ material. */
  get isValidation(): boolean { return this.kind === 'validation'; }
}

const rpcReply = z.object({
  result: z.unknown().optional(),
  error: z.object({
    code: z.number().optional(),
    message: z.string().optional(),
    data: z.object({ name: z.string().optional(), message: z.string().optional() }).optional(),
  }).optional(),
});

/** Odoo exception names that mean "this data is wrong", not "try again". */
const VALIDATION_NAMES = /ValidationError|UserError|ValueError|IntegrityError|MissingError|except_orm/;
const SESSION_NAMES = /SessionExpired|AccessDenied|session/i;

export function classifyOdooError(name: string | undefined, message: string | undefined): OdooErrorKind {
  if (name && VALIDATION_NAMES.test(name)) return 'validation';
  if ((name && SESSION_NAMES.test(name)) || (message && /session (expired|invalid)/i.test(message))) return 'session';
  return 'server';
}

/** Full-jitter exponential backoff: a random delay in [0, min(cap, base·2^attempt)]. */
export function backoffMs(attempt: number, baseMs: number, capMs: number, random: () => number = Math.random): number {
  return Math.round(random() * Math.min(capMs, baseMs * 2 ** attempt));
}

export const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

export interface CallOptions {
  /**
   * false for calls that must not be repeated blindly (`create`: a lost reply may still have created
   * the records). The caller then re-reads Odoo before trying again.
   */
  retryable?: boolean;
}

export interface OdooClient {
  executeKw<T = unknown>(model: string, method: string, args: unknown[], kwargs?: Record<string, unknown>, options?: CallOptions): Promise<T>;
  /** Calls made so far, by method (JSON-RPC requests actually sent, retries included). */
  readonly calls: Map<string, number>;
}

export interface OdooClientDeps {
  settings: OdooSettings;
  logger: Logger;
  fetch?: typeof fetch;
  random?: () => number;
  onCall?: (method: string) => void;
}

export function createOdooClient({ settings, logger, fetch: doFetch = fetch, random = Math.random, onCall }: OdooClientDeps): OdooClient {
  const log = logger.child({ component: 'odoo', url: settings.url, db: settings.db });
  const endpoint = new URL('/jsonrpc', settings.url).toString();
  const calls = new Map<string, number>();
  let uid: Promise<number> | undefined;
  let nextId = 1;

  async function post(service: string, method: string, args: unknown[], countAs: string): Promise<unknown> {
    calls.set(countAs, (calls.get(countAs) ?? 0) + 1);
    onCall?.(countAs);
    let res: Response;
    try {
      res = await doFetch(endpoint, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ jsonrpc: '2.0', method: 'call', id: nextId++, params: { service, method, args } }),
        signal: AbortSignal.timeout(settings.timeoutMs),
      });
    } catch (e) {
      // The cause names the network problem (ECONNREFUSED, timeout); the request body is never included.
      const cause = e instanceof Error ? (e.cause instanceof Error ? e.cause.message : e.message) : 'unknown';
      throw new OdooError('transport', `Odoo unreachable: ${cause}`);
    }
    if (res.status >= 500) throw new OdooError('transport', `Odoo HTTP ${res.status}`);
    if (!res.ok) throw new OdooError('server', `Odoo HTTP ${res.status}`);
    let body: unknown;
    try {
      body = await res.json();
    } catch {
      throw new OdooError('transport', 'Odoo replied with something that is not JSON');
    }
    const parsed = rpcReply.safeParse(body);
    if (!parsed.success) throw new OdooError('server', 'Odoo replied with something that is not JSON-RPC');
    if (parsed.data.error) {
      const { message, data } = parsed.data.error;
      const kind = classifyOdooError(data?.name, data?.message ?? message);
      throw new OdooError(kind, data?.message ?? message ?? 'Odoo Server Error', data?.name);
    }
    return parsed.data.result;
  }

  /** Retries transport errors with backoff (when allowed); everything else goes to the caller. */
  async function withRetries<T>(what: string, retryable: boolean, fn: () => Promise<T>): Promise<T> {
    for (let attempt = 0; ; attempt++) {
      try {
        return await fn();
      } catch (e) {
        if (!(e instanceof OdooError) || e.kind !== 'transport' || !retryable || attempt >= settings.retries) throw e;
        const delay = backoffMs(attempt, 200, 5_000, random);
        log.warn({ what, attempt: attempt + 1, delayMs: delay, error: e.message }, 'Odoo call failed, retrying');
        await sleep(delay);
      }
    }
  }

  function authenticate(): Promise<number> {
    uid ??= withRetries('authenticate', true, async () => {
      const result = await post('common', 'authenticate', [settings.db, settings.login, settings.apiKey, {}], 'authenticate');
      if (typeof result !== 'number') throw new OdooError('auth', `Odoo refused the login of ${settings.login}`);
      log.info({ uid: result }, 'authenticated with Odoo');
      return result;
    }).catch((e: unknown) => { uid = undefined; throw e; });
    return uid;
  }

  async function executeKw<T>(model: string, method: string, args: unknown[], kwargs: Record<string, unknown> = {}, options: CallOptions = {}): Promise<T> {
    const retryable = options.retryable ?? true;
    for (let reauth = 0; ; reauth++) {
      const current = authenticate();
      const id = await current;
      try {
        return await withRetries(`${model}.${method}`, retryable, () =>
          post('object', 'execute_kw', [settings.db, id, settings.apiKey, model, method, args, kwargs], method)) as T;
      } catch (e) {
        if (e instanceof OdooError && e.kind === 'session' && reauth === 0) {
          log.info({ error: e.message }, 'Odoo session no longer valid, authenticating again');
          if (uid === current) uid = undefined;
          continue;
        }
        throw e;
      }
    }
  }

  return { executeKw, calls };
}
