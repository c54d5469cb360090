import http, { type IncomingMessage, type RequestListener, type ServerResponse } from 'node:http';
import https from 'node:https';
import type { AddressInfo, Socket } from 'node:net';

/** What a request looked like when it reached the upstream (for asserting what the probe sent). */
export interface SeenRequest {
  method: string;
  path: string;
  headers: IncomingMessage['headers'];
}

export interface HttpUpstream {
  /** `http://127.0.0.1:PORT` (or https://). */
  origin: string;
  port: number;
  requests: SeenRequest[];
  /** Bytes the never-ending route wrote before the client went away, and whether it did. */
  endless: { bytesWritten: number; clientClosed: boolean };
  close(): Promise<void>;
}

export interface UpstreamOptions {
  /** The bearer token /v1/models accepts. */
  token?: string;
  /** Serve https with this key and certificate chain (PEM). */
  tls?: { key: string; cert: string };
}

const JSON_BODY = JSON.stringify({ status: 'ok', version: '1.4.2', checks: { db: { status: 'up' } }, items: [{ id: 'a' }, { id: 'b' }] });

function send(res: ServerResponse, status: number, body: string, headers: Record<string, string> = {}): void {
  res.writeHead(status, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(body), ...headers });
  res.end(body);
}

/**
 * A local upstream with one route per behaviour a probe must tell apart:
 *   /ok (200 JSON), /v1/models (OpenAI-style: 401 unless the bearer token matches),
 *   /anthropic (401 unless x-api-key matches), /forbidden (403),
 *   /ratelimit (429, Retry-After 20), /error (500), /unavailable (503, Retry-After 120),
 *   /not-found (404), /slow?ms=N (200 after N ms), /hang (never answers),
 *   /endless (200, body never ends), /big?bytes=N (200 with N bytes),
 *   /redirect (302 → /ok), /text (200 "hello vitals").
 */
export async function startHttpUpstream(options: UpstreamOptions = {}): Promise<HttpUpstream> {
  const requests: SeenRequest[] = [];
  const endless = { bytesWritten: 0, clientClosed: false };
  const sockets = new Set<Socket>();
  const timers = new Set<NodeJS.Timeout>();
  const later = (ms: number, fn: () => void): void => {
    const timer = setTimeout(() => {
      timers.delete(timer);
      fn();
    }, ms);
    timers.add(timer);
  };

  const handler: RequestListener = (req, res) => {
    const url = new URL(req.url ?? '/', 'http://upstream');
    requests.push({ method: req.method ?? 'GET', path: url.pathname, headers: req.headers });
    switch (url.pathname) {
      case '/ok':
        return send(res, 200, JSON_BODY);
      case '/text':
        return send(res, 200, 'hello vitals', { 'content-type': 'text/plain' });
      case '/v1/models':
        if (req.headers.authorization === `Bearer ${options.token ?? ''}`) return send(res, 200, '{"object":"list","data":[{"id":"gpt-test"}]}');
        return send(res, 401, JSON.stringify({ error: { message: `Incorrect API key provided: ${req.headers.authorization ?? ''}`, code: 'invalid_api_key' } }));
      case '/anthropic':
        if (req.headers['x-api-key'] === options.token) return send(res, 200, '{"data":[]}');
        return send(res, 401, '{"type":"error","error":{"type":"authentication_error","message":"invalid x-api-key"}}');
      case '/forbidden':
        return send(res, 403, '{"error":"forbidden"}');
      case '/ratelimit':
        return send(res, 429, '{"error":{"type":"rate_limit_exceeded"}}', { 'retry-after': '20' });
      case '/error':
        return send(res, 500, '{"error":"boom"}');
      case '/unavailable':
        return send(res, 503, '{"error":"maintenance"}', { 'retry-after': '120' });
      case '/not-found':
        return send(res, 404, '{"error":"no such route"}');
      case '/redirect':
        res.writeHead(302, { location: '/ok', 'content-length': 0 });
        return res.end();
      case '/slow':
        return later(Number(url.searchParams.get('ms') ?? '1000'), () => send(res, 200, JSON_BODY));
      case '/hang':
        return; // headers never sent; the socket stays open until the client gives up
      case '/big': {
        const body = 'x'.repeat(Number(url.searchParams.get('bytes') ?? '1048576'));
        return send(res, 200, body, { 'content-type': 'text/plain' });
      }
      case '/endless': {
        res.writeHead(200, { 'content-type': 'text/plain' });
        const chunk = Buffer.alloc(16 * 1024, 'y');
        res.on('close', () => (endless.clientClosed = true));
        // Write as fast as the client reads, forever (backpressure keeps server memory flat).
        const pump = (): void => {
          while (!res.destroyed) {
            endless.bytesWritten += chunk.length;
            if (!res.write(chunk)) {
              res.once('drain', pump);
              return;
            }
          }
        };
        return pump();
      }
      default:
        return send(res, 404, '{"error":"unknown route"}');
    }
  };

  const server = options.tls === undefined ? http.createServer(handler) : https.createServer(options.tls, handler);
  // 'connection' gives the raw socket for https too, so half-done handshakes are closed as well.
  server.on('connection', (socket: Socket) => {
    sockets.add(socket);
    socket.once('close', () => sockets.delete(socket));
  });
  // A TLS client that rejects the certificate aborts the handshake; that is expected here.
  server.on('tlsClientError', () => undefined);
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => resolve());
  });
  const { port } = server.address() as AddressInfo;
  return {
    origin: `${options.tls === undefined ? 'http' : 'https'}://127.0.0.1:${port}`,
    port,
    requests,
    endless,
    async close() {
      for (const timer of timers) clearTimeout(timer);
      for (const socket of sockets) socket.destroy();
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}
