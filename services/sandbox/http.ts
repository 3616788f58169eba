/**
 * Listening helpers shared by the three sandbox servers: bad JSON bodies become 4xx JSON, a server
 * can go "down" (connection refused) for a while and come back on the same port.
 */
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import express, { type ErrorRequestHandler, type Express } from 'express';
import type { FaultBox } from './faults';

export function jsonApp(): Express {
  const app = express();
  app.disable('x-powered-by');
  app.use(express.json({ limit: '20mb' }));
  return app;
}

/** Last middleware: body-parser and other request errors become a 4xx JSON reason, never a crash. */
export const jsonErrors: ErrorRequestHandler = (err: unknown, _req, res, _next) => {
  const e = err as { status?: number; type?: string; message?: string };
  const status = typeof e.status === 'number' && e.status >= 400 && e.status < 500 ? e.status : 500;
  res.status(status).json({ error: status === 500 ? 'internal error' : (e.type ?? 'bad request'), reason: status === 500 ? undefined : e.message });
};

export interface RunningServer {
  port: number;
  url: string;
  /** Refuses connections for `ms` (the listener is closed), then listens again on the same port. */
  down(ms: number): Promise<void>;
  close(): Promise<void>;
}

export async function listen(app: Express, port: number, faults?: FaultBox): Promise<RunningServer> {
  let server = http.createServer(app);
  let closed = false;
  let downTimer: NodeJS.Timeout | undefined;
  const start = (p: number) => new Promise<number>((resolve, reject) => {
    server.once('error', reject);
    server.listen(p, '127.0.0.1', () => resolve((server.address() as AddressInfo).port));
  });
  const stop = () => new Promise<void>((resolve) => {
    for (const res of faults?.hanging ?? []) res.destroy();
    server.close(() => resolve());
    server.closeAllConnections();
  });
  const actual = await start(port);
  return {
    port: actual,
    url: `http://127.0.0.1:${actual}`,
    async down(ms) {
      await stop();
      clearTimeout(downTimer);
      downTimer = setTimeout(() => { if (!closed) { server = http.createServer(app); void start(actual); } }, ms);
    },
    async close() {
      closed = true;
      clearTimeout(downTimer);
      if (server.listening) await stop();
    },
  };
}
