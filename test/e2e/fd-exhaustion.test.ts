import { spawn, spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import net from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { FD_LIMIT_HINT } from '../../src/runner/classify-error.js';
import { freePort } from '../support/net.js';
import { CLI } from '../support/vitals-process.js';

/** More probes than file descriptors (ulimit -n 256, 400 tcp probes whose first runs all start at once). */
const PROBES = 400;
const LIMIT = 256;
let dir: string;
let listener: net.Server;
let targetPort: number;

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'vitals-emfile-'));
  listener = net.createServer((socket) => socket.on('error', () => undefined));
  await new Promise<void>((r) => listener.listen(0, '127.0.0.1', r));
  targetPort = (listener.address() as net.AddressInfo).port;
});
afterAll(() => {
  listener.close();
  rmSync(dir, { recursive: true, force: true });
});

function writeConfig(extra: string[], probeSettings: string): string {
  const path = join(dir, `v-${Math.random().toString(36).slice(2)}.yaml`);
  const probes = Array.from({ length: PROBES }, (_, i) => `  - { name: t${i}, type: tcp, host: 127.0.0.1, port: ${targetPort}, ${probeSettings} }`);
  writeFileSync(path, [...extra, 'probes:', ...probes, ''].join('\n'));
  return path;
}

describe('file descriptors run out', () => {
  it('vitals check: named EMFILE failures (reason error, a hint about the limit), never a crash', () => {
    const config = writeConfig([], 'timeout: 2s');
    const run = spawnSync('sh', ['-c', `ulimit -n ${LIMIT} && exec "${process.execPath}" "${CLI}" check --config "${config}"`], { encoding: 'utf8', timeout: 30_000 });
    expect(run.stderr).toBe('');
    expect(run.status).toBe(1);
    expect(run.stdout).toMatch(/error: connect EMFILE/);
    expect(run.stdout).toContain(FD_LIMIT_HINT.slice(0, 60));
    // Some probes got a descriptor and passed.
    expect(run.stdout).toMatch(/✓ t\d+/);
  }, 40_000);

  it('vitals serve: the grid spreads later runs, so every probe recovers once descriptors free up', async () => {
    const port = await freePort();
    const config = writeConfig([`server: { host: 127.0.0.1, port: ${port} }`], 'interval: 2s, timeout: 1s, failureThreshold: 1');
    const child = spawn('sh', ['-c', `ulimit -n ${LIMIT} && exec "${process.execPath}" "${CLI}" serve --config "${config}"`], { stdio: ['ignore', 'pipe', 'pipe'] });
    let stderr = '';
    child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
    child.stdout.resume();
    try {
      let ready = 0;
      const deadline = Date.now() + 20_000;
      while (Date.now() < deadline && ready !== 200) {
        await new Promise((r) => setTimeout(r, 250));
        ready = (await fetch(`http://127.0.0.1:${port}/ready`).catch(() => undefined))?.status ?? 0;
      }
      expect(ready).toBe(200);
      // The first round did run out: runs failed with reason error, and then every probe passed again.
      const metrics = await (await fetch(`http://127.0.0.1:${port}/metrics`)).text();
      const failedWithError = metrics
        .split('\n')
        .filter((line) => line.startsWith('vitals_probe_failures_total{') && line.includes('reason="error"'))
        .reduce((sum, line) => sum + Number(line.split(' ').at(-1)), 0);
      expect(failedWithError).toBeGreaterThan(0);
      expect(child.exitCode).toBeNull();
      expect(stderr).toBe('');
    } finally {
      child.kill('SIGKILL');
    }
  }, 40_000);
});
