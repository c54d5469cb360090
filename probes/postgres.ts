import net from 'node:net';
import { performance } from 'node:perf_hooks';
import type { Pool } from 'pg';
import { z } from 'zod';
import { parseDuration } from '../src/core/duration.js';
import type { ClassifiedError } from '../src/core/errors.js';
import type { HintTable, MeasurementSpec, Probe, ProbeContext, ProbeDefinition } from '../src/core/probe.js';
import type { CheckReport, Observation } from '../src/core/types.js';
import { stringField } from '../src/core/fields.js';
import { abortReason } from './shared/abortable.js';
import { urlTarget } from './shared/hint-target.js';
import { lazyLibrary } from './shared/lazy-library.js';

/**
 * PostgreSQL: a dedicated pool of at most two connections
 * (application_name=vitals), `SELECT 1` for responseTime, then one statistics
 * query for connections, waiting locks and long-running queries. Optional: the
 * expected migration version, and the slowest statements from
 * pg_stat_statements when that extension is installed.
 *
 * Bounded time: the runner owns the probe timeout and aborts the signal when it
 * fires. On abort every socket of this probe's pool is destroyed, which fails
 * whatever pg was waiting on (connect, query, pool wait) through pg's own error
 * paths, so nothing from a hung run is left for the next one. The client-level
 * timeouts below are only a backstop for callers that never abort.
 */

const BACKSTOP_MS = 60_000;
/** Server-side limits for our own statements: a health probe must never queue behind a migration's lock for long. */
const STATEMENT_TIMEOUT_MS = 10_000;
const LOCK_TIMEOUT_MS = 2_000;
const IDLE_TIMEOUT_MS = 60_000;
const SLOWEST_STATEMENTS = 3;
const STATEMENT_TEXT_MAX = 160;

const IDENTIFIER = /^[A-Za-z_][A-Za-z0-9_$]*$/;

function isPostgresUrl(text: string): boolean {
  try {
    const { protocol } = new URL(text);
    return protocol === 'postgres:' || protocol === 'postgresql:';
  } catch {
    return false;
  }
}

const options = z.object({
  url: z.string().min(1).refine(isPostgresUrl, { message: 'must be a postgres:// or postgresql:// URL' }),
  expectedMigration: z
    .strictObject({
      /** `alembic_version` or `schema.table`. */
      table: z
        .string()
        .refine((t) => t.split('.').length <= 2 && t.split('.').every((part) => IDENTIFIER.test(part)), {
          message: 'must be a table name, optionally schema-qualified (schema.table)',
        }),
      column: z.string().regex(IDENTIFIER, { message: 'must be a column name' }),
      value: z.union([z.string().min(1), z.number()]).transform(String),
    })
    .optional(),
  longQueryAge: z
    .string()
    .default('5m')
    .refine((text) => (parseDuration(text) ?? 0) > 0, { message: 'must be a duration such as 30s or 5m' }),
});

export type PostgresOptions = z.output<typeof options>;

const measurements: Record<string, MeasurementSpec> = {
  responseTime: { unit: 'ms', description: 'round trip of SELECT 1 through the pool (includes connecting when no idle connection)' },
  connections: { unit: 'count', description: 'client backends connected to the server (pg_stat_activity)' },
  connectionsUtilization: {
    unit: 'ratio',
    warn: 0.8,
    fail: 0.95,
    description: 'connections ÷ max_connections',
  },
  waitingLocks: { unit: 'count', description: 'lock requests not yet granted (pg_locks WHERE NOT granted)' },
  longQueries: { unit: 'count', description: 'active queries running longer than longQueryAge' },
  migration: {
    unit: 'info',
    description: 'schema version read from expectedMigration.table (only with expectedMigration); fails when it differs',
  },
};

const HINT = {
  refused:
    'PostgreSQL is not accepting connections: check the server is running (`pg_isready -h {host} -p {port} -d {database}`), its container or service is up, and the URL has the right host and port',
  timeout:
    'PostgreSQL did not answer in time: check the server is not hung or overloaded (CPU, I/O, a long checkpoint, a full disk), look at pg_stat_activity for blocked sessions, and check no firewall silently drops packets',
  dns: "the database host name {host} did not resolve: check the URL's host, the resolver configuration and that the service or DNS record exists",
  auth: "PostgreSQL rejected the login: check the user and password in the URL; if the role or database is missing create it (CREATE ROLE name LOGIN PASSWORD '…'; CREATE DATABASE db OWNER name) and grant it access",
  roleOrHba:
    'no such role, or pg_hba.conf has no line for this host, user and database: create the role or add a pg_hba.conf entry (scram-sha-256), then reload the server',
  noDatabase: "the database named in the URL does not exist: create it (CREATE DATABASE name OWNER role) or fix the URL's path",
  noPrivilege: 'the role lacks a privilege the probe needs: GRANT CONNECT ON DATABASE db TO role (and pg_monitor for full statistics)',
  noPassword: "the server asks for a password and the URL has none: add it after the user name in the URL's user-info part",
  tooManyConnections:
    "PostgreSQL has no free connection slots: raise max_connections or lower the services' pool sizes; find the holders with SELECT datname, usename, application_name, state, count(*) FROM pg_stat_activity GROUP BY 1, 2, 3, 4 and close leaked idle sessions",
  startingUp:
    'PostgreSQL is starting up, recovering, shutting down, or is a standby without hot_standby: wait for it to finish and read the server log; a standby serves reads only with hot_standby = on',
  shutdown: 'PostgreSQL is shutting down or restarting (an operator, a crash or the OOM killer): read the server log for why and wait for it to come back',
  resources: 'PostgreSQL is out of a resource (disk, memory, shared memory): read the server log, free disk space on the data volume, check memory limits',
  unavailable: 'PostgreSQL is reachable but refusing work: read the server log (startup, recovery, shutdown or overload)',
  tls: "the TLS handshake with PostgreSQL failed: check the URL's sslmode, the server certificate and its chain, and sslrootcert",
  config: "the probe's URL is unusable: it must be a postgres:// URL naming user, password, host, port and database, and any file it references (sslrootcert, sslcert) must exist; check the variable it comes from",
  threshold: 'a PostgreSQL reading crossed its threshold: see the measurement named in the message',
  connections:
    "connections are close to max_connections: raise max_connections or lower the services' pool sizes; find the holders with SELECT datname, usename, application_name, count(*) FROM pg_stat_activity GROUP BY 1, 2, 3 and look for leaked idle sessions",
  waitingLocks:
    'sessions are waiting on locks: list them with SELECT * FROM pg_locks WHERE NOT granted, find the blocker with pg_blocking_pids(pid) in pg_stat_activity, and end or fix the transaction holding it',
  longQueries:
    'queries are running longer than longQueryAge: inspect them in pg_stat_activity, rank statements by mean_exec_time in pg_stat_statements, add indexes where EXPLAIN ANALYZE shows scans, and cancel runaways with pg_cancel_backend(pid)',
  responseTime: 'PostgreSQL answers slowly: check server CPU and I/O load, lock waits, and the network latency to it',
  migration:
    "the database schema is not at the expected migration: run the migration tool (e.g. alembic upgrade head; alembic current shows the applied revision), or update expectedMigration.value if the deploy moved on",
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
    connections: HINT.connections,
    connectionsUtilization: HINT.connections,
    waitingLocks: HINT.waitingLocks,
    longQueries: HINT.longQueries,
    responseTime: HINT.responseTime,
    migration: HINT.migration,
  },
};

/** SQLSTATE → reason and the remediation that fits that code better than the reason's default. */
const SQLSTATES: Record<string, { reason: ClassifiedError['reason']; hint: string }> = {
  '28P01': { reason: 'auth', hint: HINT.auth },
  '28000': { reason: 'auth', hint: HINT.roleOrHba },
  '3D000': { reason: 'auth', hint: HINT.noDatabase },
  '42501': { reason: 'auth', hint: HINT.noPrivilege },
  '53300': { reason: 'unavailable', hint: HINT.tooManyConnections },
  '57P03': { reason: 'unavailable', hint: HINT.startingUp },
  '57P01': { reason: 'unavailable', hint: HINT.shutdown },
  '57P02': { reason: 'unavailable', hint: HINT.shutdown },
  '53000': { reason: 'unavailable', hint: HINT.resources },
  '53100': { reason: 'unavailable', hint: HINT.resources },
  '53200': { reason: 'unavailable', hint: HINT.resources },
  '57014': { reason: 'timeout', hint: HINT.timeout },
  '55P03': { reason: 'timeout', hint: HINT.waitingLocks },
};

/** pg's own messages for its client-side failures (they carry no code). */
const CLIENT_MESSAGES: { pattern: RegExp; reason: ClassifiedError['reason']; hint: string }[] = [
  { pattern: /timeout exceeded when trying to connect|connection timeout|Query read timeout/i, reason: 'timeout', hint: HINT.timeout },
  { pattern: /Connection terminated unexpectedly/i, reason: 'refused', hint: HINT.refused },
  { pattern: /does not support SSL|error establishing an SSL connection/i, reason: 'tls', hint: HINT.tls },
  { pattern: /client password must be a string|password must be a non-empty string/i, reason: 'auth', hint: HINT.noPassword },
];

export function classifyPostgresError(error: unknown): ClassifiedError | undefined {
  const message = stringField(error, 'message') ?? '';
  const code = stringField(error, 'code');
  if (code !== undefined && /^[0-9A-Z]{5}$/.test(code)) {
    const known = SQLSTATES[code];
    if (known !== undefined) return { reason: known.reason, message: `${message} (SQLSTATE ${code})`, hint: known.hint };
    // Class 08: connection exceptions reported by the server.
    if (code.startsWith('08')) return { reason: 'refused', message: `${message} (SQLSTATE ${code})`, hint: HINT.refused };
  }
  for (const rule of CLIENT_MESSAGES) {
    if (rule.pattern.test(message)) return { reason: rule.reason, message, hint: rule.hint };
  }
  return undefined;
}

const STATS_SQL = `
SELECT current_setting('server_version') AS version,
       current_setting('max_connections')::int AS max_connections,
       (SELECT count(*) FROM pg_stat_activity WHERE backend_type = 'client backend')::int AS connections,
       (SELECT count(*) FROM pg_locks WHERE NOT granted)::int AS waiting_locks,
       (SELECT count(*) FROM pg_stat_activity
         WHERE backend_type = 'client backend' AND state = 'active' AND pid <> pg_backend_pid()
           AND query_start < now() - make_interval(secs => $1::double precision))::int AS long_queries,
       pg_is_in_recovery() AS in_recovery,
       pg_has_role('pg_read_all_stats', 'USAGE') AS sees_all_sessions,
       EXISTS (SELECT 1 FROM pg_extension WHERE extname = 'pg_stat_statements') AS has_pg_stat_statements`;

interface StatsRow {
  version: string;
  max_connections: number;
  connections: number;
  waiting_locks: number;
  long_queries: number;
  in_recovery: boolean;
  sees_all_sessions: boolean;
  has_pg_stat_statements: boolean;
}

const SLOWEST_SQL = `
SELECT query, calls::bigint::text AS calls, round(mean_exec_time::numeric, 1)::float8 AS mean_ms
  FROM pg_stat_statements
 WHERE query ~* '^\\s*(select|insert|update|delete|with|merge)\\M' AND query !~* 'password'
 ORDER BY mean_exec_time DESC
 LIMIT ${SLOWEST_STATEMENTS}`;

type PgLibrary = typeof import('pg').default;
const pgLibrary = lazyLibrary(async (): Promise<PgLibrary> => (await import('pg')).default);

function quoteTable(pg: PgLibrary, table: string): string {
  return table
    .split('.')
    .map((part) => pg.escapeIdentifier(part))
    .join('.');
}

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

/**
 * A dedicated pool of at most 2 connections, opened on the first run. Every
 * socket the pool opens is tracked, so an abort or a close past its deadline
 * can destroy them (pg has no public "destroy").
 */
function createPostgresProbe(opts: PostgresOptions, ctx: ProbeContext): Probe {
  const sockets = new Set<net.Socket>();
  const longQueryAgeSeconds = (parseDuration(opts.longQueryAge) ?? 300_000) / 1000;
  let pool: Pool | undefined;
  let closed = false;
  pgLibrary.preload();

  const track = (socket: net.Socket): net.Socket => {
    sockets.add(socket);
    socket.once('close', () => sockets.delete(socket));
    return socket;
  };
  const destroySockets = (): void => {
    for (const socket of sockets) socket.destroy();
  };

  const poolFor = async (): Promise<{ pool: Pool; pg: PgLibrary }> => {
    const pg = await pgLibrary.get();
    if (pool === undefined) {
      pool = new pg.Pool({
        connectionString: opts.url,
        max: 2,
        application_name: 'vitals',
        connectionTimeoutMillis: BACKSTOP_MS,
        query_timeout: BACKSTOP_MS,
        statement_timeout: STATEMENT_TIMEOUT_MS,
        lock_timeout: LOCK_TIMEOUT_MS,
        idleTimeoutMillis: IDLE_TIMEOUT_MS,
        allowExitOnIdle: true,
        stream: () => track(new net.Socket()),
      });
      // An idle client losing its server emits here; unhandled, it would crash the process.
      pool.on('error', (error) => {
        ctx.logger.debug({ probe: ctx.name, err: error.message }, 'postgres idle connection closed');
      });
    }
    return { pool, pg };
  };

  const migration = async (
    db: Pool,
    pg: PgLibrary,
    expected: NonNullable<PostgresOptions['expectedMigration']>,
  ): Promise<Observation> => {
    const table = quoteTable(pg, expected.table);
    const column = pg.escapeIdentifier(expected.column);
    try {
      const result = await db.query<{ v: string | null }>(`SELECT ${column}::text AS v FROM ${table} LIMIT 20`);
      const versions = result.rows.map((row) => row.v).filter((v): v is string => v !== null);
      const current = versions.length === 0 ? null : versions.join(',');
      if (versions.includes(expected.value)) return { measurement: 'migration', value: current, unit: 'info' };
      return {
        measurement: 'migration',
        value: current,
        unit: 'info',
        status: 'fail',
        output:
          current === null
            ? `${expected.table} is empty: no migration applied, expected ${expected.value}`
            : `schema at migration ${current}, expected ${expected.value}`,
      };
    } catch (error) {
      const code = stringField(error, 'code');
      // Connection-level failures end the check; only table-level problems are a migration finding.
      if (code === undefined || !/^(42|55)/.test(code)) throw error;
      const why =
        code === '42P01'
          ? `table ${expected.table} does not exist: migrations have never run here`
          : `cannot read ${expected.table}.${expected.column}: ${stringField(error, 'message') ?? code} (SQLSTATE ${code})`;
      return { measurement: 'migration', value: null, unit: 'info', status: 'fail', output: `${why}; expected ${expected.value}` };
    }
  };

  /** Diagnostics only, and skipped quietly: the extension may exist without being preloaded, or be an old version. */
  const slowestStatements = async (db: Pool): Promise<Record<string, string>> => {
    try {
      const result = await db.query<{ query: string; calls: string; mean_ms: number }>(SLOWEST_SQL);
      const out: Record<string, string> = {};
      result.rows.forEach((row, index) => {
        const text = row.query.replace(/\s+/g, ' ').trim();
        const short = text.length > STATEMENT_TEXT_MAX ? `${text.slice(0, STATEMENT_TEXT_MAX - 1)}…` : text;
        out[`slowestStatement${index + 1}`] = `mean ${row.mean_ms}ms × ${row.calls} calls: ${short}`;
      });
      return out;
    } catch (error) {
      const code = stringField(error, 'code');
      if (code === undefined) throw error;
      ctx.logger.debug({ probe: ctx.name, code }, 'pg_stat_statements not readable; skipped');
      return {};
    }
  };

  const measure = async (): Promise<CheckReport> => {
    const { pool: db, pg } = await poolFor();
    const started = performance.now();
    await db.query('SELECT 1');
    const responseTime = performance.now() - started;

    const stats = (await db.query<StatsRow>(STATS_SQL, [longQueryAgeSeconds])).rows[0];
    if (stats === undefined) throw new Error('statistics query returned no row');

    const observations: Observation[] = [
      { measurement: 'responseTime', value: Math.round(responseTime * 1000) / 1000, unit: 'ms' },
      { measurement: 'connections', value: stats.connections, unit: 'count' },
      { measurement: 'connectionsUtilization', value: stats.connections / stats.max_connections, unit: 'ratio' },
      { measurement: 'waitingLocks', value: stats.waiting_locks, unit: 'count' },
      { measurement: 'longQueries', value: stats.long_queries, unit: 'count' },
    ];
    if (opts.expectedMigration !== undefined) observations.push(await migration(db, pg, opts.expectedMigration));

    const info: NonNullable<CheckReport['info']> = {
      version: stats.version,
      maxConnections: stats.max_connections,
      inRecovery: stats.in_recovery,
      // Without pg_read_all_stats (e.g. via pg_monitor) other roles' sessions hide their state, so longQueries undercounts.
      seesAllSessions: stats.sees_all_sessions,
    };
    if (stats.has_pg_stat_statements) Object.assign(info, await slowestStatements(db));
    return { observations, info };
  };

  return {
    prepare: pgLibrary.ready,
    async check(signal: AbortSignal): Promise<CheckReport> {
      if (closed) throw new Error('probe is closed');
      if (signal.aborted) throw abortReason(signal);
      const onAbort = (): void => destroySockets();
      signal.addEventListener('abort', onAbort, { once: true });
      try {
        return await measure();
      } finally {
        signal.removeEventListener('abort', onAbort);
      }
    },
    async close(deadlineMs: number): Promise<void> {
      if (closed) return;
      closed = true;
      if (pool === undefined) return;
      const graceful = pool.end().catch(() => undefined);
      // Half the deadline for a polite goodbye; a hung server never answers it.
      const politeUntil = performance.now() + deadlineMs / 2;
      await Promise.race([graceful, sleep(deadlineMs / 2)]);
      while (sockets.size > 0 && performance.now() < politeUntil) await sleep(10);
      destroySockets();
    },
  };
}

export const postgresProbe: ProbeDefinition<typeof options> = {
  type: 'postgres',
  componentType: 'datastore',
  defaultIntervalMs: 10_000,
  options,
  measurements,
  hints,
  hintTarget({ url }) {
    const target = urlTarget(url, 5432);
    // pg takes the host from ?host= when given (a socket directory, say), and the database defaults to the user.
    let parsed: URL | undefined;
    try {
      parsed = new URL(url);
    } catch {
      parsed = undefined;
    }
    const host = parsed?.searchParams.get('host') ?? target.host;
    const database = decodeURIComponent(parsed?.pathname.slice(1) ?? '') || decodeURIComponent(parsed?.username ?? '') || 'postgres';
    return { ...target, host, database };
  },
  classifyError: classifyPostgresError,
  create: createPostgresProbe,
};
