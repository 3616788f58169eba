/**
 * The HTTP server every service listens with: bounded request heads (Node answers 431 past
 * `maxHeaderBytes`), bounded time to send the head and the whole request, and a reason in the
 * body of the 400/431 that Node's parser gives malformed requests (its default says nothing).
 */
import http from 'node:http';
import type { Duplex } from 'node:stream';

export interface HttpLimits {
  /** Largest request head (request line and headers) read, in bytes. */
  maxHeaderBytes: number;
  /** Time allowed for the head, and for the whole request, in ms. */
  headersTimeoutMs?: number;
  requestTimeoutMs?: number;
}

function clientError(err: Error & { code?: string; rawPacket?: Buffer }, socket: Duplex): void {
  // Bytes after a request we already answered with `connection: close` (a refused body): that
  // answer is on its way and closes the connection; there is nothing more to say.
  if (err.code === 'HPE_CLOSED_CONNECTION') return;
  if (!socket.writable) { socket.destroy(); return; }
  const [status, text, detail] = err.code === 'HPE_HEADER_OVERFLOW'
    ? [431, 'Request Header Fields Too Large', 'the request headers are too large']
    : err.code === 'ERR_HTTP_REQUEST_TIMEOUT'
      ? [408, 'Request Timeout', 'the request took too long to arrive']
      : [400, 'Bad Request', 'the request is not valid HTTP'];
  // A HEAD request gets the status without a body, as HTTP requires.
  const head = err.rawPacket?.subarray(0, 5).toString('latin1') === 'HEAD ';
  const body = head ? '' : JSON.stringify({ error: text.toLowerCase().replace(/ /g, '_'), detail });
  socket.end(`HTTP/1.1 ${status} ${text}\r\ncontent-type: application/json\r\ncontent-length: ${Buffer.byteLength(body)}\r\nconnection: close\r\n\r\n${body}`);
}

export function createHttpServer(listener: http.RequestListener, limits: HttpLimits): http.Server {
  const server = http.createServer({
    maxHeaderSize: limits.maxHeaderBytes, headersTimeout: limits.headersTimeoutMs ?? 10_000, requestTimeout: limits.requestTimeoutMs ?? 30_000,
    // HTTP/1.1 requires Host; Node's own refusal has an empty body, ours says why
    requireHostHeader: false,
  }, (req, res) => {
    if (req.httpVersionMinor >= 1 && req.headers.host === undefined) {
      res.writeHead(400, { 'content-type': 'application/json', connection: 'close' }).end(JSON.stringify({ error: 'bad_request', detail: 'an HTTP/1.1 request needs a Host header' }));
      return;
    }
    listener(req, res);
  });
  server.on('clientError', clientError);
  return server;
}
