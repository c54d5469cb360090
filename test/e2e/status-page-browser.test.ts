import { mkdirSync } from 'node:fs';
import { chromium, type Browser } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { FastifyInstance } from 'fastify';
import { buildApp } from '../../src/http/app.js';
import type { LifecycleState } from '../../src/core/state.js';
import type { ProbeState } from '../../src/core/types.js';
import { createMetrics } from '../../src/metrics/metrics.js';
import { FakeState, configFor, result, snapshot } from '../support/fake-state.js';

/**
 * The status pages as people see them: real headless Chromium (/usr/bin/chromium)
 * against the app listening on loopback. Screenshots (desktop and phone,
 * healthy and failing) go to test-artifacts/. Bounded: one browser, 6 page loads.
 */
// Runs inside the page (evaluate); the project's tsconfig has no DOM lib, so declare the one browser call used.
declare function getComputedStyle(element: unknown): { backgroundColor: string; fill: string };

const ARTIFACTS = 'test-artifacts';
const MIN = 60_000;
const NOW = Date.now();

let app: FastifyInstance;
let base: string;
let browser: Browser;

beforeAll(async () => {
  const snaps = [
    snapshot({ name: 'cache', type: 'redis', intervalMs: MIN }),
    snapshot({ name: 'db', type: 'postgres', intervalMs: MIN }),
    snapshot({ name: 'api', type: 'http', intervalMs: MIN }),
  ];
  const state = new FakeState(snaps);
  const config = configFor(snaps, { service: { id: 'shop', description: 'storefront' } });
  const lifecycle = { shuttingDown: false, startedAt: NOW - 2 * 3_600_000 } as LifecycleState;
  const metrics = createMetrics({ state, config, lifecycle: () => lifecycle, version: 'e2e' });
  app = buildApp({ config, state, lifecycle: () => lifecycle, metrics, version: 'e2e' });
  await app.ready();
  // Every probe ran each minute for 2 h; db failed (timeout) from NOW-40 min to NOW-25 min and again since NOW-5 min.
  for (const s of snaps) {
    let previous: ProbeState = 'unknown';
    for (let t = NOW - 120 * MIN; t < NOW; t += MIN) {
      const failing = s.name === 'db' && ((t >= NOW - 40 * MIN && t < NOW - 25 * MIN) || t >= NOW - 5 * MIN);
      const to: ProbeState = failing ? 'unhealthy' : 'healthy';
      const r = failing
        ? result('fail', t, { durationMs: 2_000, reason: 'timeout', message: 'no answer within 2s', hint: 'check that postgres is up and reachable from this host' })
        : result('pass', t, { durationMs: 3 + (t % 7) });
      state.emit({ snapshot: { ...s, state: to, last: r, lastRun: t, lastChange: t }, result: r, previousState: previous });
      previous = to;
    }
  }
  base = await app.listen({ host: '127.0.0.1', port: 0 });
  browser = await chromium.launch({ executablePath: '/usr/bin/chromium', args: ['--no-sandbox'] });
  mkdirSync(ARTIFACTS, { recursive: true });
}, 60_000);

afterAll(async () => {
  await browser?.close();
  await app?.close();
});

async function open(path: string, viewport: { width: number; height: number }, shot: string) {
  const context = await browser.newContext({ viewport });
  const page = await context.newPage();
  const problems: string[] = [];
  page.on('console', (m) => {
    if (m.type() === 'error' || m.type() === 'warning') problems.push(m.text());
  });
  page.on('pageerror', (e) => problems.push(e.message));
  const response = await page.goto(`${base}${path}`);
  await page.screenshot({ path: `${ARTIFACTS}/${shot}.png`, fullPage: false });
  return { page, context, problems, status: response?.status() };
}

describe('status pages in Chromium', () => {
  it('/status lists the failing probe first, with text beside the colour, on desktop and phone', async () => {
    for (const [shot, viewport] of [
      ['status-failing-desktop', { width: 1280, height: 800 }],
      ['status-failing-phone', { width: 390, height: 844 }],
    ] as const) {
      const { page, context, problems, status } = await open('/status', viewport, shot);
      expect(status).toBe(200);
      const names = await page.locator('tr.probe').evaluateAll((rows) => rows.map((r) => r.getAttribute('data-probe')));
      expect(names).toEqual(['db', 'api', 'cache']);
      const badge = page.locator('tr[data-probe="db"] .badge');
      expect(await badge.textContent()).toBe('unhealthy');
      expect(await badge.evaluate((el) => getComputedStyle(el).backgroundColor)).toBe('rgb(207, 34, 46)');
      expect(await page.locator('tr[data-probe="api"] .badge').evaluate((el) => getComputedStyle(el).backgroundColor)).toBe('rgb(26, 127, 55)');
      // The failing probe's hint is in the first screen, also on a phone.
      const hint = await page.locator('tr[data-probe="db"] .hint').boundingBox();
      expect(hint).not.toBeNull();
      expect(hint!.y + hint!.height).toBeLessThanOrEqual(viewport.height);
      expect(problems).toEqual([]);
      await context.close();
    }
  }, 60_000);

  it('/status/{probe} draws the timeline bands for the known failure intervals', async () => {
    const { page, context, problems, status } = await open('/status/db', { width: 1280, height: 900 }, 'probe-failing-desktop');
    expect(status).toBe(200);
    const bands = await page.locator('rect.band').evaluateAll((rects) =>
      rects.map((r) => ({ state: r.getAttribute('data-state'), from: Number(r.getAttribute('data-from')), to: Number(r.getAttribute('data-to')), fill: getComputedStyle(r).fill })),
    );
    const failing = bands.filter((b) => b.state === 'unhealthy');
    // Runs land on minute boundaries relative to NOW; the bands start at the first failing run.
    expect(failing.map((b) => Math.round((NOW - b.from) / MIN))).toEqual([40, 5]);
    expect(Math.round((failing[0]!.to - failing[0]!.from) / MIN)).toBe(15);
    expect(failing.every((b) => b.fill === 'rgb(207, 34, 46)')).toBe(true);
    expect(await page.locator('#state').textContent()).toContain('unhealthy');
    expect(await page.locator('#hint').textContent()).toContain('check that postgres is up');
    expect(await page.locator('#outages tr.outage').count()).toBe(2);
    expect(problems).toEqual([]);
    await context.close();
    const phone = await open('/status/db', { width: 390, height: 844 }, 'probe-failing-phone');
    expect(phone.problems).toEqual([]);
    await phone.context.close();
    const healthy = await open('/status/cache', { width: 1280, height: 900 }, 'probe-healthy-desktop');
    expect(await healthy.page.locator('#state').textContent()).toBe('✓ healthy');
    expect(healthy.problems).toEqual([]);
    await healthy.context.close();
  }, 60_000);
});
