/**
 * Hostile input for HTTP services, property-based (fast-check): random and malicious requests at
 * every route (bodies, query strings, path ids, headers, huge and deeply nested JSON, wrong content
 * types, malformed HTTP on a raw socket). Every answer must be a 4xx with a reason, or one of the
 * route's documented 2xx; never a 5xx; and the server must still answer afterwards.
 *
 * Use it for any service (an express app, a node http.Server, or a process at a base URL):
 *
 *   const target = await fuzzTarget(createHttpServer(createApp(deps), { maxHeaderBytes: 16 * 1024 }));
 *   // or: const target = fuzzTarget('http://127.0.0.1:3000');
 *   await fuzzRoutes(target, [
 *     { method: 'GET', path: '/api/locations/:id/discounts', ok: [200, 304], params: { id: fc.uuid() } },
 *     { method: 'POST', path: '/things', ok: [201], query: { businessId: fc.constant(biz) }, body: validThing },
 *   ], { runs: 200, authorization: fc.constantFrom(`Bearer ${token}`, undefined), alive: '/health' });
 *   await fuzzRawHttp(target, { runs: 40 });
 *   await target.close();
 *
 * `params`, `query` and `body` give valid values that hostile ones are mixed with, so requests get
 * past authentication and validation often enough to reach the handlers and the database. Runs
 * are bounded (keep `npm test` fast); a failure prints the request that broke the property
 * (fast-check shrinks it) and its seed. FUZZ_STATS=1 prints the statuses each route gave, to check
 * that enough requests get past the door to reach the handlers and the database.
 */
import http from 'node:http';
import net, { type AddressInfo } from 'node:net';
import fc from 'fast-check';

export type Method = 'GET' | 'HEAD' | 'POST' | 'PUT' | 'PATCH' | 'DELETE' | 'OPTIONS';

export interface RouteSpec {
  method: Method;
  /** express-style template: `/things/:id` */
  path: string;
  /** documented success statuses (default [200]) */
  ok?: number[];
  /** valid values for the path's `:params`, mixed with hostile ones */
  params?: Record<string, fc.Arbitrary<string>>;
  /** valid query values, mixed with hostile ones and hostile keys */
  query?: Record<string, fc.Arbitrary<string>>;
  /** valid bodies (any JSON value), mixed with hostile ones */
  body?: fc.Arbitrary<unknown>;
}

export interface FuzzTarget { host: string; port: number; close(): Promise<void> }

export interface FuzzRequest { method: string; path: string; headers: Record<string, string>; body: string | Buffer | null }
export interface FuzzAnswer { status: number; body: string }

/** A target: a base URL (another process), or a server (or request listener) listened here on a free port. */
export function fuzzTarget(target: string): FuzzTarget;
export function fuzzTarget(target: http.Server | http.RequestListener): Promise<FuzzTarget>;
export function fuzzTarget(target: string | http.Server | http.RequestListener): FuzzTarget | Promise<FuzzTarget> {
  if (typeof target === 'string') {
    const u = new URL(target);
    return { host: u.hostname, port: Number(u.port), close: async () => undefined };
  }
  const server = target instanceof http.Server ? target : http.createServer(target);
  return new Promise((resolve) => server.listen(0, '127.0.0.1', () => {
    const { port } = server.address() as AddressInfo;
    resolve({ host: '127.0.0.1', port, close: () => new Promise<void>((r) => { server.closeAllConnections(); server.close(() => r()); }) });
  }));
}

// --- generators --------------------------------------------------------------------------------

const NASTY = [
  '', ' ', '\u0000', 'a\u0000b', '%', '%00', '%zz', '%%', '..', '../../etc/passwd', '%2e%2e%2f', "' or 1=1 --", '"; drop table employee; --',
  '<script>alert(1)</script>', '${7*7}', '{{7*7}}', '__proto__', 'constructor', 'prototype', 'null', 'undefined', 'NaN', 'Infinity', '-0',
  '1e309', '-1', '0x10', '9'.repeat(400), 'true', '[]', '{}', '\ud800', '\uffff', '😀'.repeat(50), '\r\nX-Injected: 1', 'a'.repeat(5000),
  '00000000-0000-0000-0000-000000000000', 'ffffffff-ffff-ffff-ffff-ffffffffffff', '0000-01-01T00:00:00Z', '9999-12-31T23:59:59Z',
  '2026-02-30T00:00:00Z', '1970-01-01T00:00:00+25:00',
];

/** Text an attacker or a broken client sends: random, binary, and known troublemakers. */
export const hostileText: fc.Arbitrary<string> = fc.oneof(
  { weight: 3, arbitrary: fc.constantFrom(...NASTY) },
  { weight: 2, arbitrary: fc.string({ maxLength: 40 }) },
  { weight: 1, arbitrary: fc.string({ unit: 'binary', maxLength: 40 }) },
  { weight: 1, arbitrary: fc.uuid() },
  { weight: 1, arbitrary: fc.oneof(fc.integer(), fc.double()).map(String) },
);

/** encodeURIComponent, for text with lone surrogates too (they become U+FFFD instead of a URIError). */
const enc = (s: string): string => encodeURIComponent(s.replace(/[\ud800-\udbff](?![\udc00-\udfff])|(?<![\ud800-\udbff])[\udc00-\udfff]/g, '\ufffd'));

/** A value in a path segment: valid (when given) or hostile, percent-encoded or raw percent junk. */
function segment(valid: fc.Arbitrary<string> | undefined): fc.Arbitrary<string> {
  const hostile = fc.oneof(hostileText.map(enc), fc.constantFrom('%', '%zz', '%2F', '..', '%2e%2e', 'a'.repeat(3000), '%00', '%ED%A0%80', '%C0%AF'));
  return valid ? fc.oneof({ weight: 2, arbitrary: valid.map(enc) }, { weight: 2, arbitrary: hostile }) : hostile;
}

/** `arb` one time in `n`, else absent. */
const sometimes = <T>(arb: fc.Arbitrary<T>, n: number): fc.Arbitrary<T | undefined> =>
  fc.oneof({ weight: 1, arbitrary: arb }, { weight: n - 1, arbitrary: fc.constant(undefined) });

function queryString(valid: Record<string, fc.Arbitrary<string>> = {}): fc.Arbitrary<string> {
  const keys = Object.keys(valid);
  const pair = (k: string, v: string) => `${enc(k)}=${enc(v)}`;
  const validPairs = keys.length
    ? fc.tuple(...keys.map((k) => fc.option(fc.oneof({ weight: 7, arbitrary: valid[k]! }, { weight: 1, arbitrary: hostileText }), { freq: 8 })))
      .map((vs) => vs.flatMap((v, i) => (v === null ? [] : [pair(keys[i]!, v)])))
    : fc.constant([] as string[]);
  const hostileKey = fc.oneof(fc.constantFrom(...keys, '__proto__', 'constructor', 'a[b]', `${keys[0] ?? 'x'}[]`, `${keys[0] ?? 'x'}[0]`, ''), hostileText);
  const extra = sometimes(fc.array(fc.tuple(hostileKey, hostileText).map(([k, v]) => pair(k, v)), { minLength: 1, maxLength: 4 }), 3).map((e) => e ?? []);
  const raw = fc.oneof({ weight: 6, arbitrary: fc.constant('') }, { weight: 1, arbitrary: fc.constantFrom('&&&', '==', '%', '%zz=1', 'a=%E0%A4%A', `${'x='.repeat(200)}`) });
  const dup = fc.oneof({ weight: 9, arbitrary: fc.constant(false) }, { weight: 1, arbitrary: fc.constant(true) });
  return fc.tuple(validPairs, extra, raw, dup).map(([v, e, r, dup]) => {
    const parts = [...v, ...e, ...(dup && v[0] ? [v[0]] : []), r].filter(Boolean);
    return parts.length ? `?${parts.join('&')}` : '';
  });
}

/** Deeply nested JSON text: [[[...]]] or {"a":{"a":...}}, deeper than any handler expects. */
export const deepJson: fc.Arbitrary<string> = fc.tuple(fc.integer({ min: 500, max: 20_000 }), fc.boolean())
  .map(([depth, arrays]) => (arrays ? `${'['.repeat(depth)}${']'.repeat(depth)}` : `${'{"a":'.repeat(depth)}1${'}'.repeat(depth)}`));

/** Bodies past any sane limit: one huge string, or a huge array of small things. */
export const hugeJson: fc.Arbitrary<string> = fc.constantFrom(
  JSON.stringify({ name: 'x'.repeat(2_000_000) }),
  JSON.stringify(Array.from({ length: 200_000 }, (_, i) => i)),
);

/** Mutations of a valid body: a field dropped, retyped or set hostile, or an unknown field added. */
function mutated(valid: fc.Arbitrary<unknown>): fc.Arbitrary<unknown> {
  const junk = fc.oneof(hostileText, fc.jsonValue({ maxDepth: 3 }), fc.constantFrom(null, true, 0, -1, 1e308, [], {}));
  return fc.tuple(valid, fc.nat(), junk, fc.constantFrom('drop', 'set', 'add')).map(([v, n, j, how]) => {
    if (v === null || typeof v !== 'object' || Array.isArray(v)) return j;
    const keys = Object.keys(v);
    const out: Record<string, unknown> = { ...(v as Record<string, unknown>) };
    const key = keys.length ? keys[n % keys.length]! : 'x';
    if (how === 'drop') delete out[key];
    else if (how === 'set') out[key] = j;
    else out[`x${n}`] = j;
    return out;
  });
}

function bodyText(valid: fc.Arbitrary<unknown> | undefined): fc.Arbitrary<string | null> {
  const some: Array<fc.WeightedArbitrary<string | null>> = [
    { weight: 1, arbitrary: fc.constant(null) },
    { weight: 2, arbitrary: fc.jsonValue({ maxDepth: 4 }).map((v) => JSON.stringify(v)) },
    { weight: 1, arbitrary: fc.string({ maxLength: 60 }) }, // not JSON at all
    { weight: 1, arbitrary: fc.constantFrom('{"a":', '{"a":1}}', '\u0000', '{"__proto__":{"admin":true}}', '{"a":"\\ud800"}', '[1,2,]', "{'a':1}", 'null', '""', '1e999') },
    { weight: 1, arbitrary: deepJson },
  ];
  if (valid) {
    some.push({ weight: 8, arbitrary: valid.map((v) => JSON.stringify(v)) });
    some.push({ weight: 4, arbitrary: mutated(valid).map((v) => JSON.stringify(v) ?? 'null') });
  }
  return fc.oneof(...some);
}

const CONTENT_TYPES = [
  'application/json', 'application/json', 'application/json; charset=utf-8', 'text/plain', 'application/x-www-form-urlencoded',
  'multipart/form-data; boundary=x', 'application/json; charset=utf-16', 'application/json; charset=latin1', 'application/xml', ';;;', 'application/json; charset=',
];

function headersFor(authorization: fc.Arbitrary<string | undefined>): fc.Arbitrary<Record<string, string>> {
  const auth = fc.oneof(
    { weight: 8, arbitrary: authorization },
    { weight: 1, arbitrary: fc.constantFrom('Bearer', 'Bearer ', 'Basic dXNlcjpwYXNz', 'Bearer a.b.c', `Bearer ${'a'.repeat(10_000)}`, 'bearer  x  y') },
    { weight: 1, arbitrary: hostileText.map((t) => `Bearer ${t.replace(/[^\t\x20-\x7e]/g, '')}`) },
  );
  return fc.record({
    authorization: auth,
    'content-type': fc.oneof({ weight: 6, arbitrary: fc.constant('application/json') }, { weight: 3, arbitrary: fc.constantFrom(...CONTENT_TYPES) }, { weight: 1, arbitrary: fc.constant(undefined) }),
    'content-encoding': sometimes(fc.constantFrom('gzip', 'deflate', 'br', 'identity', 'bogus'), 12),
    accept: sometimes(fc.constantFrom('*/*', 'text/html', 'application/xml', '\u0001'), 4),
    'x-forwarded-for': sometimes(fc.constantFrom('1.2.3.4', 'not-an-ip', '::1, 10.0.0.1'), 6),
    'if-none-match': sometimes(fc.constantFrom('"x"', '*', 'W/"abc"', '"'), 6),
    big: sometimes(fc.constantFrom('x'.repeat(20_000), 'y'.repeat(70_000)), 15),
  }).map((h) => Object.fromEntries(Object.entries(h).filter(([, v]) => typeof v === 'string' && !/[^\t\x20-\x7e]/.test(v))) as Record<string, string>);
}

const METHODS: Method[] = ['GET', 'HEAD', 'POST', 'PUT', 'PATCH', 'DELETE', 'OPTIONS'];

export interface FuzzOptions {
  /** runs over all routes together (default 200) */
  runs?: number;
  /** the Authorization header most requests carry (undefined: none) */
  authorization?: fc.Arbitrary<string | undefined>;
  /** a path that must answer 200 after the runs: the server is alive */
  alive?: string;
  /** fast-check seed, to replay a failure */
  seed?: number;
}

/** One request for `route`: its method (or, now and then, another), hostile params, query, headers and body. */
export function requestFor(route: RouteSpec, authorization: fc.Arbitrary<string | undefined>): fc.Arbitrary<FuzzRequest> {
  const names = [...route.path.matchAll(/:(\w+)/g)].map((m) => m[1]!);
  const params = fc.tuple(...names.map((n) => segment(route.params?.[n])));
  const method = fc.oneof({ weight: 9, arbitrary: fc.constant(route.method) }, { weight: 1, arbitrary: fc.constantFrom(...METHODS) });
  const large = fc.oneof({ weight: 30, arbitrary: bodyText(route.body) }, { weight: 1, arbitrary: hugeJson });
  return fc.record({ method, params, query: queryString(route.query), headers: headersFor(authorization), body: large })
    .map(({ method: m, params: ps, query, headers, body }) => {
      let i = 0;
      const path = route.path.replace(/:(\w+)/g, () => ps[i++] ?? '') + query;
      return printable({ method: m, path, headers, body: body === null || m === 'GET' || m === 'HEAD' ? null : body });
    });
}

const clip = (v: unknown): unknown => (typeof v === 'string' && v.length > 200 ? `${v.slice(0, 200)}...(${v.length} chars)` : v);

/** fast-check prints a failing request; huge bodies and headers are shown clipped. */
function printable(r: FuzzRequest): FuzzRequest {
  return Object.assign(r, {
    [fc.toStringMethod]: () => JSON.stringify({ ...r, path: clip(r.path), body: clip(r.body), headers: Object.fromEntries(Object.entries(r.headers).map(([k, v]) => [k, clip(v)])) }),
  });
}

/** Sends a request over a fresh connection; a reset after a refused large upload counts as its answer. */
export function send(t: FuzzTarget, r: FuzzRequest): Promise<FuzzAnswer> {
  return new Promise((resolve, reject) => {
    let answered: FuzzAnswer | undefined;
    const headers = r.body === null ? r.headers : { 'content-length': String(Buffer.byteLength(r.body)), ...r.headers };
    const req = http.request({ host: t.host, port: t.port, method: r.method, path: r.path, headers, agent: false, timeout: 15_000 }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => { answered = { status: res.statusCode ?? 0, body: Buffer.concat(chunks).toString() }; resolve(answered); });
      res.on('error', () => resolve(answered ?? { status: res.statusCode ?? 0, body: '' }));
    });
    req.on('timeout', () => req.destroy(new Error(`no answer in 15 s to ${r.method} ${r.path.slice(0, 200)}`)));
    req.on('error', (e: NodeJS.ErrnoException) => {
      if (answered) return;
      // the server answered (413) and closed before the client had written a huge body
      if ((e.code === 'EPIPE' || e.code === 'ECONNRESET') && (r.body?.length ?? 0) > 1_000_000) resolve({ status: 413, body: 'reset while uploading' });
      else reject(e);
    });
    if (r.body !== null) req.end(r.body);
    else req.end();
  });
}

/** The property: a 4xx with a reason, or a documented 2xx of the route (3xx: 304 only), never a 5xx. */
export function checkAnswer(req: FuzzRequest, res: FuzzAnswer, route: RouteSpec | undefined): string | null {
  const what = `${req.method} ${req.path.slice(0, 300)} -> ${res.status} ${res.body.slice(0, 300)}`;
  if (res.status >= 500) return `a server error: ${what}`;
  if (res.status >= 200 && res.status < 300) {
    const ok = route && req.method === route.method ? route.ok ?? [200] : [200, 204];
    return ok.includes(res.status) || (req.method === 'HEAD' && res.status === 200) || req.method === 'OPTIONS' ? null : `an undocumented success: ${what}`;
  }
  if (res.status === 304) return null;
  if (res.status < 400 || res.status >= 500) return `an unexpected status: ${what}`;
  if (req.method === 'HEAD') return null; // no body to carry the reason
  return hasReason(res.body) ? null : `a ${res.status} without a reason: ${what}`;
}

function hasReason(body: string): boolean {
  try {
    const v = JSON.parse(body) as Record<string, unknown>;
    return ['detail', 'error', 'message'].some((k) => typeof v[k] === 'string' && (v[k]).length > 0);
  } catch {
    return body.trim().length > 0;
  }
}

/** Runs `runs` hostile requests over `routes`, then checks the server is alive. */
export async function fuzzRoutes(t: FuzzTarget, routes: RouteSpec[], opts: FuzzOptions = {}): Promise<void> {
  const authorization = opts.authorization ?? fc.constant(undefined);
  const arb = fc.nat({ max: routes.length - 1 }).chain((i) => requestFor(routes[i]!, authorization).map((req) => ({ req, route: routes[i]! })));
  await fc.assert(fc.asyncProperty(arb, async ({ req, route }) => {
    const res = await send(t, req);
    if (process.env.FUZZ_STATS) statsOf(route.method + ' ' + route.path, res.status);
    const problem = checkAnswer(req, res, route);
    if (problem) throw new Error(problem);
  }), { numRuns: opts.runs ?? 200, seed: opts.seed, endOnFailure: true });
  if (opts.alive) await expectAlive(t, opts.alive);
  if (process.env.FUZZ_STATS) console.log(JSON.stringify(STATS, null, 1));
}

/** FUZZ_STATS=1: statuses per route, to see whether the runs reach the handlers (not only the 4xx at the door). */
const STATS: Record<string, Record<number, number>> = {};
function statsOf(k: string, status: number): void {
  const route = (STATS[k] ??= {});
  route[status] = (route[status] ?? 0) + 1;
}

export async function expectAlive(t: FuzzTarget, path: string): Promise<void> {
  const res = await send(t, { method: 'GET', path, headers: {}, body: null });
  if (res.status !== 200) throw new Error(`the server is not healthy after the hostile requests: GET ${path} -> ${res.status}`);
}

/** Malformed HTTP on a raw socket: each must get a 4xx with a reason (or a closed connection), never a crash. */
const RAW: string[] = [
  'GARBAGE\r\n\r\n',
  'GET / HTTP/1.1\r\n\r\n', // no Host
  `GET /health HTTP/1.1\r\nHost: x\r\nX-Big: ${'a'.repeat(100_000)}\r\n\r\n`,
  `GET /${'a'.repeat(100_000)} HTTP/1.1\r\nHost: x\r\n\r\n`,
  'GET /health HTTP/1.1\r\nHost: x\r\nBad Header\r\n\r\n',
  'GET /health HTTP/1.1\r\nHost: x\r\nX-Nul: a\u0000b\r\n\r\n',
  'POST /health HTTP/1.1\r\nHost: x\r\nContent-Length: 5\r\nContent-Length: 7\r\n\r\nhello',
  'POST /health HTTP/1.1\r\nHost: x\r\nContent-Length: -1\r\n\r\n',
  'POST /health HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\nhello\r\n0\r\n\r\n',
  'POST /health HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\nContent-Length: 3\r\n\r\n0\r\n\r\n',
  'GET /health HTTP/9.9\r\nHost: x\r\n\r\n',
  'GET /health\r\n\r\n',
  '\u0016\u0003\u0001\u0000\u00a5\u0001\u0000\u0000', // a TLS ClientHello on the plain port
];

export async function fuzzRawHttp(t: FuzzTarget, opts: { runs?: number; seed?: number } = {}): Promise<void> {
  await fc.assert(fc.asyncProperty(fc.oneof(fc.constantFrom(...RAW), fc.string({ unit: 'binary', maxLength: 200 }).map((s) => `${s}\r\n\r\n`)), async (raw) => {
    const answer = await rawExchange(t, raw);
    const status = Number(/^HTTP\/1\.[01] (\d{3})/.exec(answer)?.[1] ?? 0);
    if (answer === '') return; // closed without a word: acceptable for bytes that are not HTTP at all
    if (status >= 500 || status === 0) throw new Error(`raw ${JSON.stringify(raw.slice(0, 80))} -> ${answer.slice(0, 200)}`);
    if (status >= 400 && !hasReason(answer.split('\r\n\r\n').slice(1).join('\r\n\r\n'))) throw new Error(`raw ${JSON.stringify(raw.slice(0, 80))} -> ${status} without a reason`);
  }), { numRuns: opts.runs ?? 40, seed: opts.seed, endOnFailure: true });
}

function rawExchange(t: FuzzTarget, raw: string): Promise<string> {
  return new Promise((resolve) => {
    const chunks: Buffer[] = [];
    const socket = net.connect(t.port, t.host, () => socket.end(Buffer.from(raw, 'latin1')));
    socket.setTimeout(5000, () => socket.destroy());
    socket.on('data', (c: Buffer) => chunks.push(c));
    socket.on('error', () => undefined);
    socket.on('close', () => resolve(Buffer.concat(chunks).toString('latin1')));
  });
}
