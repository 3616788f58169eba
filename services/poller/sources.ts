/**
 * The three sources over HTTP: Dutchie POS (Basic key per LSP), Dutchie Backoffice (session login,
 * one re-login on expiry) and Odoo JSON-RPC (PTL `mint.discount` records and their markets).
 * Every call has a timeout and is retried with backoff; a failure is returned as a value and never
 * as an empty list. Keys, passwords and session ids never appear in errors or logs.
 */
import { z } from 'zod';
import type { Logger } from '../../shared/logger';
import type { PtlRecordInfo, SourceRecord } from './handler';
import { dutchieSourceRecord } from './handler';
import { memberArrayElements, wholeArrayElementTexts } from '../../shared/json-slices';
import { KeyRateLimiter, RetryableError, parseRetryAfter, withRetry, type RetryPolicy } from './retry';

/** `rejected`: the POS key was refused (401/403): the store may be read through Backoffice instead. */
export type Fetched<T> = { kind: 'ok'; records: T[] } | { kind: 'failed'; reason: string; rejected?: true };

export interface SourceSettings {
  posUrl: string;
  backofficeUrl: string;
  backofficeUsername: string | undefined;
  backofficePassword: string | undefined;
  odoo: { url: string; db: string; login: string; apiKey: string } | undefined;
  timeoutMs: number;
  retry: RetryPolicy;
  posRatePerMinute: number;
}

export interface SourceDeps {
  fetch: typeof fetch;
  now: () => number;
  sleep: (ms: number) => Promise<void>;
  random: () => number;
  logger: Logger;
}

class FatalError extends Error {}
/** Dutchie refused a POS key (401/403): never retried, and the caller may fall back to Backoffice. */
class KeyRejected extends FatalError {}

/** What `GET /whoami` says of a POS key's store (external-apis.md §5). */
export interface Whoami { locationId: number; locationName: string | null; city: string | null; state: string | null }
const WhoamiReply = z.object({
  locationId: z.number().int(), locationName: z.string().nullish(), city: z.string().nullish(), state: z.string().nullish(),
}).transform((w) => ({ locationId: w.locationId, locationName: w.locationName ?? null, city: w.city ?? null, state: w.state ?? null }));

const describe = (e: unknown): string => (e instanceof Error ? e.message : String(e));

/** One HTTP exchange with a timeout covering the body; status problems become typed errors. */
async function exchange(deps: SourceDeps, timeoutMs: number, url: string, init: RequestInit, what: string): Promise<{ res: Response; text: string }> {
  let res: Response;
  let text: string;
  try {
    res = await deps.fetch(url, { ...init, signal: AbortSignal.timeout(timeoutMs) });
    text = await res.text();
  } catch (e) {
    const name = e instanceof Error ? e.name : '';
    if (name === 'TimeoutError' || name === 'AbortError') throw new RetryableError(`${what}: timed out after ${timeoutMs} ms`);
    const cause = e instanceof Error && e.cause instanceof Error ? `: ${(e.cause as NodeJS.ErrnoException).code ?? e.cause.message}` : '';
    throw new RetryableError(`${what}: network error${cause}`);
  }
  if (res.status === 429) throw new RetryableError(`${what}: 429 rate limited`, parseRetryAfter(res.headers.get('retry-after'), deps.now()) ?? undefined);
  if (res.status >= 500) throw new RetryableError(`${what}: HTTP ${res.status}`, res.status === 503 ? parseRetryAfter(res.headers.get('retry-after'), deps.now()) : undefined);
  return { res, text };
}

function parseJson(text: string, what: string, bytes = text.length): unknown {
  try {
    return JSON.parse(text) as unknown;
  } catch {
    throw new RetryableError(`${what}: unreadable JSON (${bytes} bytes)`);
  }
}

// A list of JSON objects; the records' fields are the normaliser's business (checked there), so
// this edge only checks the shape it relies on, cheaply (100k records a cycle).
const isObject = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);
const DutchieList = z.array(z.custom<Record<string, unknown>>(isObject, 'expected an object'));
const BackofficeEnvelope = z.object({ Result: z.boolean(), Data: z.unknown(), Message: z.string().nullable().optional() });
const LoginData = z.object({ SessionId: z.string().min(1), UserId: z.number().int() });
const RpcReply = z.union([
  z.object({ result: z.unknown() }).passthrough(),
  z.object({ error: z.object({ message: z.string(), data: z.object({ name: z.string(), message: z.string() }).passthrough().optional() }).passthrough() }).passthrough(),
]);

class OdooRpcError extends Error {
  constructor(readonly odooName: string, message: string) { super(`${odooName}: ${message}`); }
}

export class Sources {
  private readonly limiter: KeyRateLimiter;
  private session: Promise<{ sessionId: string; userId: number; cookie: string }> | undefined;
  private uid: Promise<number> | undefined;
  /** logins performed (tests and metrics read it) */
  logins = 0;

  /** Whether Backoffice credentials are configured (a store without a POS key can be read at all). */
  get hasBackoffice(): boolean { return Boolean(this.s.backofficeUsername && this.s.backofficePassword); }

  constructor(private readonly s: SourceSettings, private readonly deps: SourceDeps) {
    this.limiter = new KeyRateLimiter(s.posRatePerMinute, deps.now, deps.sleep);
  }

  private retry<T>(what: string, fn: () => Promise<T>): Promise<T> {
    return withRetry(fn, this.s.retry, {
      sleep: this.deps.sleep, random: this.deps.random,
      onRetry: (attempt, delayMs, e) => this.deps.logger.warn({ what, attempt, delayMs, reason: e.message }, 'retrying'),
    });
  }

  private async outcome<T>(what: string, fn: () => Promise<T[]>): Promise<Fetched<T>> {
    try {
      return { kind: 'ok', records: await this.retry(what, fn) };
    } catch (e) {
      return e instanceof KeyRejected ? { kind: 'failed', reason: describe(e), rejected: true } : { kind: 'failed', reason: describe(e) };
    }
  }

  /**
   * The records of a Dutchie list from its elements' texts: each element parsed on its own (the
   * slicing plus one JSON.parse per element accept exactly what one JSON.parse of the document
   * would) and reduced at once to its id, text and location restrictions.
   */
  private toRecords(texts: string[], api: 'pos' | 'backoffice', what: string, bytes: number): SourceRecord[] {
    return texts.map((t) => {
      let record: unknown;
      try {
        record = JSON.parse(t);
      } catch {
        throw new RetryableError(`${what}: unreadable JSON (${bytes} bytes)`);
      }
      if (!isObject(record)) throw new RetryableError(`${what}: not a list of discounts`);
      const r = dutchieSourceRecord(record, t, api);
      if (!r) throw new RetryableError(`${what}: a record has no integer id`);
      return r;
    });
  }

  /**
   * When a list's elements cannot be sliced (not a list, unreadable): the whole document parsed,
   * for the reason; should a valid list ever defeat the slicer, its records are re-serialised.
   */
  private wholeList(list: unknown, api: 'pos' | 'backoffice', what: string, notList: string): SourceRecord[] {
    const parsed = DutchieList.safeParse(list);
    if (!parsed.success) throw new RetryableError(notList);
    return this.toRecords(parsed.data.map((r) => JSON.stringify(r)), api, what, 0);
  }

  /**
   * The POS LocId, city and state of a key's store (`GET /whoami`): how the store directory places a
   * store that has a POS key. `keyName` names the key in reasons (never the key).
   */
  async whoami(key: string, keyName: string): Promise<Fetched<Whoami>> {
    const what = `pos whoami (${keyName})`;
    const auth = `Basic ${Buffer.from(`${key}:`).toString('base64')}`;
    return this.outcome(what, async () => {
      await this.limiter.acquire(key);
      const { res, text } = await exchange(this.deps, this.s.timeoutMs, `${this.s.posUrl}/whoami`, { headers: { authorization: auth, accept: 'application/json' } }, what);
      if (res.status === 401 || res.status === 403) throw new KeyRejected(`${what}: HTTP ${res.status}`);
      if (res.status !== 200) throw new RetryableError(`${what}: HTTP ${res.status}`);
      const who = WhoamiReply.safeParse(parseJson(text, what));
      if (!who.success) throw new RetryableError(`${what}: not a whoami reply`);
      return [who.data];
    });
  }

  /** The discounts of one POS LSP (every store of the LSP; filter with `appliesToStore`). `keyName` names the key in reasons. */
  fetchPos(lspId: number, key: string, keyName = `DUTCHIE_POS_API_KEY_${lspId}`): Promise<Fetched<SourceRecord>> {
    const what = `pos lsp ${lspId}`;
    const url = `${this.s.posUrl}/discounts/v2/list?includeInactive=true&includeInclusionExclusionData=true&includePaymentRestrictions=false`;
    const auth = `Basic ${Buffer.from(`${key}:`).toString('base64')}`;
    return this.outcome(what, async () => {
      await this.limiter.acquire(key);
      const { res, text } = await exchange(this.deps, this.s.timeoutMs, url, { headers: { authorization: auth, accept: 'application/json' } }, what);
      if (res.status === 401 || res.status === 403) throw new KeyRejected(`${what}: HTTP ${res.status} (check ${keyName})`);
      if (res.status !== 200) throw new RetryableError(`${what}: HTTP ${res.status}`);
      let texts: string[];
      try {
        texts = wholeArrayElementTexts(text);
      } catch {
        return this.wholeList(parseJson(text, what), 'pos', what, `${what}: not a list of discounts`);
      }
      return this.toRecords(texts, 'pos', what, text.length);
    });
  }

  private login(): Promise<{ sessionId: string; userId: number; cookie: string }> {
    this.session ??= (async () => {
      const { backofficeUsername: user, backofficePassword: pass } = this.s;
      if (!user || !pass) throw new FatalError('backoffice: DUTCHIE_BACKOFFICE_USERNAME/PASSWORD are not set');
      this.logins++;
      const { res, text } = await exchange(this.deps, this.s.timeoutMs, `${this.s.backofficeUrl}/api/user/login`, {
        method: 'POST', headers: { 'content-type': 'application/json', appname: 'Backoffice', origin: this.s.backofficeUrl },
        body: JSON.stringify({ Username: user, Password: pass, RememberMe: true }),
      }, 'backoffice login');
      const env = BackofficeEnvelope.safeParse(parseJson(text, 'backoffice login'));
      if (res.status === 401 || (env.success && !env.data.Result)) throw new FatalError('backoffice login: rejected credentials');
      const data = env.success ? LoginData.safeParse(env.data.Data) : undefined;
      if (!data?.success) throw new RetryableError('backoffice login: unexpected reply');
      const cookie = /LLSession=([^;]+)/.exec(res.headers.get('set-cookie') ?? '')?.[1] ?? data.data.SessionId;
      return { sessionId: data.data.SessionId, userId: data.data.UserId, cookie };
    })();
    // A failed login is not cached: the next call tries again.
    const attempt = this.session;
    attempt.catch(() => { if (this.session === attempt) this.session = undefined; });
    return attempt;
  }

  /** The discounts of one Backoffice LSP/org (every store of the LSP; filter with `appliesToStore`). */
  fetchBackoffice(lspId: number, orgId: number): Promise<Fetched<SourceRecord>> {
    const what = `backoffice lsp ${lspId}`;
    return this.outcome(what, async () => {
      for (let relogin = 0; ; relogin++) {
        const current = this.login();
        const session = await current;
        const { res, text } = await exchange(this.deps, this.s.timeoutMs, `${this.s.backofficeUrl}/api/v2/discount/get-discount`, {
          method: 'POST', headers: { 'content-type': 'application/json', appname: 'Backoffice', cookie: `LLSession=${session.cookie}` },
          body: JSON.stringify({ SessionId: session.sessionId, LspId: lspId, OrgId: orgId, UserId: session.userId, IncludeInactive: true }),
        }, what);
        // The Data array's elements are parsed one by one (toRecords); the envelope around it alone.
        let data: { texts: string[]; start: number; end: number } | undefined;
        if (res.status !== 401) {
          try { data = memberArrayElements(text, 'Data'); } catch { data = undefined; }
        }
        const body = res.status === 401 ? undefined : parseJson(data ? `${text.slice(0, data.start)}[]${text.slice(data.end)}` : text, what, text.length);
        const env = BackofficeEnvelope.safeParse(body);
        const sessionProblem = res.status === 401 || (env.success && !env.data.Result && /session/i.test(env.data.Message ?? ''));
        if (sessionProblem) {
          if (relogin >= 1) throw new RetryableError(`${what}: session rejected after a re-login`);
          // Only the caller that saw this session fail drops it; concurrent callers share the new login.
          if (this.session === current) this.session = undefined;
          continue;
        }
        if (res.status >= 400 && res.status < 500) throw new FatalError(`${what}: HTTP ${res.status}${env.success ? ` ${env.data.Message ?? ''}` : ''}`);
        if (res.status !== 200 || !env.success || !env.data.Result) throw new RetryableError(`${what}: HTTP ${res.status}${env.success ? ` ${env.data.Message ?? ''}` : ''}`);
        if (!data || !Array.isArray(env.data.Data) || env.data.Data.length !== 0) return this.wholeList(env.data.Data, 'backoffice', what, `${what}: Data is not a list of discounts`);
        return this.toRecords(data.texts, 'backoffice', what, text.length);
      }
    });
  }

  /** Issue 6: the inventory of one Backoffice store (PascalCase records, untouched), same session rules. */
  fetchBackofficeInventory(lspId: number, orgId: number, locId: number): Promise<Fetched<Record<string, unknown>>> {
    const what = `backoffice inventory loc ${locId}`;
    return this.outcome(what, async () => {
      for (let relogin = 0; ; relogin++) {
        const current = this.login();
        const session = await current;
        const { res, text } = await exchange(this.deps, this.s.timeoutMs, `${this.s.backofficeUrl}/api/v2/inventory/get-inventory`, {
          method: 'POST', headers: { 'content-type': 'application/json', appname: 'Backoffice', cookie: `LLSession=${session.cookie}` },
          body: JSON.stringify({ SessionId: session.sessionId, LspId: lspId, OrgId: orgId, UserId: session.userId, LocId: locId }),
        }, what);
        const env = BackofficeEnvelope.safeParse(res.status === 401 ? undefined : parseJson(text, what));
        if (res.status === 401 || (env.success && !env.data.Result && /session/i.test(env.data.Message ?? ''))) {
          if (relogin >= 1) throw new RetryableError(`${what}: session rejected after a re-login`);
          if (this.session === current) this.session = undefined;
          continue;
        }
        if (res.status >= 400 && res.status < 500) throw new FatalError(`${what}: HTTP ${res.status}`);
        if (res.status !== 200 || !env.success || !env.data.Result) throw new RetryableError(`${what}: HTTP ${res.status}`);
        const list = z.array(z.record(z.string(), z.unknown())).safeParse(env.data.Data);
        if (!list.success) throw new RetryableError(`${what}: Data is not a list of records`);
        return list.data;
      }
    });
  }

  private async rpc(service: string, method: string, args: unknown[]): Promise<unknown> {
    const odoo = this.s.odoo!;
    const { res, text } = await exchange(this.deps, this.s.timeoutMs, `${odoo.url}/jsonrpc`, {
      method: 'POST', headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ jsonrpc: '2.0', method: 'call', id: 1, params: { service, method, args } }),
    }, `odoo ${service}.${method}`);
    if (res.status >= 400 && res.status < 500) throw new FatalError(`odoo: HTTP ${res.status}`);
    if (res.status !== 200) throw new RetryableError(`odoo: HTTP ${res.status}`);
    const reply = RpcReply.safeParse(parseJson(text, 'odoo'));
    if (!reply.success) throw new RetryableError('odoo: not a JSON-RPC reply');
    if ('error' in reply.data) {
      const e = reply.data.error as { message: string; data?: { name: string; message: string } };
      throw new OdooRpcError(e.data?.name ?? 'odoo', e.data?.message ?? e.message);
    }
    return (reply.data as { result: unknown }).result;
  }

  private async executeKw(model: string, method: string, args: unknown[], kwargs: Record<string, unknown> = {}): Promise<unknown> {
    const odoo = this.s.odoo!;
    for (let again = 0; ; again++) {
      const current = (this.uid ??= (async () => {
        const uid = await this.rpc('common', 'authenticate', [odoo.db, odoo.login, odoo.apiKey, {}]);
        if (typeof uid !== 'number') throw new FatalError('odoo: authentication refused (check ODOO_LOGIN/ODOO_API_KEY)');
        return uid;
      })());
      current.catch(() => { if (this.uid === current) this.uid = undefined; });
      const uid = await current;
      try {
        return await this.rpc('object', 'execute_kw', [odoo.db, uid, odoo.apiKey, model, method, args, kwargs]);
      } catch (e) {
        if (e instanceof OdooRpcError && e.odooName === 'odoo.exceptions.AccessDenied' && again === 0) { if (this.uid === current) this.uid = undefined; continue; }
        throw e;
      }
    }
  }

  /** Every PTL `mint.discount` (source = ptl) with the market of its PTL deal. */
  fetchPtl(): Promise<Fetched<PtlRecordInfo>> {
    if (!this.s.odoo) return Promise.resolve({ kind: 'failed', reason: 'odoo: ODOO_URL/ODOO_DB/ODOO_LOGIN/ODOO_API_KEY are not set' });
    return this.outcome('odoo ptl', async () => {
      const records = z.array(z.record(z.string(), z.unknown()).and(z.object({ id: z.number().int() })))
        .parse(await this.executeKw('mint.discount', 'search_read', [[['source', '=', 'ptl']]], { order: 'id' }));
      const dealIdOf = (r: Record<string, unknown>): number | undefined => {
        const m = typeof r.dutchie_discount_id === 'string' ? /^ptl_(\d+)$/.exec(r.dutchie_discount_id) : null;
        return m ? Number(m[1]) : undefined;
      };
      const dealIds = [...new Set(records.map(dealIdOf).filter((x): x is number => x !== undefined))];
      const deals = dealIds.length
        ? z.array(z.object({ id: z.number(), market_id: z.union([z.tuple([z.number(), z.string()]), z.literal(false)]) }))
          .parse(await this.executeKw('mint.ptl.deal', 'search_read', [[['id', 'in', dealIds]]], { fields: ['market_id'] }))
        : [];
      const marketIds = [...new Set(deals.flatMap((d) => (d.market_id ? [d.market_id[0]] : [])))];
      const markets = marketIds.length
        ? z.array(z.object({ id: z.number(), code: z.union([z.string(), z.literal(false)]) })).parse(await this.executeKw('mint.market', 'read', [marketIds], { fields: ['code'] }))
        : [];
      const codeOf = new Map(markets.map((m) => [m.id, m.code || undefined]));
      const marketOfDeal = new Map(deals.map((d) => [d.id, d.market_id ? codeOf.get(d.market_id[0]) : undefined]));
      return records.map((record) => {
        const dealId = dealIdOf(record);
        return { record, market: dealId === undefined ? undefined : marketOfDeal.get(dealId) };
      });
    });
  }
}
