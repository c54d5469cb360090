import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { createProbe, runOnce, type ProbeUnderTest } from '../support/run-once.js';
import { startRedis, type RedisServer } from '../support/redis-server.js';

/**
 * Faults of a real redis-server: hung (SIGSTOP), loading its dataset after a
 * restart (RD6), and stopped (refused, RD1). Runs in order: the last test
 * stops the server.
 */

const TIMEOUT_MS = 500;
/** Generous: the bound under test is "timeout + a small margin" on a noisy two-core machine. */
const MARGIN_MS = 1_000;

let server: RedisServer;
const open: ProbeUnderTest[] = [];

beforeAll(async () => {
  server = await startRedis();
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
  const instance = createProbe('redis', { url: server.url() }, { timeoutMs: TIMEOUT_MS });
  open.push(instance);
  return instance;
}

async function vitalsClients(): Promise<number> {
  const admin = await server.admin();
  try {
    const list = (await admin.client('LIST')) as string;
    return list.split('\n').filter((line) => / name=vitals /.test(line)).length;
  } finally {
    admin.disconnect();
  }
}

describe('redis probe: hung server (SIGSTOP)', () => {
  it('times out within the probe timeout on the open connection and on a new one, then recovers after SIGCONT', async () => {
    const instance = probe();
    expect((await instance.run()).status).toBe('pass');

    server.pause();
    const onOpen = await instance.run(); // PING on the established connection
    const onNew = await instance.run(); // the abort dropped it: a new connection whose AUTH gets no answer
    for (const result of [onOpen, onNew]) {
      expect(result.status).toBe('fail');
      expect(result.reason).toBe('timeout');
      expect(result.message).toBe('no answer within 500ms');
      expect(result.hint).toMatch(/SLOWLOG GET/);
      expect(result.durationMs).toBeGreaterThanOrEqual(TIMEOUT_MS - 5);
      expect(result.durationMs).toBeLessThan(TIMEOUT_MS + MARGIN_MS);
      expect(JSON.stringify(result)).not.toContain(server.password);
    }
    console.log(`[timing] redis hung: open connection ${onOpen.durationMs.toFixed(0)} ms, new connection ${onNew.durationMs.toFixed(0)} ms (timeout ${TIMEOUT_MS} ms)`);

    server.resume();
    expect((await instance.run()).status).toBe('pass');
    // The dropped connections are gone once Redis runs again: only the live one is left.
    await expect.poll(vitalsClients, { timeout: 5_000 }).toBe(1);
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
    console.log(`[timing] redis close() while hung: ${closeMs.toFixed(1)} ms (deadline 1000 ms)`);
    open.splice(open.indexOf(instance), 1);
    server.resume();
    await expect.poll(vitalsClients, { timeout: 5_000 }).toBe(0);
  });
});

describe('redis probe: loading its dataset (RD6)', () => {
  it('a restart with a dataset to load → unavailable LOADING with a wait hint, then pass once loaded', async () => {
    const admin = await server.admin();
    try {
      await admin.call('DEBUG', 'POPULATE', '100000', 'key', '32');
      await admin.save();
    } finally {
      admin.disconnect();
    }
    // key-load-delay (µs per key) is Redis's own test knob for a slow load; 100k keys ≈ 5 s of LOADING.
    await server.restart({ config: { 'key-load-delay': 50, 'loading-process-events-interval-bytes': 1024 } });

    const loading = await runOnce('redis', { url: server.url() }, { timeoutMs: TIMEOUT_MS });
    expect(loading.status).toBe('fail');
    expect(loading.reason).toBe('unavailable');
    expect(loading.message).toBe('LOADING Redis is loading the dataset in memory');
    expect(loading.hint).toMatch(/loading its dataset/);
    expect(loading.hint).toMatch(/wait/);
    expect(loading.hint).not.toMatch(/maxmemory/); // same reason as OOM, different remedy

    await expect.poll(async () => (await runOnce('redis', { url: server.url() }, { timeoutMs: TIMEOUT_MS })).status, { timeout: 30_000, interval: 500 }).toBe('pass');
    const loaded = await runOnce('redis', { url: server.url() });
    expect(loaded.info?.loading).toBe(false);
  });
});

describe('redis probe: stopped (RD1)', () => {
  it('refused fast, with the start/bind/port hint', async () => {
    await server.stop();
    const result = await runOnce('redis', { url: server.url() }, { timeoutMs: TIMEOUT_MS });
    expect(result.status).toBe('fail');
    expect(result.reason).toBe('refused');
    expect(result.message).toMatch(/ECONNREFUSED 127\.0\.0\.1:\d+/);
    expect(result.hint).toMatch(/bind, port and protected-mode/);
    const { hostname, port } = new URL(server.url());
    expect(result.hint).toContain(`\`redis-cli -h ${hostname} -p ${port} ping\``);
    expect(result.durationMs).toBeLessThan(TIMEOUT_MS);
    expect(JSON.stringify(result)).not.toContain(server.password);
    console.log(`[timing] redis stopped → refused in ${result.durationMs.toFixed(1)} ms`);
  });
});
