import { performance } from 'node:perf_hooks';
import type { Redis } from 'ioredis';
import { z } from 'zod';
import type { ClassifiedError } from '../src/core/errors.js';
import type { HintTable, MeasurementSpec, Probe, ProbeContext, ProbeDefinition } from '../src/core/probe.js';
import type { CheckReport, Observation } from '../src/core/types.js';
import { abortReason } from './shared/abortable.js';
import { urlTarget } from './shared/hint-target.js';
import { lazyLibrary } from './shared/lazy-library.js';
import { managedClient } from './shared/managed-client.js';

/**
 * Redis: one connection (ioredis), `PING` for responseTime, then `INFO` for
 * memory, hit ratio, clients, rejections, evictions, role and loading.
 *
 * Bounded time: the runner owns the timeout and aborts the signal; on abort
 * the connection is dropped at once with disconnect() (quit() would wait for a
 * hung server), and the next check dials a fresh one. ioredis never reconnects
 * or retries on its own here (retryStrategy → null, no offline queue, no
 * per-request retries), so a down server costs one connect attempt per run.
 * The client-level timeouts are only a backstop for callers that never abort.
 */

const BACKSTOP_MS = 60_000;
/** Below the default warn: with noeviction a full Redis refuses writes, so say so before the plain threshold does. */
const NOEVICTION_WARN = 0.8;

function isRedisUrl(text: string): boolean {
  try {
    const { protocol } = new URL(text);
    return protocol === 'redis:' || protocol === 'rediss:';
  } catch {
    return false;
  }
}

const options = z.object({
  url: z.string().min(1).refine(isRedisUrl, { message: 'must be a redis:// or rediss:// URL' }),
});

export type RedisOptions = z.output<typeof options>;

const measurements: Record<string, MeasurementSpec> = {
  responseTime: { unit: 'ms', description: 'round trip of PING' },
  memoryUtilization: {
    unit: 'ratio',
    warn: 0.8,
    fail: 0.95,
    description: 'used_memory ÷ maxmemory (null when maxmemory is 0, i.e. unlimited)',
  },
  hitRatio: {
    unit: 'ratio',
    worse: 'lower',
    description: 'keyspace_hits ÷ (hits + misses) since the server started (null before any lookup); no default threshold',
  },
  connectedClients: { unit: 'count', description: 'connected_clients' },
  rejectedConnections: { unit: 'count', description: 'rejected_connections since start (maxclients reached)' },
  evictedKeys: { unit: 'count', description: 'evicted_keys since start (keys dropped to stay under maxmemory)' },
};

const HINT = {
  refused:
    "Redis is not accepting connections: start it (check with `redis-cli -h {host} -p {port} ping`), and check its bind, port and protected-mode settings against the URL's host and port",
  timeout:
    'Redis did not answer in time: check it is not blocked by a slow command (SLOWLOG GET; KEYS, big DEL, long Lua scripts), a fork for a snapshot of a large dataset, or swapping, and that the network path does not drop packets',
  dns: "the Redis host name {host} did not resolve: check the URL's host, the resolver configuration and that the service or DNS record exists",
  auth: "Redis rejected the credentials: the URL's password (and user name, for an ACL user) must match the server's requirepass or the ACL user; a server with requirepass answers NOAUTH to a URL without one",
  noPermission: 'the ACL user may not run PING or INFO: grant them (ACL SETUSER name +ping +info) or use another user',
  loading: 'Redis is loading its dataset from disk after a restart and answers nothing else until done: wait for the load to finish (INFO persistence: loading_eta_seconds)',
  oom: 'Redis is out of memory and refuses writes (OOM): set maxmemory-policy allkeys-lru for a cache or raise maxmemory; set TTLs on cache keys and find big keys with `redis-cli -h {host} -p {port} --bigkeys`',
  busy: 'Redis is busy running a script or function: stop it with SCRIPT KILL or FUNCTION KILL, and keep scripts short',
  maxClients: 'Redis has reached maxclients: raise maxclients or find the client leaking connections (CLIENT LIST)',
  masterDown: 'this replica lost its master and serves no data (replica-serve-stale-data no): check the master and the replication link (INFO replication)',
  unavailable: 'Redis is reachable but refusing work: check its log and INFO (loading, memory, replication)',
  tls: 'the TLS handshake with Redis failed: check that the server listens with TLS on this port (rediss://), its certificate and chain, and the host name',
  config: "the probe's URL is unusable: it must be a redis:// URL (rediss:// for TLS) with host, port, the password in its user-info part and an optional /db number; check the variable it comes from",
  threshold: 'a Redis reading crossed its threshold: see the measurement named in the message',
  memory:
    'Redis memory is close to maxmemory: for a cache set maxmemory-policy allkeys-lru (with noeviction writes fail with OOM once full), or raise maxmemory; set TTLs on cache keys and find big keys with `redis-cli -h {host} -p {port} --bigkeys`',
  hitRatio:
    'few lookups find their key: the cache is too small for the working set (raise maxmemory; see evicted_keys) or keys expire or are written too late; check the TTLs and the access pattern',
  evictedKeys:
    'Redis is evicting keys to stay under maxmemory: the cache is too small (raise maxmemory) or keys lack TTLs, so live data is evicted instead of stale data',
  rejectedConnections: 'Redis turned connections away at maxclients: raise maxclients or find the client leaking connections (CLIENT LIST)',
  connectedClients: 'many clients are connected: look for a connection leak with CLIENT LIST (age, idle, name) and check maxclients',
  responseTime: 'Redis answers slowly: check SLOWLOG GET, big keys, CPU saturation and latency (`redis-cli -h {host} -p {port} --latency`)',
} as const;

const hints: HintTable = {
  reasons: {
    refused: HINT.refused,
    timeout: HINT.timeout,
    dns: HINT.dns,
    auth: HINT.auth,
    unavailable: HINT.unavailable,
    tls: HINT.tls,
    config: HINT.config,
    threshold: HINT.threshold,
  },
  measurements: {
    memoryUtilization: HINT.memory,
    hitRatio: HINT.hitRatio,
    evictedKeys: HINT.evictedKeys,
    rejectedConnections: HINT.rejectedConnections,
    connectedClients: HINT.connectedClients,
    responseTime: HINT.responseTime,
  },
};

/** Redis error replies start with an upper-case code: `WRONGPASS …`, `LOADING …`. */
const REPLY_CODES: Record<string, { reason: ClassifiedError['reason']; hint: string }> = {
  WRONGPASS: { reason: 'auth', hint: HINT.auth },
  NOAUTH: { reason: 'auth', hint: HINT.auth },
  NOPERM: { reason: 'auth', hint: HINT.noPermission },
  LOADING: { reason: 'unavailable', hint: HINT.loading },
  OOM: { reason: 'unavailable', hint: HINT.oom },
  BUSY: { reason: 'unavailable', hint: HINT.busy },
  MASTERDOWN: { reason: 'unavailable', hint: HINT.masterDown },
};

/** ioredis's own messages for client-side failures (they carry no code). */
const CLIENT_MESSAGES: { pattern: RegExp; reason: ClassifiedError['reason']; hint: string }[] = [
  { pattern: /^Command timed out/i, reason: 'timeout', hint: HINT.timeout },
  { pattern: /max number of clients reached/i, reason: 'unavailable', hint: HINT.maxClients },
  { pattern: /^Connection is closed|Stream isn't writeable|Command aborted due to connection close/i, reason: 'refused', hint: HINT.refused },
];

function messageOf(error: unknown): string {
  if (error !== null && typeof error === 'object') {
    const message = (error as Record<string, unknown>).message;
    if (typeof message === 'string') return message;
  }
  return '';
}

export function classifyRedisError(error: unknown): ClassifiedError | undefined {
  const message = messageOf(error).trim();
  const code = /^([A-Z]{2,})\b/.exec(message)?.[1];
  if (code !== undefined) {
    const known = REPLY_CODES[code];
    if (known !== undefined) return { reason: known.reason, message, hint: known.hint };
  }
  for (const rule of CLIENT_MESSAGES) {
    if (rule.pattern.test(message)) return { reason: rule.reason, message, hint: rule.hint };
  }
  return undefined;
}

/** `INFO` text → field map (`# Section` headers and blank lines skipped). */
export function parseInfo(text: string): Map<string, string> {
  const fields = new Map<string, string>();
  for (const line of text.split(/\r?\n/)) {
    if (line === '' || line.startsWith('#')) continue;
    const colon = line.indexOf(':');
    if (colon > 0) fields.set(line.slice(0, colon), line.slice(colon + 1));
  }
  return fields;
}

function numberField(fields: Map<string, string>, key: string): number | undefined {
  const text = fields.get(key);
  if (text === undefined || text === '') return undefined;
  const value = Number(text);
  return Number.isFinite(value) ? value : undefined;
}

function countObservation(measurement: string, fields: Map<string, string>, key: string): Observation {
  return { measurement, value: numberField(fields, key) ?? null, unit: 'count' };
}

function memoryObservation(fields: Map<string, string>): Observation {
  const used = numberField(fields, 'used_memory');
  const max = numberField(fields, 'maxmemory');
  const policy = fields.get('maxmemory_policy');
  if (used === undefined || max === undefined || max <= 0) return { measurement: 'memoryUtilization', value: null, unit: 'ratio' };
  const ratio = used / max;
  const observation: Observation = { measurement: 'memoryUtilization', value: ratio, unit: 'ratio' };
  const percent = `${Math.round(ratio * 100)}%`;
  if (used > max) {
    // Eviction runs before every command; still over the limit means it could not free enough.
    observation.status = 'fail';
    observation.output = `used_memory is ${percent} of maxmemory (policy ${policy ?? 'unknown'}): Redis refuses writes with OOM`;
  } else if (policy === 'noeviction' && ratio >= NOEVICTION_WARN) {
    observation.status = 'warn';
    observation.output = `used_memory is ${percent} of maxmemory with maxmemory-policy noeviction: writes will fail with OOM once full instead of evicting`;
  }
  return observation;
}

function hitRatioObservation(fields: Map<string, string>): Observation {
  const hits = numberField(fields, 'keyspace_hits') ?? 0;
  const misses = numberField(fields, 'keyspace_misses') ?? 0;
  const lookups = hits + misses;
  return { measurement: 'hitRatio', value: lookups === 0 ? null : hits / lookups, unit: 'ratio' };
}

/** ioredis's generic rejections hide the cause, which arrived on the 'error' event. */
function isGenericClose(error: unknown): boolean {
  return /^Connection is closed|Stream isn't writeable|Command aborted due to connection close/i.test(messageOf(error));
}

/** One connection and the last error it reported (the real cause behind ioredis's generic rejections). */
interface Session {
  client: Redis;
  lastError?: Error;
}

type RedisClass = typeof import('ioredis').Redis;
const ioredis = lazyLibrary(async (): Promise<RedisClass> => (await import('ioredis')).Redis);

function report(responseTime: number, fields: Map<string, string>): CheckReport {
  const observations: Observation[] = [
    { measurement: 'responseTime', value: Math.round(responseTime * 1000) / 1000, unit: 'ms' },
    memoryObservation(fields),
    hitRatioObservation(fields),
    countObservation('connectedClients', fields, 'connected_clients'),
    countObservation('rejectedConnections', fields, 'rejected_connections'),
    countObservation('evictedKeys', fields, 'evicted_keys'),
  ];
  const info: NonNullable<CheckReport['info']> = {
    version: fields.get('redis_version') ?? null,
    role: fields.get('role') ?? null,
    loading: fields.get('loading') === '1',
    maxmemoryPolicy: fields.get('maxmemory_policy') ?? null,
    usedMemoryBytes: numberField(fields, 'used_memory') ?? null,
    maxmemoryBytes: numberField(fields, 'maxmemory') ?? null,
  };
  return { observations, info };
}

/** One connection, dialled on the first run and again after any failure; never reconnecting by itself. */
function createRedisProbe(opts: RedisOptions, ctx: ProbeContext): Probe {
  ioredis.preload();

  const dial = (RedisClient: RedisClass): Session => {
    const client = new RedisClient(opts.url, {
      lazyConnect: true,
      connectTimeout: BACKSTOP_MS,
      commandTimeout: BACKSTOP_MS,
      maxRetriesPerRequest: 0,
      enableOfflineQueue: false,
      // INFO-based ready check would wait out a LOADING server; we want to see LOADING.
      enableReadyCheck: false,
      // Never reconnect in the background: the next check dials again.
      retryStrategy: () => null,
      reconnectOnError: () => false,
      autoResubscribe: false,
      connectionName: 'vitals',
      disableClientInfo: true,
    });
    const fresh: Session = { client };
    client.on('error', (error: Error) => {
      fresh.lastError = error;
      ctx.logger.debug({ probe: ctx.name, err: error.message }, 'redis connection error');
    });
    return fresh;
  };

  /** ioredis rejects with "Connection is closed"; the real cause came on the 'error' event. */
  const realCause = (error: unknown, session: Session): unknown =>
    isGenericClose(error) && session.lastError !== undefined ? session.lastError : error;

  const connection = managedClient<Session>({
    async open() {
      const session = dial(await ioredis.get());
      try {
        await session.client.connect();
      } catch (error) {
        session.client.disconnect();
        throw realCause(error, session);
      }
      return session;
    },
    isUsable: (session) => session.client.status === 'ready',
    // disconnect() is immediate (no QUIT round trip, which a hung server never answers).
    close: async (session) => session.client.disconnect(),
  });

  return {
    prepare: ioredis.ready,
    async check(signal: AbortSignal): Promise<CheckReport> {
      if (signal.aborted) throw abortReason(signal);
      const session = await connection.get(signal);
      const onAbort = (): void => connection.drop(session);
      signal.addEventListener('abort', onAbort, { once: true });
      try {
        const started = performance.now();
        await session.client.ping();
        const responseTime = performance.now() - started;
        return report(responseTime, parseInfo(await session.client.info()));
      } catch (error) {
        connection.drop(session);
        throw realCause(error, session);
      } finally {
        signal.removeEventListener('abort', onAbort);
      }
    },
    close: (deadlineMs) => connection.close(deadlineMs),
  };
}

export const redisProbe: ProbeDefinition<typeof options> = {
  type: 'redis',
  componentType: 'datastore',
  defaultIntervalMs: 10_000,
  options,
  measurements,
  hints,
  hintTarget: ({ url }) => urlTarget(url, 6379),
  classifyError: classifyRedisError,
  create: createRedisProbe,
};
