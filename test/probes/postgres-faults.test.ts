import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import type pg from 'pg';
import { createProbe, runOnce, type ProbeUnderTest } from '../support/run-once.js';
import { startPostgres, type PostgresServer } from '../support/postgres-server.js';

/**
 * Faults of a real PostgreSQL: hung (postmaster and backends SIGSTOPped),
 * standby without hot_standby and smart shutdown (both 57P03, PG7), and
 * stopped (refused, PG1). Runs in order: the last test stops the server.
 */

const TIMEOUT_MS = 500;
/** Generous: the bound under test is "timeout + a small margin" on a noisy two-core machine. */
const MARGIN_MS = 1_000;

let server: PostgresServer;
const open: ProbeUnderTest[] = [];

beforeAll(async () => {
  server = await startPostgres();
});

afterEach(async () => {
  server.resume();
  await Promise.all(open.splice(0).map((p) => p.close()));
});

afterAll(async () => {
  server?.resume();
  await server?.stop();
});

function probe(): ProbeUnderTest {
  const instance = createProbe('postgres', { url: server.url() }, { timeoutMs: TIMEOUT_MS });
  open.push(instance);
  return instance;
}

async function vitalsSessions(): Promise<number> {
  const admin = await server.admin();
  try {
    const { rows } = await admin.query<{ n: number }>("SELECT count(*)::int AS n FROM pg_stat_activity WHERE application_name = 'vitals'");
    return rows[0]?.n ?? -1;
  } finally {
    await admin.end();
  }
}

describe('postgres probe: hung server (SIGSTOP)', () => {
  it('times out within the probe timeout on a pooled connection and on a new one, then recovers after SIGCONT', async () => {
    const instance = probe();
    expect((await instance.run()).status).toBe('pass'); // warm: one idle pooled connection

    server.pause();
    const onPooled = await instance.run(); // SELECT 1 on the idle connection: the backend is stopped
    const onNew = await instance.run(); // the abort destroyed it: a new connection, the postmaster is stopped
    for (const result of [onPooled, onNew]) {
      expect(result.status).toBe('fail');
      expect(result.reason).toBe('timeout');
      expect(result.message).toBe('no answer within 500ms');
      expect(result.hint).toMatch(/did not answer in time/);
      expect(result.durationMs).toBeGreaterThanOrEqual(TIMEOUT_MS - 5);
      expect(result.durationMs).toBeLessThan(TIMEOUT_MS + MARGIN_MS);
      expect(JSON.stringify(result)).not.toContain(server.password);
    }
    console.log(`[timing] postgres hung: pooled ${onPooled.durationMs.toFixed(0)} ms, new connection ${onNew.durationMs.toFixed(0)} ms (timeout ${TIMEOUT_MS} ms)`);

    server.resume();
    const recovered = await instance.run();
    expect(recovered.status).toBe('pass');
    // Nothing piled up from the hung runs: at most the pool's two connections.
    expect(await vitalsSessions()).toBeLessThanOrEqual(2);
  });

  it('close() returns within its deadline while the server is hung, with a check in flight', async () => {
    const instance = probe();
    expect((await instance.run()).status).toBe('pass');
    server.pause();
    const inFlight = instance.run();
    await new Promise((r) => setTimeout(r, 100));
    const started = performance.now();
    await instance.probe.close(1_000);
    const closeMs = performance.now() - started;
    expect(closeMs).toBeLessThan(1_000);
    const result = await inFlight;
    expect(result.status).toBe('fail');
    expect(result.durationMs).toBeLessThan(TIMEOUT_MS + MARGIN_MS);
    console.log(`[timing] postgres close() while hung: ${closeMs.toFixed(0)} ms (deadline 1000 ms)`);
    open.splice(open.indexOf(instance), 1);
    server.resume();
    // The destroyed sockets are noticed once the backends run again: no session is left behind.
    await expect.poll(vitalsSessions, { timeout: 5_000 }).toBe(0);
  });
});

describe('postgres probe: not accepting connections (PG7, 57P03)', () => {
  it('a standby without hot_standby → unavailable 57P03 with a wait/log hint', async () => {
    await server.restart({ standby: true });
    try {
      const result = await runOnce('postgres', { url: server.url() }, { timeoutMs: TIMEOUT_MS });
      expect(result.status).toBe('fail');
      expect(result.reason).toBe('unavailable');
      expect(result.message).toBe('the database system is not accepting connections (SQLSTATE 57P03)');
      expect(result.hint).toMatch(/starting up, recovering/);
      expect(result.hint).toMatch(/hot_standby/);
      expect(result.hint).not.toMatch(/max_connections/); // same reason as 53300, different remedy
    } finally {
      await server.restart();
    }
    expect((await runOnce('postgres', { url: server.url() })).status).toBe('pass');
  });

  it('a smart shutdown waiting for a session → unavailable 57P03 "shutting down"; once stopped → refused fast (PG1)', async () => {
    const session: pg.Client = await server.admin();
    process.kill(server.pid(), 'SIGTERM'); // smart: waits for open sessions, refuses new ones
    let ended = false;
    try {
      await expect
        .poll(async () => (await runOnce('postgres', { url: server.url() }, { timeoutMs: TIMEOUT_MS })).message, { timeout: 5_000 })
        .toMatch(/shutting down/);
      const result = await runOnce('postgres', { url: server.url() }, { timeoutMs: TIMEOUT_MS });
      expect(result.reason).toBe('unavailable');
      expect(result.message).toBe('the database system is shutting down (SQLSTATE 57P03)');
      expect(result.hint).toMatch(/shutting down/);
      await session.end();
      ended = true;
      await server.exited();
    } finally {
      if (!ended) await session.end().catch(() => undefined);
    }

    const refused = await runOnce('postgres', { url: server.url() }, { timeoutMs: TIMEOUT_MS });
    expect(refused.status).toBe('fail');
    expect(refused.reason).toBe('refused');
    expect(refused.message).toMatch(/ECONNREFUSED 127\.0\.0\.1:\d+/);
    const target = new URL(server.url());
    expect(refused.hint).toContain(`\`pg_isready -h ${target.hostname} -p ${target.port} -d ${target.pathname.slice(1)}\``);
    expect(refused.durationMs).toBeLessThan(TIMEOUT_MS);
    expect(JSON.stringify(refused)).not.toContain(server.password);
    console.log(`[timing] postgres stopped → refused in ${refused.durationMs.toFixed(1)} ms`);
  });
});
