import type { Driver } from 'neo4j-driver';
import { z } from 'zod';
import { performance } from 'node:perf_hooks';
import { ProbeError, type ClassifiedError } from '../src/core/errors.js';
import type { Probe, ProbeContext, ProbeDefinition } from '../src/core/probe.js';
import { redactUrl } from '../src/core/redact.js';
import type { CheckReport, Reason } from '../src/core/types.js';
import { untilAborted, withDeadline } from './shared/abortable.js';
import { field } from '../src/core/fields.js';
import { lazyLibrary } from './shared/lazy-library.js';
import { urlTarget } from './shared/hint-target.js';
import { managedClient } from './shared/managed-client.js';

/**
 * Neo4j: one driver per probe (a pool of at most two connections), checked
 * with getServerInfo (connect, Bolt handshake, authenticate) and `RETURN 1`
 * in a read session on the configured database.
 */

const options = z.object({
  /** bolt://host:7687, neo4j://host:7687 (routing), or their +s / +ssc TLS forms. */
  url: z.string().min(1),
  user: z.string().optional(),
  password: z.string().optional(),
  /** Database to query; the user's home database when unset. */
  database: z.string().min(1).optional(),
});
type Neo4jOptions = z.output<typeof options>;

/*
 * The run's deadline is the runner's signal. These bound what an aborted run
 * leaves behind: connectionTimeout covers only the TCP connect, the Bolt
 * handshake and login are bounded by nothing but the acquisition timeout
 * (driver default 60 s).
 */
const CONNECTION_TIMEOUT_MS = 5_000;
const ACQUISITION_TIMEOUT_MS = 10_000;
const MAX_POOL_SIZE = 2;
/** How long dropping a driver after a timed-out run may take in the background. */
const DISCARD_DEADLINE_MS = 2_000;

const HINTS = {
  refused:
    'nothing accepted the connection: check Neo4j is running and listening for Bolt on {host}:{port} (7687 by default) (server.bolt.listen_address), e.g. `kubectl get pods | grep neo4j`',
  timeout:
    'Neo4j accepted the connection but did not answer in time: check the server is not hung, overloaded or still starting, and that {host}:{port} really is Bolt (7687 by default) and not something that accepts and waits',
  auth: "authentication failed: check the probe's user and password; reset the password with `ALTER CURRENT USER SET PASSWORD FROM 'old' TO 'new'` (cypher-shell)",
  unavailable:
    'Neo4j is reachable but not serving: wait for it to finish starting (`kubectl wait --for=condition=ready pod -l app=neo4j`), check the database is online (`SHOW DATABASES`) and the server log; restart it if it stays down',
  config: 'check the probe options: url (bolt://host:7687 or neo4j://host:7687) and database (it must exist: `SHOW DATABASES`)',
} as const;

const AUTH_CODES = new Set([
  'Neo.ClientError.Security.Unauthorized',
  'Neo.ClientError.Security.AuthenticationRateLimit',
  'Neo.ClientError.Security.CredentialsExpired',
  'Neo.ClientError.Security.TokenExpired',
  'Neo.ClientError.Security.Forbidden',
]);
const CONFIG_CODES = new Set(['Neo.ClientError.Database.DatabaseNotFound']);

/** The socket-level reason hidden in a driver message ("… Caused by: connect ECONNREFUSED 127.0.0.1:7687"). */
function connectReason(message: string): Reason | undefined {
  if (/ECONNREFUSED|ECONNRESET|EPIPE|EHOSTUNREACH|ENETUNREACH/.test(message)) return 'refused';
  if (/ENOTFOUND|EAI_AGAIN|EAI_NONAME/.test(message)) return 'dns';
  if (/Failed to establish connection in|acquisition timed out|ETIMEDOUT/i.test(message)) return 'timeout';
  if (/certificate|SSL|TLS|EPROTO/i.test(message)) return 'tls';
  return undefined;
}

/** Neo4j driver error → reason. The driver keeps the server's code in `code`, socket failures as ServiceUnavailable. */
export function classifyNeo4jError(error: unknown): ClassifiedError | undefined {
  const code = field(error, 'code');
  const raw = field(error, 'message');
  if (typeof code !== 'string' || typeof raw !== 'string') return undefined;
  // "Failed to connect to server. Please ensure … Caused by: connect ECONNREFUSED …": keep the cause.
  const cause = /Caused by: (.*)$/s.exec(raw)?.[1];
  const message = cause !== undefined ? `could not connect: ${cause}` : raw;
  if (AUTH_CODES.has(code)) return { reason: 'auth', message: `${code}: ${message}` };
  if (CONFIG_CODES.has(code)) return { reason: 'config', message: `${code}: ${message}` };
  if (code === 'ServiceUnavailable' || code === 'SessionExpired') {
    return { reason: connectReason(raw) ?? 'unavailable', message };
  }
  if (code.startsWith('Neo.TransientError.') || code === 'Neo.DatabaseError.General.UnknownError') {
    return { reason: 'unavailable', message: `${code}: ${message}` };
  }
  if (code.startsWith('Neo.')) return { reason: 'error', message: `${code}: ${message}` };
  return undefined;
}

type Neo4jLibrary = Pick<typeof import('neo4j-driver'), 'auth' | 'driver' | 'session'>;
const neo4jLibrary = lazyLibrary((): Promise<Neo4jLibrary> => import('neo4j-driver'));

function createNeo4jProbe(opts: Neo4jOptions, ctx: ProbeContext): Probe {
  neo4jLibrary.preload();

  const newDriver = (neo4j: Neo4jLibrary): Driver => {
    let created: Driver;
    try {
      // No user: no token at all, which the driver sends as scheme "none".
      const auth = opts.user === undefined ? undefined : neo4j.auth.basic(opts.user, opts.password ?? '');
      created = neo4j.driver(opts.url, auth, {
        connectionTimeout: CONNECTION_TIMEOUT_MS,
        connectionAcquisitionTimeout: ACQUISITION_TIMEOUT_MS,
        maxConnectionPoolSize: MAX_POOL_SIZE,
        maxTransactionRetryTime: 0,
        disableLosslessIntegers: true,
        userAgent: 'vitals',
        logging: { level: 'error', logger: (_level, message) => ctx.logger.debug({ neo4j: message }, 'neo4j driver') },
      });
    } catch (error) {
      // Bad scheme, unparseable URL: the driver throws at construction.
      const message = error instanceof Error ? error.message : String(error);
      throw new ProbeError('config', `cannot use url ${redactUrl(opts.url)}: ${message}`, { hint: HINTS.config, cause: error });
    }
    return created;
  };

  // A driver opens no connection until used; getServerInfo in check() is the real connect.
  const client = managedClient<Driver>({
    open: async () => newDriver(await neo4jLibrary.get()),
    close: (driver) => driver.close(),
  });

  return {
    prepare: neo4jLibrary.ready,
    async check(signal) {
      const neo4j = await neo4jLibrary.get();
      const current = await client.get(signal);
      const database = opts.database;
      try {
        const server = await untilAborted(current.getServerInfo(database === undefined ? {} : { database }), signal);
        const session = current.session({ defaultAccessMode: neo4j.session.READ, ...(database === undefined ? {} : { database }) });
        try {
          const started = performance.now();
          const result = await untilAborted(session.run('RETURN 1 AS ok'), signal);
          const responseTime = performance.now() - started;
          const value: unknown = result.records[0]?.get('ok');
          if (value !== 1) throw new ProbeError('error', `RETURN 1 answered ${JSON.stringify(value) ?? 'nothing'}`);
          const info: NonNullable<CheckReport['info']> = {
            agent: server.agent ?? null,
            version: server.agent?.replace(/^Neo4j\//i, '') ?? null,
            // toString(), not getMajor()/getMinor(): driver 6.3's getMinor() returns the major.
            protocol: server.protocolVersion?.toString() ?? null,
            address: server.address ?? null,
            database: result.summary.database.name ?? database ?? null,
          };
          return { observations: [{ measurement: 'responseTime', value: responseTime, unit: 'ms' }], info };
        } finally {
          // Closing waits for the server when it hangs; never let it hold the run.
          void withDeadline(session.close(), DISCARD_DEADLINE_MS);
        }
      } catch (error) {
        // After a timed-out run the pool may hold connections stuck mid-handshake
        // until the acquisition timeout; a fresh driver next run does not queue behind them.
        if (signal.aborted) client.drop(current);
        throw error;
      }
    },
    close: (deadlineMs) => client.close(deadlineMs),
  };
}

export const neo4jProbe: ProbeDefinition<typeof options> = {
  type: 'neo4j',
  componentType: 'datastore',
  defaultIntervalMs: 10_000,
  options,
  measurements: {
    responseTime: { unit: 'ms', description: 'round trip of RETURN 1 in a read session (pooled connection)' },
  },
  hints: {
    reasons: {
      refused: HINTS.refused,
      timeout: HINTS.timeout,
      auth: HINTS.auth,
      unavailable: HINTS.unavailable,
      config: HINTS.config,
    },
    measurements: {
      responseTime:
        'Neo4j answers slowly: look for long-running queries (`SHOW TRANSACTIONS`), GC pauses in debug.log, and a page cache too small for the store (server.memory.pagecache.size)',
    },
  },
  classifyError: classifyNeo4jError,
  secretOptions: ['password'],
  hintTarget: ({ url }) => urlTarget(url, 7687),
  create: createNeo4jProbe,
};
