import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import net from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { freePort } from '../support/net.js';
import { startRedis, type RedisServer } from '../support/redis-server.js';
import { spawnVitals, type VitalsProcess } from '../support/vitals-process.js';

/**
 * CONTRACT §8 on the real process: SIGTERM → readiness 503 "shutting down"
 * at once while liveness stays 200 through the drain, then probes stopped,
 * server closed, clients closed, exit 0 — in that order, within
 * shutdown.timeout even when a dependency hangs; a second signal exits at once.
 */

let dir: string;
let redis: RedisServer;
let open: net.Server;
let openPort: number;
const running: VitalsProcess[] = [];

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'vitals-shutdown-'));
  redis = await startRedis();
  open = net.createServer((socket) => socket.end());
  await new Promise<void>((resolve) => open.listen(0, '127.0.0.1', resolve));
  openPort = (open.address() as net.AddressInfo).port;
});

afterEach(async () => {
  redis.resume();
  for (const vitals of running.splice(0)) {
    vitals.kill('SIGKILL');
    await vitals.exited;
  }
});

afterAll(async () => {
  redis?.resume();
  await redis?.stop();
  await new Promise((resolve) => open?.close(resolve));
  if (dir !== undefined) rmSync(dir, { recursive: true, force: true });
});

interface Started {
  vitals: VitalsProcess;
  base: string;
}

async function serve(shutdown: string, probes: string[]): Promise<Started> {
  const port = await freePort();
  const path = join(dir, `vitals-${port}.yaml`);
  writeFileSync(
    path,
    [`server: { host: 127.0.0.1, port: ${port} }`, `shutdown: ${shutdown}`, 'probes:', ...probes.map((p) => `  - ${p}`), ''].join('\n'),
  );
  const vitals = spawnVitals(['serve', '--config', path], { VITALS_LOG_LEVEL: 'info' }, dir);
  running.push(vitals);
  await vitals.waitForLog(/vitals listening/);
  const base = `http://127.0.0.1:${port}`;
  const deadline = Date.now() + 10_000;
  while ((await fetch(`${base}/ready`)).status !== 200) {
    if (Date.now() > deadline) throw new Error(`not ready after 10 s:\n${vitals.stdout()}`);
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
  return { vitals, base };
}

const tcpProbe = () => `{ name: api-port, type: tcp, host: 127.0.0.1, port: ${openPort}, interval: 1s, timeout: 500ms }`;
const redisProbe = () => `{ name: cache, type: redis, url: "${redis.url()}", interval: 1s, timeout: 800ms }`;

function logMessages(vitals: VitalsProcess): string[] {
  return vitals
    .stdout()
    .split('\n')
    .filter((line) => line.startsWith('{'))
    .map((line) => String((JSON.parse(line) as { msg?: unknown }).msg));
}

describe('graceful shutdown of vitals serve', () => {
  it('SIGTERM: /ready 503 "shutting down" at once, /health 200 through the drain, exit 0, events in order', async () => {
    const { vitals, base } = await serve('{ drainDelay: 2s, timeout: 6s }', [tcpProbe(), redisProbe()]);
    const signalled = Date.now();
    vitals.kill('SIGTERM');

    // "At once": the first request after the signal already sees it (allow the signal to be delivered).
    await vitals.waitForLog(/shutdown started/, 2_000);
    const ready = await fetch(`${base}/ready`);
    expect(ready.status).toBe(503);
    expect(await ready.json()).toEqual({ status: 'fail', output: 'shutting down' });
    // Well inside the 2 s drain (a generous bound: these machines are shared).
    expect(Date.now() - signalled).toBeLessThan(1_500);

    // Liveness stays 200 all through drainDelay: a draining process must not be restarted.
    const healthStatuses: number[] = [];
    const readyStatuses: number[] = [];
    while (Date.now() - signalled < 1_700) {
      healthStatuses.push((await fetch(`${base}/health`)).status);
      readyStatuses.push((await fetch(`${base}/ready`)).status);
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
    expect(healthStatuses.length).toBeGreaterThanOrEqual(2);
    expect(new Set(healthStatuses)).toEqual(new Set([200]));
    expect(new Set(readyStatuses)).toEqual(new Set([503]));

    const code = await vitals.exited;
    const elapsed = Date.now() - signalled;
    const output = `stdout:\n${vitals.stdout()}\nstderr:\n${vitals.stderr()}`;
    expect(code, output).toBe(0);
    expect(elapsed).toBeGreaterThanOrEqual(2_000);
    expect(elapsed).toBeLessThan(5_000);
    console.info(`SIGTERM with drainDelay 2s: exit 0 after ${elapsed} ms`);

    const messages = logMessages(vitals);
    const started = messages.findIndex((m) => m.startsWith('shutdown started'));
    const stopped = messages.findIndex((m) => m.startsWith('probes stopped'));
    const complete = messages.findIndex((m) => m.startsWith('shutdown complete'));
    expect(started, output).toBeGreaterThanOrEqual(0);
    expect(stopped, output).toBeGreaterThan(started);
    expect(complete, output).toBeGreaterThan(stopped);
    expect(vitals.stderr()).toBe('');
    // The port is free again.
    await expect(fetch(`${base}/health`)).rejects.toThrow();
  });

  it('SIGINT starts the same drain', async () => {
    const { vitals, base } = await serve('{ drainDelay: 500ms, timeout: 5s }', [tcpProbe()]);
    vitals.kill('SIGINT');
    await vitals.waitForLog(/shutdown started/, 2_000);
    expect(await (await fetch(`${base}/ready`)).json()).toEqual({ status: 'fail', output: 'shutting down' });
    expect((await fetch(`${base}/health`)).status).toBe(200);
    expect(await vitals.exited).toBe(0);
    expect(vitals.stdout()).toMatch(/"signal":"SIGINT"/);
  });

  it('a hung dependency (SIGSTOPped redis, run in flight) still exits within shutdown.timeout', async () => {
    const { vitals } = await serve('{ drainDelay: 200ms, timeout: 3s }', [tcpProbe(), redisProbe()]);
    redis.pause();
    // Let a redis run start against the stopped server so it is in flight when the signal comes.
    await new Promise((resolve) => setTimeout(resolve, 1_200));
    const signalled = Date.now();
    vitals.kill('SIGTERM');
    const code = await vitals.exited;
    const elapsed = Date.now() - signalled;
    redis.resume();
    expect([0, 1]).toContain(code);
    expect(elapsed).toBeLessThan(3_000 + 1_000);
    console.info(`SIGTERM with redis SIGSTOPped (drainDelay 200ms, timeout 3s): exit ${code} after ${elapsed} ms`);
    const messages = logMessages(vitals);
    expect(messages.some((m) => m.startsWith('shutdown complete') || m.startsWith('shutdown did not finish'))).toBe(true);
    expect(vitals.stdout() + vitals.stderr()).not.toContain(redis.password);
  });

  it('a client that never finishes its request does not hold the exit: cut after a grace, exit 0 within shutdown.timeout', async () => {
    const { vitals, base } = await serve('{ drainDelay: 100ms, timeout: 3s }', [tcpProbe()]);
    // Half a request: the headers never end, so the HTTP server cannot close on its own.
    const url = new URL(base);
    const socket = net.connect(Number(url.port), url.hostname);
    const cut = new Promise<void>((resolve) => socket.once('close', () => resolve()));
    socket.on('error', () => undefined);
    await new Promise((resolve) => socket.once('connect', resolve));
    socket.write('GET /health HTTP/1.1\r\nHost: x\r\n');
    try {
      const signalled = Date.now();
      vitals.kill('SIGTERM');
      const code = await vitals.exited;
      const elapsed = Date.now() - signalled;
      console.info(`SIGTERM with a half-open request (drainDelay 100ms, timeout 3s): exit ${code} after ${elapsed} ms`);
      expect(code).toBe(0);
      expect(elapsed).toBeLessThan(3_000);
      expect(logMessages(vitals).some((m) => m.startsWith('shutdown complete'))).toBe(true);
      await cut;
    } finally {
      socket.destroy();
    }
  });

  it('a second SIGTERM exits at once with a non-zero code', async () => {
    const { vitals, base } = await serve('{ drainDelay: 10s, timeout: 20s }', [tcpProbe()]);
    vitals.kill('SIGTERM');
    await vitals.waitForLog(/shutdown started/, 2_000);
    expect((await fetch(`${base}/ready`)).status).toBe(503);
    const second = Date.now();
    vitals.kill('SIGTERM');
    const code = await vitals.exited;
    expect(code).not.toBe(0);
    expect(Date.now() - second).toBeLessThan(1_000);
    expect(vitals.stdout()).toMatch(/second signal: exiting now/);
  });
});

describe('startup gating and maintenance on the real process', () => {
  it('/ready is 503 "starting" until every ready-group probe has run once; /health is 200 meanwhile', async () => {
    redis.pause();
    const port = await freePort();
    const path = join(dir, `gating-${port}.yaml`);
    writeFileSync(path, [`server: { host: 127.0.0.1, port: ${port} }`, 'probes:', `  - ${redisProbe().replace('timeout: 800ms', 'timeout: 1500ms').replace('interval: 1s', 'interval: 5s')}`, ''].join('\n'));
    const vitals = spawnVitals(['serve', '--config', path], {}, dir);
    running.push(vitals);
    await vitals.waitForLog(/vitals listening/);
    const base = `http://127.0.0.1:${port}`;
    const early = await fetch(`${base}/ready`);
    expect(early.status).toBe(503);
    expect(await early.json()).toEqual({ status: 'fail', output: 'starting' });
    expect((await fetch(`${base}/health`)).status).toBe(200);
    // The first run ends at its timeout; from then on readiness reflects the probe, not start-up.
    await new Promise((resolve) => setTimeout(resolve, 2_000));
    const after = await fetch(`${base}/ready`);
    expect(after.status).toBe(503);
    expect(await after.json()).toEqual({ status: 'fail' });
    redis.resume();
  });

  it('maintenance and run-now through the admin API of the served process', async () => {
    const token = 'e2e-admin-token-7d3c';
    const port = await freePort();
    const path = join(dir, `admin-${port}.yaml`);
    writeFileSync(path, [`server: { host: 127.0.0.1, port: ${port} }`, `auth: { token: "${token}" }`, 'probes:', `  - ${tcpProbe()}`, ''].join('\n'));
    const vitals = spawnVitals(['serve', '--config', path], {}, dir);
    running.push(vitals);
    await vitals.waitForLog(/vitals listening/);
    const base = `http://127.0.0.1:${port}`;
    const auth = { authorization: `Bearer ${token}` };
    const deadline = Date.now() + 10_000;
    while ((await fetch(`${base}/ready`)).status !== 200 && Date.now() < deadline) await new Promise((resolve) => setTimeout(resolve, 50));

    const on = await fetch(`${base}/admin/maintenance`, {
      method: 'POST',
      headers: { ...auth, 'content-type': 'application/json' },
      body: JSON.stringify({ reason: 'rolling the database', ttl: '10m' }),
    });
    expect(on.status).toBe(200);
    expect(((await on.json()) as { maintenance: { reason: string } }).maintenance.reason).toBe('rolling the database');
    expect(await (await fetch(`${base}/ready`)).json()).toEqual({ status: 'fail', output: 'maintenance' });
    expect((await fetch(`${base}/health`)).status).toBe(200);
    expect(await (await fetch(`${base}/metrics`)).text()).toMatch(/^vitals_maintenance 1$/m);
    expect(await (await fetch(`${base}/status`, { headers: auth })).text()).toContain('<strong>Maintenance:</strong> rolling the database');
    await vitals.waitForLog(/"maintenance":"on"/, 2_000);

    const run = await fetch(`${base}/admin/probes/api-port/run`, { method: 'POST', headers: auth });
    expect(run.status).toBe(200);
    expect(await run.json()).toMatchObject({ name: 'api-port', status: 'pass', state: 'healthy' });

    const off = await fetch(`${base}/admin/maintenance`, { method: 'DELETE', headers: auth });
    expect(await off.json()).toEqual({ maintenance: null, wasOn: true });
    expect((await fetch(`${base}/ready`)).status).toBe(200);
    await vitals.waitForLog(/"maintenance":"off"/, 2_000);
    expect(vitals.stdout()).not.toContain(token);
  });
});
