/**
 * A schema registry outage without touching the shared registry: a small HTTP proxy on a port of its
 * own that forwards to the real registry, and that a test can make answer 503 or hang (no answer at
 * all) for as long as it likes. A service pointed at `url` sees the outage; nobody else does.
 */
import http from 'node:http';
import type net from 'node:net';

export type ProxyMode = 'forward' | 'unavailable' | 'hang';

export interface RegistryProxy {
  url: string;
  mode: ProxyMode;
  /** Requests that reached the proxy, by how they were answered. */
  readonly counts: Record<ProxyMode, number>;
  close(): Promise<void>;
}

export async function startRegistryProxy(target: string): Promise<RegistryProxy> {
  const upstream = new URL(target);
  const basePath = upstream.pathname.replace(/\/$/, '');
  const sockets = new Set<net.Socket>();
  const hung = new Set<http.ServerResponse>();
  const proxy: RegistryProxy = {
    url: '', mode: 'forward', counts: { forward: 0, unavailable: 0, hang: 0 },
    close: () => new Promise<void>((resolve) => {
      for (const res of hung) res.destroy();
      for (const s of sockets) s.destroy();
      server.close(() => resolve());
    }),
  };
  const server = http.createServer((req, res) => {
    const mode = proxy.mode;
    proxy.counts[mode]++;
    if (mode === 'hang') { hung.add(res); res.on('close', () => hung.delete(res)); return; }
    if (mode === 'unavailable') {
      res.writeHead(503, { 'content-type': 'application/vnd.schemaregistry.v1+json' });
      res.end(JSON.stringify({ error_code: 50301, message: 'registry unavailable (test proxy)' }));
      return;
    }
    const path = `${basePath}${(req.url ?? '/').replace(/^\/+/, '/')}`;
    const out = http.request({ host: upstream.hostname, port: upstream.port, method: req.method, path, headers: { ...req.headers, host: upstream.host } }, (up) => {
      res.writeHead(up.statusCode ?? 502, up.headers);
      up.pipe(res);
    });
    out.on('error', () => { res.writeHead(502); res.end(); });
    req.pipe(out);
  });
  server.on('connection', (s) => { sockets.add(s); s.on('close', () => sockets.delete(s)); });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const { port } = server.address() as net.AddressInfo;
  proxy.url = `http://127.0.0.1:${port}`;
  return proxy;
}
