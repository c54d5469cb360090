import http from 'node:http';
import net, { type AddressInfo } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { closeIdleSockets } from '../../src/http/idle-sockets.js';

const IDLE_MS = 300;
const CHECK_MS = 50;
const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

let server: http.Server | undefined;
const clients: net.Socket[] = [];

afterEach(async () => {
  for (const c of clients.splice(0)) c.destroy();
  server?.closeAllConnections();
  await new Promise((r) => server?.close(r) ?? r(undefined));
  server = undefined;
});

/**
 * A real server on loopback whose one route answers a body far larger than
 * the socket buffers; resolves with its port and its side of the next
 * connection (a paused client never sees the close, the server does).
 */
async function listen(): Promise<{ port: number; accepted: Promise<net.Socket> }> {
  const big = Buffer.alloc(64 * 2 ** 20, 'x');
  server = http.createServer((_req, res) => res.end(big));
  const accepted = new Promise<net.Socket>((r) => server!.once('connection', r));
  closeIdleSockets(server, IDLE_MS, CHECK_MS);
  await new Promise<void>((r) => server!.listen(0, '127.0.0.1', r));
  return { port: (server.address() as AddressInfo).port, accepted };
}

/** Resolves with ms from `from` until the socket is closed, or Infinity past `withinMs`. */
function closedAfter(socket: net.Socket, from: number, withinMs: number): Promise<number> {
  return new Promise((resolve) => {
    const timer = setTimeout(() => resolve(Number.POSITIVE_INFINITY), withinMs);
    socket.once('close', () => {
      clearTimeout(timer);
      resolve(performance.now() - from);
    });
  });
}

function connect(port: number): net.Socket {
  const socket = net.connect(port, '127.0.0.1');
  socket.on('error', () => undefined);
  clients.push(socket);
  return socket;
}

describe('closeIdleSockets', () => {
  it('closes a socket whose client stopped reading a large response, within idle + one check', async () => {
    const { port, accepted } = await listen();
    const socket = connect(port);
    socket.pause(); // never reads: the 64 MiB write stalls once the kernel buffers are full
    socket.write('GET / HTTP/1.1\r\nHost: x\r\n\r\n');
    const started = performance.now();
    const ms = await closedAfter(await accepted, started, 3_000);
    expect(ms).toBeGreaterThanOrEqual(IDLE_MS - CHECK_MS);
    expect(ms).toBeLessThan(3_000);
  });

  it('leaves a socket open while bytes keep moving, and closes it once they stop', async () => {
    const { port, accepted } = await listen();
    const socket = connect(port);
    // A header block dribbled one byte every 60 ms: never complete, never idle for IDLE_MS.
    socket.write('GET / HTTP/1.1\r\nHost: x\r\nX-Slow: ');
    const dribble = setInterval(() => socket.write('a'), 60);
    const serverSide = await accepted;
    const closed = closedAfter(serverSide, performance.now(), 10_000);
    try {
      await sleep(4 * IDLE_MS);
      expect(serverSide.destroyed).toBe(false);
    } finally {
      clearInterval(dribble);
    }
    const stopped = performance.now();
    expect(await closed).toBeLessThan(Number.POSITIVE_INFINITY);
    expect(performance.now() - stopped).toBeLessThan(3_000);
  });
});
