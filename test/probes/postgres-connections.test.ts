import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import type pg from 'pg';
import type { ProbeResult } from '../../src/core/types.js';
import { runOnce } from '../support/run-once.js';
import { startPostgres, type PostgresServer } from '../support/postgres-server.js';

/**
 * PG3: connection slots running out. A server with max_connections=20 and no
 * superuser reserve, so superuser sessions held by the test fill it exactly.
 */

const MAX = 20;
let server: PostgresServer;
const held: pg.Client[] = [];

beforeAll(async () => {
  server = await startPostgres({ maxConnections: MAX, settings: { superuser_reserved_connections: 0 } });
});

afterEach(async () => {
  await Promise.all(held.splice(0).map((client) => client.end().catch(() => undefined)));
  // Backends exit a moment after their client hangs up; start the next test from an empty server.
  const probe = await server.admin();
  try {
    const others = "SELECT 1 FROM pg_stat_activity WHERE backend_type = 'client backend' AND pid <> pg_backend_pid()";
    await expect.poll(async () => (await probe.query(others)).rowCount, { timeout: 5_000 }).toBe(0);
  } finally {
    await probe.end();
  }
});

afterAll(async () => {
  await server?.stop();
});

/** Holds `count` sessions open; returns once they are all connected. */
async function hold(count: number): Promise<void> {
  for (let i = 0; i < count; i++) held.push(await server.admin());
}

function observed(result: ProbeResult, measurement: string): unknown {
  return result.observations.find((o) => o.measurement === measurement)?.value;
}

describe('postgres probe: connection slots (PG3)', () => {
  it('16 held + the probe = 17/20 → warn on connectionsUtilization (default 0.8), value and hint given', async () => {
    await hold(16);
    const result = await runOnce('postgres', { url: server.url() });
    expect(observed(result, 'connections')).toBe(17);
    expect(observed(result, 'connectionsUtilization')).toBeCloseTo(0.85, 5);
    expect(result.status).toBe('warn');
    expect(result.reason).toBe('threshold');
    expect(result.message).toBe('connectionsUtilization 0.85 ≥ warn 0.8');
    expect(result.hint).toMatch(/raise max_connections or lower the services' pool sizes/);
    expect(result.hint).toMatch(/pg_stat_activity/);
    expect(JSON.stringify(result)).not.toContain(server.password);
  });

  it('18 held + the probe = 19/20 → fail (default 0.95)', async () => {
    await hold(18);
    const result = await runOnce('postgres', { url: server.url() });
    expect(observed(result, 'connectionsUtilization')).toBeCloseTo(0.95, 5);
    expect(result.status).toBe('fail');
    expect(result.reason).toBe('threshold');
    expect(result.message).toBe('connectionsUtilization 0.95 ≥ fail 0.95');
  });

  it('configured thresholds override the defaults', async () => {
    await hold(9);
    const result = await runOnce('postgres', { url: server.url() }, { warn: { connectionsUtilization: 0.4 }, fail: { connectionsUtilization: 0.5 } });
    expect(result.status).toBe('fail');
    expect(result.message).toBe('connectionsUtilization 0.5 ≥ fail 0.5');
  });

  it('every slot taken → unavailable (53300 too many clients) with the pool-size hint, fast', async () => {
    await hold(MAX);
    const result = await runOnce('postgres', { url: server.url() }, { timeoutMs: 2_000 });
    expect(result.status).toBe('fail');
    expect(result.reason).toBe('unavailable');
    expect(result.message).toMatch(/too many clients already \(SQLSTATE 53300\)/);
    expect(result.hint).toMatch(/raise max_connections or lower the services' pool sizes/);
    expect(result.hint).toMatch(/GROUP BY/);
    expect(result.durationMs).toBeLessThan(1_000);
    expect(JSON.stringify(result)).not.toContain(server.password);
  });
});
