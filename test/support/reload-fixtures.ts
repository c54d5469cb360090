import { createServer, type Server } from 'node:net';
import { startHttpUpstream, type HttpUpstream } from './http-upstream.js';
import { startNatsServer, type NatsServer } from './nats-server.js';
import { startPostgres, type PostgresServer } from './postgres-server.js';
import { startRedis, type RedisServer } from './redis-server.js';

/** Real servers a reload test points its probes at. */
export interface ReloadTargets {
  postgres: PostgresServer;
  redis: RedisServer;
  nats: NatsServer;
  upstream: HttpUpstream;
  /** A loopback listener that accepts and holds connections (the tcp probes' target). */
  tcpPort: number;
}

/** Starts every target in parallel; stop() stops them all (idempotent enough for afterAll). */
export async function startReloadTargets(): Promise<{ targets: ReloadTargets; stop(): Promise<void> }> {
  const [postgres, redis, nats, upstream, tcp] = await Promise.all([startPostgres(), startRedis(), startNatsServer(), startHttpUpstream(), startTcpListener()]);
  return {
    targets: { postgres, redis, nats, upstream, tcpPort: tcp.port },
    stop: async () => {
      await Promise.all([postgres.stop(), redis.stop(), nats.stop(), upstream.close(), tcp.close()]);
    },
  };
}

/** A loopback TCP listener that accepts anything; close() destroys what it accepted. */
export async function startTcpListener(): Promise<{ port: number; close(): Promise<void> }> {
  const sockets = new Set<import('node:net').Socket>();
  const server: Server = createServer((socket) => {
    sockets.add(socket);
    socket.on('close', () => sockets.delete(socket));
    socket.on('error', () => undefined);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const address = server.address();
  if (address === null || typeof address === 'string') throw new Error('no port');
  return {
    port: address.port,
    close: () =>
      new Promise((resolve) => {
        for (const socket of sockets) socket.destroy();
        server.close(() => resolve());
      }),
  };
}

/** One YAML flow-mapping line per probe, for `probes:`. */
export const datastoreProbes = {
  postgres: (t: Pick<ReloadTargets, 'postgres'>, name = 'pg', extra = ''): string => `  - { name: ${name}, type: postgres, url: "${t.postgres.url()}", interval: 2s${extra} }`,
  redis: (t: Pick<ReloadTargets, 'redis'>, name = 'cache', extra = ''): string => `  - { name: ${name}, type: redis, url: "${t.redis.url()}", interval: 2s${extra} }`,
  nats: (t: Pick<ReloadTargets, 'nats'>, name = 'bus', extra = ''): string =>
    `  - { name: ${name}, type: nats, url: "${t.nats.url}", user: ${t.nats.user}, password: "${t.nats.password}", interval: 2s${extra} }`,
};

export function tcpProbe(t: Pick<ReloadTargets, 'tcpPort'>, name: string, extra = ''): string {
  return `  - { name: ${name}, type: tcp, host: 127.0.0.1, port: ${t.tcpPort}, interval: 2s${extra} }`;
}

export function httpProbe(t: Pick<ReloadTargets, 'upstream'>, name: string, path = '/ok', extra = ''): string {
  return `  - { name: ${name}, type: http, url: "${t.upstream.origin}${path}", interval: 2s, timeout: 1s${extra} }`;
}

/** A whole config file: server, token, then the probe lines. */
export function configYaml(port: number, token: string, probes: readonly string[], head = ''): string {
  return [`server: { host: 127.0.0.1, port: ${port} }`, `auth: { token: "${token}" }`, 'shutdown: { drainDelay: 0s, timeout: 5s }', head, 'probes:', ...probes, ''].join('\n');
}

/** Ten probes against real servers: postgres, redis, nats, three tcp, three http, disk. */
export function tenProbes(t: ReloadTargets): string[] {
  return [
    datastoreProbes.postgres(t),
    datastoreProbes.redis(t),
    datastoreProbes.nats(t),
    tcpProbe(t, 'tcp-1'),
    tcpProbe(t, 'tcp-2'),
    tcpProbe(t, 'tcp-3'),
    httpProbe(t, 'web-1'),
    httpProbe(t, 'web-2', '/text'),
    httpProbe(t, 'web-3', '/slow?ms=50'),
    '  - { name: root-disk, type: disk, path: /, critical: false, interval: 2s }',
  ];
}
