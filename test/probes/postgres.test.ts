import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import type pg from 'pg';
import type { ProbeResult } from '../../src/core/types.js';
import { createProbe, runOnce, settingsFor, type ProbeUnderTest } from '../support/run-once.js';
import { startPostgres, type PostgresServer } from '../support/postgres-server.js';

/**
 * The postgres probe against a real PostgreSQL 15: pass, credentials, config,
 * slow queries (PG4), lock waits (PG5), migrations (PG6), pg_stat_statements,
 * and no connection leak. Connection limits and faults live in their own files.
 */

let server: PostgresServer;
let admin: pg.Client;
const open: ProbeUnderTest[] = [];

beforeAll(async () => {
  server = await startPostgres({ settings: { shared_preload_libraries: 'pg_stat_statements' } });
  admin = await server.admin();
});

afterEach(async () => {
  await Promise.all(open.splice(0).map((p) => p.close()));
});

afterAll(async () => {
  await admin?.end().catch(() => undefined);
  await server?.stop();
});

function probe(options: Record<string, unknown>, overrides: Parameters<typeof createProbe>[2] = {}): ProbeUnderTest {
  const instance = createProbe('postgres', options, { timeoutMs: 2_000, ...overrides });
  open.push(instance);
  return instance;
}

function observed(result: ProbeResult, measurement: string): unknown {
  return result.observations.find((o) => o.measurement === measurement)?.value;
}

function expectNoSecret(result: ProbeResult, secret: string): void {
  expect(JSON.stringify(result)).not.toContain(secret);
}

/** A client in the app database as the probe's role, for fixtures the role owns. */
async function appClient(applicationName: string): Promise<pg.Client> {
  return server.connectAsUser(applicationName);
}

describe('postgres probe: healthy server', () => {
  it('passes with every measurement and the server version', async () => {
    const result = await runOnce('postgres', { url: server.url() });
    expect(result.status).toBe('pass');
    expect(result.reason).toBeUndefined();
    expect(result.observations.map((o) => o.measurement)).toEqual([
      'responseTime',
      'connections',
      'connectionsUtilization',
      'waitingLocks',
      'longQueries',
    ]);
    expect(observed(result, 'responseTime')).toBeGreaterThan(0);
    expect(observed(result, 'connections')).toBeGreaterThanOrEqual(2); // the probe and our admin session
    expect(observed(result, 'connectionsUtilization')).toBeCloseTo((observed(result, 'connections') as number) / 20, 5);
    expect(observed(result, 'waitingLocks')).toBe(0);
    expect(observed(result, 'longQueries')).toBe(0);
    expect(result.observations.find((o) => o.measurement === 'connectionsUtilization')?.unit).toBe('ratio');
    expect(result.info?.version).toMatch(/^15\./);
    expect(result.info?.maxConnections).toBe(20);
    expect(result.info?.inRecovery).toBe(false);
    expect(result.info?.seesAllSessions).toBe(true);
    expectNoSecret(result, server.password);
  });

  it('reuses one pooled connection: 50 runs leave at most the pool (2) connected as application_name=vitals', async () => {
    const instance = probe({ url: server.url() });
    for (let i = 0; i < 50; i++) expect((await instance.run()).status).toBe('pass');
    const { rows } = await admin.query<{ n: number }>(
      "SELECT count(*)::int AS n FROM pg_stat_activity WHERE application_name = 'vitals'",
    );
    expect(rows[0]?.n).toBeGreaterThanOrEqual(1);
    expect(rows[0]?.n).toBeLessThanOrEqual(2);
    await instance.close();
    open.splice(open.indexOf(instance), 1);
    // close() ends the pool: the server sees the sessions go.
    await expect.poll(async () => (await admin.query("SELECT 1 FROM pg_stat_activity WHERE application_name = 'vitals'")).rowCount, { timeout: 5_000 }).toBe(0);
  });
});

describe('postgres probe: server-side disconnects', () => {
  it('a pooled connection killed between runs (pg_terminate_backend, 57P01) does not crash the process; the next run reconnects', async () => {
    const instance = probe({ url: server.url() });
    expect((await instance.run()).status).toBe('pass');
    const { rowCount } = await admin.query("SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE application_name = 'vitals'");
    expect(rowCount).toBeGreaterThanOrEqual(1);
    // The idle client's error arrives on the pool's 'error' event; unhandled, vitest would report it and fail.
    await new Promise((r) => setTimeout(r, 300));
    const after = await instance.run();
    expect(after.status, JSON.stringify(after)).toBe('pass');
  });
});

describe('postgres probe: credentials and configuration (PG2)', () => {
  it('wrong password → auth (28P01), the password absent from every field', async () => {
    const wrong = 'Wr0ng-secret-value-123';
    const result = await runOnce('postgres', { url: server.url({ password: wrong }) });
    expect(result.status).toBe('fail');
    expect(result.reason).toBe('auth');
    expect(result.message).toContain('28P01');
    expect(result.hint).toMatch(/user and password in the URL/);
    expectNoSecret(result, wrong);
    expectNoSecret(result, server.password);
  });

  it('a role that does not exist → auth, same answer as a wrong password (the server does not say which)', async () => {
    const result = await runOnce('postgres', { url: server.url({ user: 'no_such_role' }) });
    expect(result.reason).toBe('auth');
    expect(result.hint).toMatch(/CREATE ROLE/);
    expectNoSecret(result, server.password);
  });

  it('a database that does not exist → auth (3D000) with a create-database hint', async () => {
    const result = await runOnce('postgres', { url: server.url({ database: 'no_such_db' }) });
    expect(result.status).toBe('fail');
    expect(result.reason).toBe('auth');
    expect(result.message).toContain('3D000');
    expect(result.hint).toMatch(/CREATE DATABASE/);
    expectNoSecret(result, server.password);
  });

  it('a URL that is not postgres:// is rejected when the options are parsed', () => {
    expect(() => settingsFor('postgres', { url: 'mysql://u:p@127.0.0.1/db' })).toThrow(/postgres:\/\//);
    expect(() => settingsFor('postgres', { url: 'not a url' })).toThrow();
    expect(() => settingsFor('postgres', { url: server.url(), longQueryAge: 'soon' })).toThrow(/duration/);
    expect(() =>
      settingsFor('postgres', { url: server.url(), expectedMigration: { table: 'x; DROP TABLE y', column: 'v', value: '1' } }),
    ).toThrow();
  });

  it('a URL naming a missing CA file → config, the password absent', async () => {
    const result = await runOnce('postgres', { url: `${server.url()}?sslmode=verify-full&sslrootcert=/nonexistent/ca.pem` });
    expect(result.status).toBe('fail');
    expect(result.reason).toBe('config');
    expect(result.hint).toMatch(/sslrootcert/);
    expectNoSecret(result, server.password);
  });
});

describe('postgres probe: slow queries and locks (PG4, PG5)', () => {
  it('a query older than longQueryAge → longQueries 1 and a warn with the pg_stat_statements / EXPLAIN hint', async () => {
    const slow = await appClient('slow-query');
    const sleeping = slow.query('SELECT pg_sleep(30)').catch((error: unknown) => error);
    try {
      await new Promise((r) => setTimeout(r, 1_300));
      const result = await runOnce('postgres', { url: server.url(), longQueryAge: '1s' }, { warn: { longQueries: 1 } });
      expect(observed(result, 'longQueries')).toBe(1);
      expect(result.status).toBe('warn');
      expect(result.reason).toBe('threshold');
      expect(result.message).toContain('longQueries 1 ≥ warn 1');
      expect(result.hint).toMatch(/pg_stat_statements/);
      expect(result.hint).toMatch(/EXPLAIN ANALYZE/);
      // The default age (5m) does not count a one-second query.
      const relaxed = await runOnce('postgres', { url: server.url() }, { warn: { longQueries: 1 } });
      expect(observed(relaxed, 'longQueries')).toBe(0);
      expect(relaxed.status).toBe('pass');
    } finally {
      await admin.query("SELECT pg_cancel_backend(pid) FROM pg_stat_activity WHERE application_name = 'slow-query'");
      await sleeping;
      await slow.end();
    }
  });

  it('a session waiting on a lock → waitingLocks 1 and a warn naming pg_locks', async () => {
    const owner = await appClient('fixture');
    await owner.query('CREATE TABLE IF NOT EXISTS locked_thing (id int)');
    await owner.end();
    const holder = await server.admin(server.database);
    const waiter = await appClient('lock-waiter');
    await holder.query('BEGIN');
    await holder.query('LOCK TABLE locked_thing IN ACCESS EXCLUSIVE MODE');
    const waiting = waiter.query('SELECT count(*) FROM locked_thing');
    try {
      await expect
        .poll(async () => (await admin.query('SELECT 1 FROM pg_locks WHERE NOT granted')).rowCount, { timeout: 5_000 })
        .toBeGreaterThan(0);
      const result = await runOnce('postgres', { url: server.url() }, { warn: { waitingLocks: 1 } });
      expect(observed(result, 'waitingLocks')).toBe(1);
      expect(result.status).toBe('warn');
      expect(result.reason).toBe('threshold');
      expect(result.message).toContain('waitingLocks 1 ≥ warn 1');
      expect(result.hint).toMatch(/pg_locks WHERE NOT granted/);
    } finally {
      await holder.query('ROLLBACK');
      await waiting;
      await holder.end();
      await waiter.end();
    }
  });
});

describe('postgres probe: expected migration (PG6)', () => {
  beforeAll(async () => {
    const owner = await appClient('fixture');
    await owner.query('CREATE TABLE IF NOT EXISTS alembic_version (version_num varchar(32) NOT NULL PRIMARY KEY)');
    await owner.query("INSERT INTO alembic_version VALUES ('ae1027a6acf') ON CONFLICT DO NOTHING");
    await owner.end();
  });

  it('passes when alembic_version holds the expected revision, and reports it', async () => {
    const result = await runOnce('postgres', {
      url: server.url(),
      expectedMigration: { table: 'alembic_version', column: 'version_num', value: 'ae1027a6acf' },
    });
    expect(result.status).toBe('pass');
    expect(observed(result, 'migration')).toBe('ae1027a6acf');
  });

  it('fails with threshold and "alembic upgrade head" when the schema is behind', async () => {
    const result = await runOnce('postgres', {
      url: server.url(),
      expectedMigration: { table: 'public.alembic_version', column: 'version_num', value: '27c6a30d7c24' },
    });
    expect(result.status).toBe('fail');
    expect(result.reason).toBe('threshold');
    expect(result.message).toBe('schema at migration ae1027a6acf, expected 27c6a30d7c24');
    expect(result.hint).toMatch(/alembic upgrade head/);
    // The other measurements are still there for /diagnostics and metrics.
    expect(observed(result, 'connections')).toBeGreaterThan(0);
  });

  it('fails when the version table does not exist (migrations never ran)', async () => {
    const result = await runOnce('postgres', {
      url: server.url(),
      expectedMigration: { table: 'schema_migrations', column: 'version', value: '20240101' },
    });
    expect(result.status).toBe('fail');
    expect(result.reason).toBe('threshold');
    expect(result.message).toMatch(/schema_migrations does not exist/);
    expect(result.hint).toMatch(/alembic upgrade head/);
  });
});

describe('postgres probe: pg_stat_statements (diagnostics only)', () => {
  it('lists the slowest statements in info when the extension exists', async () => {
    // The extension lives per database, and creating it needs a superuser.
    const inApp = await server.admin(server.database);
    try {
      await inApp.query('CREATE EXTENSION IF NOT EXISTS pg_stat_statements');
      await inApp.query('SELECT pg_sleep(0.2), 1 AS slow_marker');
    } finally {
      await inApp.end();
    }
    const result = await runOnce('postgres', { url: server.url() });
    expect(result.status).toBe('pass');
    const slowest = Object.keys(result.info ?? {}).filter((key) => key.startsWith('slowestStatement'));
    expect(slowest.length).toBeGreaterThan(0);
    expect(slowest.length).toBeLessThanOrEqual(3);
    expect(String(result.info?.slowestStatement1)).toMatch(/^mean [\d.]+ms × \d+ calls: .*slow_marker/);
  });

  it('skips them quietly where the extension is absent (the postgres database)', async () => {
    const result = await runOnce('postgres', { url: server.url({ database: 'postgres' }) });
    expect(result.status).toBe('pass');
    expect(Object.keys(result.info ?? {}).some((key) => key.startsWith('slowest'))).toBe(false);
  });
});
