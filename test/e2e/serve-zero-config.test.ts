import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { freePort } from '../support/net.js';
import { spawnVitals, type VitalsProcess } from '../support/vitals-process.js';

/** The real process, zero-config (no file, no dependency variables), over a real socket. */
describe('vitals serve on zero-config', () => {
  let vitals: VitalsProcess;
  let base: string;

  beforeAll(async () => {
    const port = await freePort();
    // An empty cwd, so no ./vitals.yaml is picked up.
    const cwd = mkdtempSync(join(tmpdir(), 'vitals-e2e-'));
    vitals = spawnVitals(['serve'], { VITALS_PORT: String(port) }, cwd);
    base = `http://127.0.0.1:${port}`;
    await vitals.waitForLog(/vitals listening/);
  });

  afterAll(async () => {
    vitals.kill('SIGKILL');
    await vitals.exited;
  });

  /** /ready is 503 `starting` only until the first round, which takes milliseconds for the self probes. */
  async function eventually(path: string, status: number): Promise<Response> {
    const deadline = Date.now() + 10_000;
    for (;;) {
      const response = await fetch(base + path);
      if (response.status === status || Date.now() > deadline) return response;
      await new Promise((r) => setTimeout(r, 100));
    }
  }

  it('answers /health with 200 application/health+json', async () => {
    const response = await eventually('/health', 200);
    expect(response.status).toBe(200);
    expect(response.headers.get('content-type')).toMatch(/^application\/health\+json/);
    expect(response.headers.get('cache-control')).toBe('no-store');
    expect(await response.json()).toEqual({ status: expect.stringMatching(/^(pass|warn)$/) });
  });

  it('answers /ready with 200 once the first round is done, listing the zero-config probes in verbose mode', async () => {
    const response = await eventually('/ready', 200);
    expect(response.status).toBe(200);
    const verbose = await (await fetch(`${base}/ready?verbose`)).text();
    expect(verbose).toMatch(/^\[[+-]\]disk /m);
    expect(verbose.trim().split('\n').at(-1)).toBe('ready check passed');
    const live = await (await fetch(`${base}/health?verbose`)).text();
    expect(live).toMatch(/^\[\+\]eventloop ok$/m);
    expect(live).toMatch(/^\[[+-]\]memory /m);
  });

  it('serves Prometheus metrics for the three zero-config probes', async () => {
    // /ready waits only for the ready group (disk); the live probes may still
    // be in their first run (the event-loop probe samples a short window).
    const deadline = Date.now() + 10_000;
    let response = await fetch(`${base}/metrics`);
    let text = await response.text();
    while (/^vitals_probe_state\{[^}]*state="unknown"\} 1$/m.test(text) && Date.now() < deadline) {
      await new Promise((r) => setTimeout(r, 100));
      response = await fetch(`${base}/metrics`);
      text = await response.text();
    }
    expect(response.status).toBe(200);
    expect(response.headers.get('content-type')).toMatch(/^text\/plain/);
    for (const probe of ['eventloop', 'memory', 'disk']) {
      expect(text).toMatch(new RegExp(`^vitals_probe_up\\{[^}]*probe="${probe}"[^}]*\\} 1$`, 'm'));
    }
    expect(text).toMatch(/^vitals_ready 1$/m);
    expect(text).toMatch(/^vitals_live 1$/m);
    expect(text).toMatch(/^vitals_build_info\{[^}]*version="\d+\.\d+\.\d+"/m);
    expect(text).toMatch(/^process_cpu_user_seconds_total /m);
  });

  it('answers an unknown path with a JSON 404', async () => {
    const response = await fetch(`${base}/nope`);
    expect(response.status).toBe(404);
    expect(await response.json()).toMatchObject({ statusCode: 404, code: expect.stringMatching(/^VITALS_ERR_/) });
  });

  it('logs one JSON line per state transition and nothing per request at info', () => {
    const lines = vitals.stdout().trim().split('\n');
    for (const line of lines) expect(() => JSON.parse(line)).not.toThrow();
    expect(vitals.stdout()).not.toMatch(/"url":"\/health/);
    expect(vitals.stdout()).toMatch(/probe state changed/);
  });
});
