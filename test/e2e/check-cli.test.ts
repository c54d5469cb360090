import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import net from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { freePort } from '../support/net.js';
import { startRedis, type RedisServer } from '../support/redis-server.js';
import { spawnVitals } from '../support/vitals-process.js';

/**
 * `vitals check` as CI and Docker HEALTHCHECK run it: the built CLI in a
 * child process, against a real redis-server and loopback listeners.
 */

let redis: RedisServer;
let open: net.Server;
let openPort: number;
let closedPort: number;
/** Accepts connections and never says a word: an HTTP upstream that hangs. */
let silent: net.Server;
let silentPort: number;
const silentSockets = new Set<net.Socket>();
let dir: string;

async function listen(server: net.Server): Promise<number> {
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return (server.address() as net.AddressInfo).port;
}

beforeAll(async () => {
  redis = await startRedis();
  open = net.createServer((socket) => socket.end());
  openPort = await listen(open);
  silent = net.createServer((socket) => {
    silentSockets.add(socket);
    socket.on('close', () => silentSockets.delete(socket));
    socket.on('error', () => undefined);
  });
  silentPort = await listen(silent);
  closedPort = await freePort();
  dir = mkdtempSync(join(tmpdir(), 'vitals-check-'));
});

afterEach(() => {
  redis.resume();
});

afterAll(async () => {
  redis?.resume();
  await redis?.stop();
  for (const socket of silentSockets) socket.destroy();
  await Promise.all([open, silent].map((s) => new Promise((resolve) => s?.close(resolve))));
  if (dir !== undefined) rmSync(dir, { recursive: true, force: true });
});

let files = 0;
function config(probes: string[], extra: string[] = []): string {
  const path = join(dir, `vitals-${++files}.yaml`);
  writeFileSync(path, ['service: { id: check-e2e }', ...extra, 'probes:', ...probes.map((p) => `  - ${p}`), ''].join('\n'));
  return path;
}

const cacheProbe = () => `{ name: cache, type: redis, url: "${redis.url()}", timeout: 1s }`;
const upProbe = () => `{ name: api-port, type: tcp, host: 127.0.0.1, port: ${openPort}, timeout: 1s }`;
const downProbe = (critical: boolean) => `{ name: search, type: tcp, host: 127.0.0.1, port: ${closedPort}, timeout: 1s, critical: ${critical} }`;

async function check(args: string[]): Promise<{ code: number; stdout: string; stderr: string; ms: number }> {
  const started = Date.now();
  const child = spawnVitals(['check', ...args], {}, dir);
  const code = await child.exited;
  return { code, stdout: child.stdout(), stderr: child.stderr(), ms: Date.now() - started };
}

describe('vitals check', () => {
  it('all up → exit 0 with a ✓ line per probe and no secret', async () => {
    const result = await check(['--config', config([cacheProbe(), upProbe()])]);
    expect(result.stderr).toBe('');
    expect(result.code).toBe(0);
    expect(result.stdout).toMatch(/^✓ cache\s+redis\s+[\d.]+\s+ok$/m);
    expect(result.stdout).toMatch(/^✓ api-port\s+tcp\s+[\d.]+\s+ok$/m);
    expect(result.stdout).toMatch(/2 passed, 0 warned, 0 failed — ready/);
    // Not a TTY: no colour codes.
    expect(result.stdout).not.toContain('\u001b[');
    expect(result.stdout).not.toContain(redis.password);
  });

  it('a critical probe down → exit 1 with its reason and hint', async () => {
    const result = await check(['--config', config([upProbe(), downProbe(true)])]);
    expect(result.code).toBe(1);
    expect(result.stdout).toMatch(/^✗ search\s+tcp\s+[\d.]+\s+refused: .*$/m);
    // The hint names this probe's target, not HOST/PORT.
    expect(result.stdout).toMatch(new RegExp(`^\\s+hint: nothing is listening on 127\\.0\\.0\\.1:${closedPort}: `, 'm'));
    expect(result.stdout).toMatch(/1 passed, 0 warned, 1 failed \(1 critical\) — not ready/);
  });

  it('a non-critical probe down → exit 0, marked non-critical', async () => {
    const result = await check(['--config', config([upProbe(), downProbe(false)])]);
    expect(result.code).toBe(0);
    expect(result.stdout).toMatch(/^✗ search .*refused.*\(non-critical\)$/m);
  });

  it('wrong redis password → exit 1 with reason auth and no password anywhere', async () => {
    const wrong = `{ name: cache, type: redis, url: "${redis.url({ password: 'not-the-password-9f2' })}", timeout: 1s }`;
    const result = await check(['--config', config([wrong])]);
    expect(result.code).toBe(1);
    expect(result.stdout).toMatch(/^✗ cache\s+redis\s+[\d.]+\s+auth: /m);
    expect(result.stdout + result.stderr).not.toContain('not-the-password-9f2');
    expect(result.stdout + result.stderr).not.toContain(redis.password);
  });

  it('--json prints one parseable document with status, reason and hint', async () => {
    const result = await check(['--config', config([cacheProbe(), downProbe(true)]), '--json']);
    expect(result.code).toBe(1);
    const document = JSON.parse(result.stdout) as { status: string; probes: Array<Record<string, unknown>> };
    expect(document.status).toBe('fail');
    expect(document.probes.map((p) => [p.name, p.type, p.status, p.critical])).toEqual([
      ['cache', 'redis', 'pass', true],
      ['search', 'tcp', 'fail', true],
    ]);
    expect(document.probes[1]).toMatchObject({ reason: 'refused', hint: expect.any(String), message: expect.any(String), durationMs: expect.any(Number) });
    expect(document.probes[0]!.observations).toEqual(expect.arrayContaining([expect.objectContaining({ measurement: 'responseTime' })]));
    expect(result.stdout).not.toContain(redis.password);
  });

  it('dependsOn: a redis probe failing with its stopped-port root prints under the root as dependency; --json has cause', async () => {
    // The redis probe points at the closed port too, so it fails for the same cause as its tcp root.
    const dependent = `{ name: cache, type: redis, url: "${redis.url({ port: closedPort })}", timeout: 1s, dependsOn: [search] }`;
    const file = config([dependent, upProbe(), downProbe(true)]);
    const table = await check(['--config', file]);
    expect(table.code).toBe(1);
    const lines = table.stdout.split('\n');
    const root = lines.findIndex((l) => /^✗ search\s/.test(l));
    // Worst first: the failing root (with its dependent under it) before the passing probe.
    expect(lines.findIndex((l) => /^✓ api-port\s/.test(l)), table.stdout).toBeGreaterThan(root);
    const under = lines.findIndex((l) => /^✗ └ cache\s+redis\s+[\d.]+\s+dependency: depends on search, which fails: refused$/.test(l));
    expect(under, table.stdout).toBeGreaterThan(root);
    expect(lines.slice(under + 1).join('\n')).toMatch(/^\s+own result: refused: /m);
    expect(table.stdout).toMatch(/1 passed, 0 warned, 2 failed \(2 critical\) — not ready/);

    const json = await check(['--config', file, '--json']);
    expect(json.code).toBe(1);
    const document = JSON.parse(json.stdout) as { probes: Array<Record<string, unknown>> };
    const search = document.probes.find((p) => p.name === 'search')!;
    expect(document.probes.find((p) => p.name === 'cache')).toMatchObject({
      status: 'fail',
      reason: 'dependency',
      message: 'depends on search, which fails: refused',
      hint: search.hint,
      cause: { reason: 'refused', message: expect.any(String) },
      roots: ['search'],
      dependsOn: ['search'],
    });
    expect(json.stdout + table.stdout).not.toContain(redis.password);
  });

  it('--probe runs only the named probes (repeatable)', async () => {
    const path = config([cacheProbe(), upProbe(), downProbe(true)]);
    const one = await check(['--config', path, '--probe', 'api-port']);
    expect(one.code).toBe(0);
    expect(one.stdout).toMatch(/^✓ api-port/m);
    expect(one.stdout).not.toMatch(/cache|search/);
    const two = await check(['--config', path, '--probe', 'api-port', '-p', 'search', '--json']);
    expect(two.code).toBe(1);
    expect((JSON.parse(two.stdout) as { probes: Array<{ name: string }> }).probes.map((p) => p.name)).toEqual(['api-port', 'search']);
  });

  it('--probe with an unknown name → exit 2 naming it and the configured ones', async () => {
    const result = await check(['--config', config([upProbe()]), '--probe', 'nope']);
    expect(result.code).toBe(2);
    expect(result.stdout).toBe('');
    expect(result.stderr.trim()).toBe('vitals: unknown probe "nope"; configured: api-port');
  });

  it('bad config → exit 2 listing every error with its path, no stack trace', async () => {
    const path = config(
      [
        `{ name: db, type: tcp, host: 127.0.0.1, port: 99999, timeout: 1s }`,
        `{ name: db, type: tcp, host: 127.0.0.1, port: ${openPort}, timout: 1s }`,
        `{ name: slow, type: tcp, host: 127.0.0.1, port: ${openPort}, timeout: 20s, interval: 10s }`,
      ],
      ['server: { port: 70000 }'],
    );
    const result = await check(['--config', path]);
    expect(result.code).toBe(2);
    expect(result.stdout).toBe('');
    const lines = result.stderr.trim().split('\n');
    expect(lines[0]).toBe(`vitals: ${path}: 5 problems`);
    expect(result.stderr).toMatch(/^server\.port: /m);
    expect(result.stderr).toMatch(/^probes\[0\]\.port: /m);
    expect(result.stderr).toMatch(/^probes\[1\]\.timout: unknown key \(did you mean timeout\?\)$/m);
    expect(result.stderr).toMatch(/^probes\[1\]\.name: duplicate name "db"/m);
    expect(result.stderr).toMatch(/^probes\[2\]\.timeout: must be less than interval/m);
    expect(result.stderr).not.toMatch(/^\s+at /m);
  });

  it('hung dependencies: wall time is bounded by the largest timeout, not the sum', async () => {
    redis.pause();
    const hungHttp = (name: string) => `{ name: ${name}, type: http, url: "http://127.0.0.1:${silentPort}/health", timeout: 1s }`;
    const result = await check(['--config', config([cacheProbe(), hungHttp('web-a'), hungHttp('web-b'), upProbe()]), '--json']);
    redis.resume();
    expect(result.code).toBe(1);
    const document = JSON.parse(result.stdout) as { probes: Array<{ name: string; status: string; reason?: string; durationMs: number }> };
    expect(document.probes.map((p) => [p.name, p.status, p.reason])).toEqual([
      ['cache', 'fail', 'timeout'],
      ['web-a', 'fail', 'timeout'],
      ['web-b', 'fail', 'timeout'],
      ['api-port', 'pass', undefined],
    ]);
    for (const probe of document.probes.slice(0, 3)) expect(probe.durationMs).toBeLessThan(1_600);
    // Three 1 s timeouts in sequence would be > 3 s; in parallel it is ~1 s plus Node's start-up.
    expect(result.ms).toBeLessThan(5_000);
    console.info(`vitals check with three hung 1s-timeout probes: ${result.ms} ms wall time`);
  });
});
