import type { ConnectionOptions, NatsConnection } from 'nats';
import { z } from 'zod';
import { ProbeError, type ClassifiedError } from '../src/core/errors.js';
import type { Probe, ProbeContext, ProbeDefinition } from '../src/core/probe.js';
import { redactUrl } from '../src/core/redact.js';
import type { CheckReport, CheckWarning, Observation, Reason } from '../src/core/types.js';
import { untilAborted } from './shared/abortable.js';
import { urlTarget } from './shared/hint-target.js';
import { managedClient } from './shared/managed-client.js';
import { lazyLibrary } from './shared/lazy-library.js';

/**
 * NATS: one long-lived connection per probe, checked with a PING/PONG round
 * trip (`rtt()`), plus optional figures from the server's monitoring port
 * (nats-server `-m` / `http:`): connections, slow consumers, memory, JetStream.
 */

const options = z.object({
  /** nats://host:4222, or several separated by commas; may carry user:password@. */
  url: z.string().min(1),
  user: z.string().optional(),
  password: z.string().optional(),
  token: z.string().optional(),
  /** http://host:8222: the monitoring endpoint. Without it only rtt and server info are read. */
  monitorUrl: z.string().url().optional(),
});
type NatsOptions = z.output<typeof options>;

/*
 * The check's own deadline is the runner's signal; these only bound what
 * outlives an aborted run (a connect still pending, a connection gone stale)
 * so that nothing the probe holds can hang for the library defaults (20 s
 * connect, 2 min ping).
 */
const CONNECT_TIMEOUT_MS = 10_000;
const PING_INTERVAL_MS = 10_000;
const MAX_PINGS_OUT = 2;

const HINTS = {
  refused:
    'nothing accepted the connection: check nats-server is running and listening on {host}:{port} (the address in url; 4222 by default) (`docker ps | grep nats`, `kubectl get pods | grep nats`)',
  timeout:
    'NATS did not answer in time: check the server is not hung or overloaded (`nats-top`, the monitor /varz), and that no firewall drops packets to {host}:{port}',
  auth: "authorization violation: the probe's user/password or token does not match the server's `authorization` block (or the account's users)",
  unavailable: 'the NATS connection was closed by the server: check the server log for the reason (slow consumer, max connections, stale connection)',
  slowConsumers:
    'slow consumers: subscribers are not keeping up and the server is dropping them. Add consumer workers (queue groups) or larger client buffers; use JetStream for a durable backlog (find them with /connz?state=closed)',
} as const;

/** NATS client error codes (NatsError.code) → reason. */
const CODE_REASONS: Readonly<Record<string, Reason>> = {
  CONNECTION_REFUSED: 'refused',
  CONNECTION_TIMEOUT: 'timeout',
  TIMEOUT: 'timeout',
  AUTHORIZATION_VIOLATION: 'auth',
  BAD_AUTHENTICATION: 'auth',
  BAD_CREDS: 'auth',
  AUTHENTICATION_EXPIRED: 'auth',
  AUTHENTICATION_TIMEOUT: 'auth',
  ACCOUNT_EXPIRED: 'auth',
  PERMISSIONS_VIOLATION: 'auth',
  CONNECTION_CLOSED: 'unavailable',
  DISCONNECT: 'unavailable',
  CONNECTION_DRAINING: 'unavailable',
  INVALID_OPTION: 'config',
};

/** What the nats client's errors mean; undefined lets the runner's errno rules decide. */
export function classifyNatsError(error: unknown): ClassifiedError | undefined {
  if (error === null || typeof error !== 'object') return undefined;
  const code = (error as { code?: unknown }).code;
  const message = (error as { message?: unknown }).message;
  const reason = typeof code === 'string' ? CODE_REASONS[code] : undefined;
  if (reason === undefined) return undefined;
  // nats.js messages are often just the code ("CONNECTION_REFUSED"); say it in words.
  const words: Partial<Record<Reason, string>> = {
    refused: 'connection refused',
    timeout: 'no answer from the server',
    auth: 'authorization violation',
    unavailable: 'connection closed',
  };
  const text = typeof message === 'string' && message !== code ? message.replace(/^'|'$/g, '') : (words[reason] ?? String(code));
  return { reason, message: text };
}

/** Splits credentials out of the URL(s): nats.js does not read them from there. */
export function natsServers(url: string): { servers: string[]; user?: string; password?: string } {
  let user: string | undefined;
  let password: string | undefined;
  const servers = url
    .split(',')
    .map((part) => part.trim())
    .filter((part) => part !== '')
    .map((part) => {
      const withScheme = part.includes('://') ? part : `nats://${part}`;
      let parsed: URL;
      try {
        parsed = new URL(withScheme);
      } catch {
        throw new ProbeError('config', `not a NATS URL: ${redactUrl(part)}`, {
          hint: 'url must look like nats://host:4222 (several separated by commas)',
        });
      }
      if (parsed.username !== '') user ??= decodeURIComponent(parsed.username);
      if (parsed.password !== '') password ??= decodeURIComponent(parsed.password);
      return `${parsed.protocol}//${parsed.host}`;
    });
  if (servers.length === 0) throw new ProbeError('config', 'url names no NATS server', { hint: 'set url to nats://host:4222' });
  return { servers, ...(user === undefined ? {} : { user }), ...(password === undefined ? {} : { password }) };
}


// ---- monitoring endpoint -------------------------------------------------

interface Varz {
  connections?: number;
  slow_consumers?: number;
  mem?: number;
}
interface Connz {
  connections?: { cid?: number; name?: string; ip?: string; port?: number; reason?: string }[];
}
interface Jsz {
  streams?: number;
  consumers?: number;
  storage?: number;
  memory?: number;
}

async function fetchJson<T>(base: string, path: string, signal: AbortSignal): Promise<T> {
  const url = new URL(path, base.endsWith('/') ? base : `${base}/`);
  const response = await fetch(url, { signal, headers: { accept: 'application/json' } });
  if (!response.ok) {
    await response.body?.cancel();
    throw new Error(`${path} answered HTTP ${response.status}`);
  }
  return (await response.json()) as T;
}

const num = (value: unknown): number | undefined => (typeof value === 'number' && Number.isFinite(value) ? value : undefined);

/** Clients the server dropped as slow consumers, from its ring of recently closed connections. */
function slowConsumerClients(connz: Connz): string[] {
  return (connz.connections ?? [])
    .filter((c) => typeof c.reason === 'string' && /slow consumer/i.test(c.reason))
    .map((c) => `${c.name !== undefined && c.name !== '' ? c.name : `cid ${String(c.cid)}`} (${String(c.ip)}:${String(c.port)})`);
}

// ---- the probe -----------------------------------------------------------

type NatsLibrary = typeof import('nats');
const natsLibrary = lazyLibrary((): Promise<NatsLibrary> => import('nats'));

function createNatsProbe(opts: NatsOptions, ctx: ProbeContext): Probe {
  natsLibrary.preload();
  /** Last /varz slow_consumers seen, to report new ones per run (the counter only grows). */
  let lastSlowConsumers: number | undefined;

  const connectOptions = (): ConnectionOptions => {
    const parsed = natsServers(opts.url);
    const user = opts.user ?? parsed.user;
    const pass = opts.password ?? parsed.password;
    return {
      servers: parsed.servers,
      name: `vitals:${ctx.name}`,
      timeout: CONNECT_TIMEOUT_MS,
      pingInterval: PING_INTERVAL_MS,
      maxPingOut: MAX_PINGS_OUT,
      // A dropped connection is a failed check and a fresh connect next run,
      // never a background reconnect loop that would hide the outage.
      reconnect: false,
      noEcho: true,
      ignoreClusterUpdates: true,
      ...(user === undefined ? {} : { user }),
      ...(pass === undefined ? {} : { pass }),
      ...(opts.token === undefined ? {} : { token: opts.token }),
    };
  };

  const client = managedClient<NatsConnection>({
    async open() {
      const { connect } = await natsLibrary.get();
      const fresh = await connect(connectOptions());
      void fresh.closed().then((error) => {
        if (error instanceof Error) ctx.logger.debug({ err: error.message }, 'nats connection closed');
      });
      return fresh;
    },
    isUsable: (nc) => !nc.isClosed(),
    // close(), never drain(): drain waits for the server, which may be hung.
    close: (nc) => nc.close(),
  });

  async function readMonitor(base: string, signal: AbortSignal): Promise<{ observations: Observation[]; info: CheckReport['info'] }> {
    const [varz, connz, jsz] = await Promise.all([
      fetchJson<Varz>(base, 'varz', signal),
      fetchJson<Connz>(base, 'connz?state=closed&limit=1024', signal),
      // JetStream off answers an error document or 5xx; that is not a monitor failure.
      fetchJson<Jsz>(base, 'jsz', signal).catch(() => ({}) as Jsz),
    ]);
    const observations: Observation[] = [];
    const info: NonNullable<CheckReport['info']> = {};
    const connections = num(varz.connections);
    if (connections !== undefined) observations.push({ measurement: 'connections', value: connections, unit: 'count' });
    const total = num(varz.slow_consumers);
    if (total !== undefined) {
      // A restarted server starts its counter again at 0: everything it counts is new.
      const fresh = lastSlowConsumers === undefined || total < lastSlowConsumers ? total : total - lastSlowConsumers;
      lastSlowConsumers = total;
      observations.push({ measurement: 'slowConsumers', value: fresh, unit: 'count' });
      observations.push({ measurement: 'slowConsumersTotal', value: total, unit: 'count' });
    }
    const clients = slowConsumerClients(connz);
    observations.push({ measurement: 'recentSlowConsumerClients', value: clients.length, unit: 'count' });
    if (clients.length > 0) info.slowConsumerClients = clients.slice(0, 10).join(', ');
    const mem = num(varz.mem);
    if (mem !== undefined) observations.push({ measurement: 'memory', value: mem, unit: 'bytes' });
    const streams = num(jsz.streams);
    if (streams !== undefined) {
      observations.push({ measurement: 'jetstreamStreams', value: streams, unit: 'count' });
      observations.push({ measurement: 'jetstreamConsumers', value: num(jsz.consumers) ?? 0, unit: 'count' });
      observations.push({ measurement: 'jetstreamStorage', value: num(jsz.storage) ?? 0, unit: 'bytes' });
      observations.push({ measurement: 'jetstreamMemory', value: num(jsz.memory) ?? 0, unit: 'bytes' });
    }
    return { observations, info };
  }

  return {
    prepare: natsLibrary.ready,
    async check(signal) {
      const nc = await client.get(signal);
      const rtt = await untilAborted(nc.rtt(), signal);
      const observations: Observation[] = [{ measurement: 'rtt', value: rtt, unit: 'ms' }];
      const server = nc.info;
      const info: NonNullable<CheckReport['info']> = {
        server: nc.getServer(),
        serverId: server?.server_id ?? null,
        serverName: server?.server_name ?? null,
        version: server?.version ?? null,
        jetstream: server?.jetstream ?? false,
        maxPayload: server?.max_payload ?? null,
      };
      if (server?.cluster !== undefined) info.cluster = server.cluster;
      const warnings: CheckWarning[] = [];
      if (opts.monitorUrl !== undefined) {
        try {
          const monitor = await readMonitor(opts.monitorUrl, signal);
          observations.push(...monitor.observations);
          Object.assign(info, monitor.info);
        } catch (error) {
          if (signal.aborted) throw error;
          // The connection works; a monitor we cannot read degrades, it does not fail.
          const message = error instanceof Error ? (error.cause instanceof Error ? `${error.message}: ${error.cause.message}` : error.message) : String(error);
          warnings.push({
            reason: 'unavailable',
            message: `monitor ${redactUrl(opts.monitorUrl)} unreadable: ${message}`,
            hint: 'check monitorUrl points at the nats-server monitoring port (`http: 8222` / `-m 8222`) and that it is reachable from vitals',
          });
        }
      }
      return { observations, info, ...(warnings.length > 0 ? { warnings } : {}) };
    },

    close: (deadlineMs) => client.close(deadlineMs),
  };
}

export const natsProbe: ProbeDefinition<typeof options> = {
  type: 'nats',
  componentType: 'component',
  defaultIntervalMs: 10_000,
  options,
  measurements: {
    rtt: { unit: 'ms', description: 'PING/PONG round trip on the probe connection' },
    slowConsumers: {
      unit: 'count',
      warn: 1,
      description: 'slow consumers the server dropped since the previous check (/varz slow_consumers)',
    },
    slowConsumersTotal: { unit: 'count', description: 'slow consumers since the server started (/varz)' },
    recentSlowConsumerClients: {
      unit: 'count',
      description: 'recently closed connections the server dropped as slow consumers (/connz?state=closed)',
    },
    connections: { unit: 'count', description: 'client connections open on the server (/varz)' },
    memory: { unit: 'bytes', description: 'resident memory of nats-server (/varz mem)' },
    jetstreamStreams: { unit: 'count', description: 'JetStream streams (/jsz)' },
    jetstreamConsumers: { unit: 'count', description: 'JetStream consumers (/jsz)' },
    jetstreamStorage: { unit: 'bytes', description: 'JetStream file storage used (/jsz)' },
    jetstreamMemory: { unit: 'bytes', description: 'JetStream memory storage used (/jsz)' },
  },
  hints: {
    reasons: {
      refused: HINTS.refused,
      timeout: HINTS.timeout,
      auth: HINTS.auth,
      unavailable: HINTS.unavailable,
      config: 'url must look like nats://host:4222; give user/password or token as options or in the URL',
    },
    measurements: {
      rtt: 'NATS round trips are slow: check server CPU and connection count (/varz), network latency to the server, and clients flooding it',
      slowConsumers: HINTS.slowConsumers,
      slowConsumersTotal: HINTS.slowConsumers,
      recentSlowConsumerClients: HINTS.slowConsumers,
    },
  },
  classifyError: (error, opts) => {
    const classified = classifyNatsError(error);
    // Name the servers tried: nats.js errors say only what went wrong.
    return classified === undefined ? undefined : { ...classified, message: `${classified.message} (${natsServers(opts.url).servers.join(',')})` };
  },
  secretOptions: ['password', 'token'],
  // The first server of the list: the one the client tries first.
  hintTarget: ({ url }) => urlTarget(`nats://${url.split(',')[0]?.trim().replace(/^[a-z]+:\/\//i, '') ?? ''}`, 4222),
  create: createNatsProbe,
};
