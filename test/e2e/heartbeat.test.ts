import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { freePort } from '../support/net.js';
import { spawnVitals, type VitalsProcess } from '../support/vitals-process.js';

/**
 * Heartbeats against the built CLI: a real `vitals serve`, real HTTP from
 * this process (as curl from a cron job would), and a bounded storm of beats.
 */

const TOKEN = 'e2e-beat-token-0a9f3c';
let dir: string;
let vitals: VitalsProcess;
let base: string;

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'vitals-heartbeat-'));
  const port = await freePort();
  const path = join(dir, 'vitals.yaml');
  writeFileSync(
    path,
    [
      `server: { host: 127.0.0.1, port: ${port} }`,
      'shutdown: { drainDelay: 0ms, timeout: 2s }',
      'auth: { token: "${VITALS_TOKEN}" }',
      'probes:',
      '  - { name: nightly-backup, type: heartbeat, expectEvery: 1s, grace: 200ms }',
      '  - { name: worker, type: heartbeat, expectEvery: 1h }',
      '',
    ].join('\n'),
  );
  vitals = spawnVitals(['serve', '--config', path], { VITALS_TOKEN: TOKEN, VITALS_LOG_LEVEL: 'info' }, dir);
  await vitals.waitForLog(/vitals listening/);
  base = `http://127.0.0.1:${port}`;
});

afterAll(async () => {
  vitals?.kill('SIGKILL');
  await vitals?.exited;
  if (dir !== undefined) rmSync(dir, { recursive: true, force: true });
});

const auth = { authorization: `Bearer ${TOKEN}` };

async function probeOf(name: string): Promise<Record<string, unknown>> {
  let response = await fetch(`${base}/diagnostics?probe=${name}`, { headers: auth });
  // /diagnostics is rate limited (5 a second per client): polling may hit it.
  while (response.status === 429) {
    await new Promise((resolve) => setTimeout(resolve, 250));
    response = await fetch(`${base}/diagnostics?probe=${name}`, { headers: auth });
  }
  const body = (await response.json()) as { checks: Record<string, Array<Record<string, unknown>>> };
  return Object.entries(body.checks).find(([key]) => key.startsWith(`${name}:`))![1][0]!;
}

/** utime + stime of the vitals process, in seconds (Linux /proc). */
function cpuSeconds(pid: number): number {
  const fields = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1]!.split(' ');
  return (Number(fields[11]) + Number(fields[12])) / 100;
}

function rssBytes(pid: number): number {
  const line = readFileSync(`/proc/${pid}/status`, 'utf8').split('\n').find((l) => l.startsWith('VmRSS:'))!;
  return Number(/(\d+)/.exec(line)![1]) * 1024;
}

describe('heartbeat probes on the real process', () => {
  it('a beat over HTTP passes; without one the probe fails within expectEvery + grace + a check', async () => {
    const beat = await fetch(`${base}/heartbeat/nightly-backup`, { method: 'POST', headers: auth });
    expect(beat.status).toBe(200);
    expect(await beat.json()).toMatchObject({ name: 'nightly-backup', received: 'beat', status: 'pass' });
    const beatAt = Date.now();
    expect(await probeOf('nightly-backup')).toMatchObject({ status: 'pass' });

    let entry = await probeOf('nightly-backup');
    while (entry.status !== 'fail') {
      expect(Date.now() - beatAt, 'missed beat not detected within 3 s').toBeLessThan(3_000);
      await new Promise((resolve) => setTimeout(resolve, 200));
      entry = await probeOf('nightly-backup');
    }
    expect(Date.now() - beatAt).toBeGreaterThanOrEqual(1_200);
    expect(entry.output).toMatch(/^no heartbeat for [1-4]\.\ds; expected every 1s$/);

    const failed = await fetch(`${base}/heartbeat/worker/fail`, { method: 'POST', headers: auth, body: 'queue consumer crashed: OOM' });
    expect(await failed.json()).toMatchObject({ status: 'fail', reason: 'unavailable', message: 'queue consumer crashed: OOM' });
  });

  it('a storm of 5,000 beats is rate limited (429 + Retry-After), bounded in CPU and memory, and /ready stays fast', async () => {
    const pid = vitals.child.pid!;
    const cpuBefore = cpuSeconds(pid);
    const rssBefore = rssBytes(pid);
    const started = Date.now();
    const counts = new Map<number, number>();
    let retryAfter: string | null = null;
    let next = 0;
    // 50 concurrent senders, 5,000 requests in all: a worker gone into a tight loop.
    await Promise.all(
      Array.from({ length: 50 }, async () => {
        while (next < 5_000) {
          next += 1;
          const response = await fetch(`${base}/heartbeat/worker`, { method: 'POST', headers: auth });
          await response.arrayBuffer();
          counts.set(response.status, (counts.get(response.status) ?? 0) + 1);
          if (response.status === 429) retryAfter ??= response.headers.get('retry-after');
        }
      }),
    );
    const elapsedMs = Date.now() - started;
    const readyStarted = performance.now();
    const ready = await fetch(`${base}/ready`);
    const readyMs = performance.now() - readyStarted;
    const cpu = cpuSeconds(pid) - cpuBefore;
    const rssGrowth = rssBytes(pid) - rssBefore;
    console.log(
      `heartbeat storm: ${JSON.stringify(Object.fromEntries(counts))} in ${elapsedMs} ms; vitals CPU ${cpu.toFixed(2)} s; RSS +${(rssGrowth / 1e6).toFixed(1)} MB; /ready after ${readyMs.toFixed(1)} ms`,
    );

    expect([...counts.keys()].sort()).toEqual([200, 429]);
    // The default limit: 120 beats a minute per client and probe (the first test used none on `worker` but the /fail).
    expect(counts.get(200)).toBeLessThanOrEqual(120);
    expect(counts.get(429)).toBeGreaterThanOrEqual(4_880);
    expect(Number(retryAfter)).toBeGreaterThan(0);
    // Mostly the senders' own time on a shared machine; the CPU bound below is vitals' share.
    expect(elapsedMs).toBeLessThan(45_000);
    expect(cpu).toBeLessThan(15);
    expect(rssGrowth).toBeLessThan(100 * 1024 * 1024);
    expect(ready.status).toBe(200);
    expect(readyMs).toBeLessThan(500);
    expect(await probeOf('worker')).toMatchObject({ status: 'pass' });
  }, 90_000);
});
