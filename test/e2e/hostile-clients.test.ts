import { mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import net from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { SERVER_LIMITS } from '../../src/http/app.js';
import { freePort } from '../support/net.js';
import { spawnVitals, type VitalsProcess } from '../support/vitals-process.js';

/**
 * Hostile clients against the real process on loopback, bounded in count and
 * time: /health and /ready must keep answering (budget p99 < 50 ms; the
 * assertions leave room for a loaded CI machine) and fds must come back.
 */
const CROWD = 2_000;
const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));
const fds = (pid: number): number => readdirSync(`/proc/${pid}/fd`).length;
const p99 = (values: number[]): number => [...values].sort((a, b) => a - b)[Math.floor(values.length * 0.99)] ?? 0;

let dir: string;
let vitals: VitalsProcess;
let base: string;
let port: number;
let pid: number;

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'vitals-hostile-'));
  port = await freePort();
  const config = join(dir, 'vitals.yaml');
  writeFileSync(config, [`server: { host: 127.0.0.1, port: ${port} }`, 'probes:', '  - { name: loop, type: eventloop }', '  - { name: mem, type: memory }', ''].join('\n'));
  vitals = spawnVitals(['serve', '--config', config], {}, dir);
  pid = vitals.child.pid as number;
  base = `http://127.0.0.1:${port}`;
  await vitals.waitForLog(/vitals listening/);
  for (let i = 0; i < 50 && (await fetch(`${base}/ready`)).status !== 200; i += 1) await sleep(100);
});

afterAll(async () => {
  vitals.kill('SIGKILL');
  await vitals.exited;
  rmSync(dir, { recursive: true, force: true });
});

/** Times `count` sequential requests to /health and /ready; every one must be 200. */
async function probeLatencies(count: number): Promise<number[]> {
  const latencies: number[] = [];
  for (let i = 0; i < count; i += 1) {
    const path = i % 2 === 0 ? '/health' : '/ready';
    const started = performance.now();
    const response = await fetch(base + path, { signal: AbortSignal.timeout(5_000) });
    await response.arrayBuffer();
    latencies.push(performance.now() - started);
    expect(response.status, path).toBe(200);
  }
  return latencies;
}

/** Raw bytes on a fresh socket; resolves with what the server answered before closing. */
function raw(bytes: string | Buffer): Promise<string> {
  return new Promise((resolve) => {
    const socket = net.connect(port, '127.0.0.1');
    let answer = '';
    socket.on('data', (chunk: Buffer) => (answer += chunk.toString('latin1')));
    socket.on('error', () => undefined);
    socket.on('close', () => resolve(answer));
    socket.setTimeout(8_000, () => socket.destroy());
    socket.end(bytes);
  });
}

describe('hostile HTTP clients', () => {
  it(`a slow-loris crowd of ${CROWD} connections does not starve /health and /ready; the server cuts them and fds return`, async () => {
    const baseline = fds(pid);
    const sockets: net.Socket[] = [];
    let closedByServer = 0;
    for (let i = 0; i < CROWD; i += 1) {
      const socket = net.connect(port, '127.0.0.1');
      socket.on('error', () => undefined);
      socket.on('close', () => (closedByServer += 1));
      socket.write('GET /health HTTP/1.1\r\nHost: x\r\nX-Slow: ');
      sockets.push(socket);
      if (i % 200 === 199) await sleep(10);
    }
    // Dribble one header byte per connection every 400 ms: never idle, never a complete header block.
    const dribble = setInterval(() => {
      for (const s of sockets) if (!s.destroyed) s.write('a');
    }, 400);
    try {
      await sleep(500);
      const latencies = await probeLatencies(200);
      const measured = p99(latencies);
      console.log(`slow-loris: ${CROWD} connections, /health+/ready p99 ${measured.toFixed(1)} ms, max ${Math.max(...latencies).toFixed(1)} ms`);
      expect(measured).toBeLessThan(250);
      // The header timeout closes every dribbling connection within headersTimeout + the check interval.
      const deadline = performance.now() + SERVER_LIMITS.headersTimeoutMs + SERVER_LIMITS.checkIntervalMs + 5_000;
      while (closedByServer < CROWD && performance.now() < deadline) await sleep(200);
      expect(closedByServer).toBe(CROWD);
    } finally {
      clearInterval(dribble);
      for (const s of sockets) s.destroy();
    }
    let after = fds(pid);
    for (let i = 0; i < 50 && after > baseline + 3; i += 1) {
      await sleep(100);
      after = fds(pid);
    }
    console.log(`slow-loris: fds ${baseline} before, ${after} after`);
    expect(after).toBeLessThanOrEqual(baseline + 3);
  }, 60_000);

  it('a header flood, oversized and malformed requests get 4xx answers, and the process keeps serving', async () => {
    const flood = `GET /health HTTP/1.1\r\nHost: x\r\n${Array.from({ length: 2_000 }, (_, i) => `X-H${i}: ${'v'.repeat(20)}\r\n`).join('')}\r\n`;
    expect(await raw(flood)).toMatch(/^HTTP\/1\.1 431/);
    expect(await raw(`GET /${'a'.repeat(100_000)} HTTP/1.1\r\nHost: x\r\n\r\n`)).toMatch(/^HTTP\/1\.1 (414|431)/);
    expect(await raw('NOT HTTP AT ALL\r\n\r\n')).toMatch(/^HTTP\/1\.1 400/);
    expect(await raw('GET /health HTTP/1.1\r\nHost: x\r\nContent-Length: -5\r\n\r\n')).toMatch(/^HTTP\/1\.1 400/);
    expect(await raw(Buffer.from([0x16, 0x03, 0x01, 0x00, 0xff, 0x01, 0x00]))).toMatch(/^(HTTP\/1\.1 400|$)/);
    const big = await fetch(`${base}/ready`, { method: 'POST', body: 'x'.repeat(200_000), headers: { 'content-type': 'application/json' } });
    expect(big.status).toBeGreaterThanOrEqual(400);
    expect(big.status).toBeLessThan(500);
    expect((await probeLatencies(20)).length).toBe(20);
    expect(vitals.child.exitCode).toBeNull();
  }, 30_000);

  it('a request storm on /diagnostics and /metrics leaves /health and /ready within budget', async () => {
    let stormed = 0;
    let running = true;
    const worker = async (path: string): Promise<void> => {
      while (running && stormed < 4_000) {
        const response = await fetch(base + path).catch(() => undefined);
        await response?.arrayBuffer();
        expect(response === undefined ? 0 : response.status).not.toBe(500);
        stormed += 1;
      }
    };
    const workers = Array.from({ length: 16 }, (_, i) => worker(i % 2 === 0 ? '/diagnostics' : '/metrics'));
    try {
      await sleep(200);
      const latencies = await probeLatencies(200);
      const measured = p99(latencies);
      console.log(`storm: ${stormed} /diagnostics+/metrics requests so far, /health+/ready p99 ${measured.toFixed(1)} ms`);
      expect(measured).toBeLessThan(250);
    } finally {
      running = false;
      await Promise.all(workers);
    }
  }, 60_000);
});
