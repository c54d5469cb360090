import type { Server } from 'node:http';
import type { Socket } from 'node:net';

interface Seen {
  read: number;
  written: number;
  /** Epoch ms of the last check that saw this socket's byte counts move (or of its connection). */
  since: number;
}

/**
 * Closes every socket of `server` that has moved no byte either way for
 * `idleMs`, checked every `checkMs` (so it is closed within idleMs + checkMs):
 * a client that stops reading a large response, or goes silent mid-exchange,
 * gives its socket back.
 *
 * Why not Fastify's `connectionTimeout` (socket.setTimeout): that re-arms a
 * timer on every read and every write of every request, which on /health and
 * /ready — the hottest routes — was a measurable share of a request
 * (bench:instructions). This costs nothing per request: one Map entry per
 * connection and one pass over the open sockets per check.
 *
 * Checks run while the server listens; the returned function stops them early.
 */
export function closeIdleSockets(server: Server, idleMs: number, checkMs: number, now: () => number = Date.now): () => void {
  const sockets = new Map<Socket, Seen>();
  server.on('connection', (socket: Socket) => {
    sockets.set(socket, { read: 0, written: 0, since: now() });
    socket.once('close', () => sockets.delete(socket));
  });
  let timer: NodeJS.Timeout | undefined;
  const check = (): void => {
    const at = now();
    for (const [socket, seen] of sockets) {
      const read = socket.bytesRead;
      const written = socket.bytesWritten ?? 0;
      if (read !== seen.read || written !== seen.written) {
        seen.read = read;
        seen.written = written;
        seen.since = at;
      } else if (at - seen.since >= idleMs) {
        sockets.delete(socket);
        socket.destroy();
      }
    }
  };
  const stop = (): void => {
    clearInterval(timer);
    timer = undefined;
  };
  // Only while listening: an app used through inject() alone has no sockets to watch.
  server.on('listening', () => {
    stop();
    // Never what keeps the process alive.
    timer = setInterval(check, checkMs).unref();
  });
  server.on('close', stop);
  return stop;
}
