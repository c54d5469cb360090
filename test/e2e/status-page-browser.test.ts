import { mkdirSync } from 'node:fs';
import axe from 'axe-core';
import { chromium, type Browser, type BrowserContextOptions, type Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { FastifyInstance } from 'fastify';
import { buildApp } from '../../src/http/app.js';
import type { LifecycleState, ProbeSnapshot } from '../../src/core/state.js';
import type { ProbeState, Reason } from '../../src/core/types.js';
import { createMetrics } from '../../src/metrics/metrics.js';
import { FakeState, configFor, result, snapshot } from '../support/fake-state.js';

/**
 * The status pages as people see them: real headless Chromium (/usr/bin/chromium)
 * against the app listening on loopback. Screenshots (desktop and phone,
 * healthy and failing) go to test-artifacts/. Every page load records console
 * errors and warnings, uncaught errors, CSP violations (a listener added before
 * any page script) and every request, which must stay on this service.
 * Bounded: one browser; the pages update every REFRESH seconds here.
 */
// Runs inside the page (evaluate); the project's tsconfig has no DOM lib, so declare the browser calls used.
declare function getComputedStyle(element: unknown): { backgroundColor: string; fill: string; outlineStyle: string; color: string };

const ARTIFACTS = 'test-artifacts';
const MIN = 60_000;
const NOW = Date.now();
/** Short so the live and no-script tests wait seconds, not tens of seconds; production pages use 10 s. */
const REFRESH = 2;
const RED = 'rgb(207, 34, 46)';
const GREEN = 'rgb(26, 127, 55)';

let app: FastifyInstance;
let base: string;
let browser: Browser;
let state: FakeState;
const snaps: ProbeSnapshot[] = [
  snapshot({ name: 'cache', type: 'redis', intervalMs: MIN }),
  snapshot({ name: 'db', type: 'postgres', intervalMs: MIN }),
  snapshot({ name: 'api', type: 'http', intervalMs: MIN }),
];
const previous = new Map<string, ProbeState>();

/** One finished run of a probe at `at`, as the scheduler would report it. */
function run(name: string, at: number, failing: boolean, failure: { reason: Reason; message: string; hint: string } = { reason: 'timeout', message: 'no answer within 2s', hint: 'check that postgres is up and reachable from this host' }) {
  const s = snaps.find((p) => p.name === name)!;
  const to: ProbeState = failing ? 'unhealthy' : 'healthy';
  const r = failing ? result('fail', at, { durationMs: 2_000, ...failure }) : result('pass', at, { durationMs: 3 + (at % 7) });
  const from = previous.get(name) ?? 'unknown';
  state.emit({ snapshot: { ...s, state: to, last: r, lastRun: at, lastChange: from === to ? (state.get(name)?.lastChange ?? at) : at }, result: r, previousState: from });
  previous.set(name, to);
}

beforeAll(async () => {
  state = new FakeState(snaps);
  const config = configFor(snaps, { service: { id: 'shop', description: 'storefront' } });
  const lifecycle = { shuttingDown: false, startedAt: NOW - 2 * 3_600_000 } as LifecycleState;
  const metrics = createMetrics({ state, config, lifecycle: () => lifecycle, version: 'e2e' });
  app = buildApp({ config, state, lifecycle: () => lifecycle, metrics, version: 'e2e', statusRefreshSeconds: REFRESH });
  await app.ready();
  // Every probe ran each minute for 2 h; db failed (timeout) from NOW-40 min to NOW-25 min and again since NOW-5 min.
  for (const s of snaps) {
    for (let t = NOW - 120 * MIN; t < NOW; t += MIN) {
      run(s.name, t, s.name === 'db' && ((t >= NOW - 40 * MIN && t < NOW - 25 * MIN) || t >= NOW - 5 * MIN));
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

/** Reports CSP violations as console errors, so `problems` catches them; installed before any page script runs. */
const CSP_LISTENER = "document.addEventListener('securitypolicyviolation', function (e) { console.error('CSP violation: ' + e.violatedDirective + ' ' + e.blockedURI); });";

interface Opened {
  page: Page;
  close(): Promise<void>;
  problems: string[];
  requests: string[];
  navigations: () => number;
  status: number | undefined;
}

async function open(path: string, viewport: { width: number; height: number }, shot?: string, options: BrowserContextOptions = {}): Promise<Opened> {
  const context = await browser.newContext({ viewport, ...options });
  if (options.javaScriptEnabled !== false) await context.addInitScript({ content: CSP_LISTENER });
  const page = await context.newPage();
  const problems: string[] = [];
  const requests: string[] = [];
  let navigations = 0;
  page.on('console', (m) => {
    if (m.type() === 'error' || m.type() === 'warning') problems.push(m.text());
  });
  page.on('pageerror', (e) => problems.push(e.message));
  page.on('request', (r) => requests.push(r.url()));
  page.on('framenavigated', (frame) => {
    if (frame === page.mainFrame()) navigations += 1;
  });
  const response = await page.goto(`${base}${path}`);
  if (shot !== undefined) await page.screenshot({ path: `${ARTIFACTS}/${shot}.png`, fullPage: false });
  return { page, close: () => context.close(), problems, requests, navigations: () => navigations, status: response?.status() };
}

/**
 * axe-core's serious and critical violations on the page as it is now. axe.source is
 * evaluated through the DevTools protocol, which the page's CSP does not govern (an
 * injected <script> tag would be refused, rightly); the page's own CSP stays in force.
 */
async function axeFindings(page: Page): Promise<string[]> {
  await page.evaluate(axe.source);
  const results = (await page.evaluate('axe.run(document, { resultTypes: ["violations"] })')) as axe.AxeResults;
  return results.violations
    .filter((v) => v.impact === 'serious' || v.impact === 'critical')
    .map((v) => `${v.impact} ${v.id}: ${v.nodes.map((n) => n.target.join(' ')).join(', ')}`);
}

/** axe in light and dark colour schemes; the body's background proves the scheme switched. */
async function axeBothSchemes(page: Page, darkShot?: string): Promise<void> {
  for (const [colorScheme, background] of [['light', 'rgb(255, 255, 255)'], ['dark', 'rgb(13, 17, 23)']] as const) {
    await page.emulateMedia({ colorScheme });
    expect(await page.locator('body').evaluate((el) => getComputedStyle(el).backgroundColor)).toBe(background);
    if (colorScheme === 'dark' && darkShot !== undefined) await page.screenshot({ path: `${ARTIFACTS}/${darkShot}.png` });
    expect(await axeFindings(page), `axe, ${colorScheme} scheme`).toEqual([]);
  }
  await page.emulateMedia({ colorScheme: 'light' });
}

function expectStayedOnService(opened: Opened): void {
  expect(opened.requests.length).toBeGreaterThan(0);
  for (const url of opened.requests) expect(url.startsWith(`${base}/`) || url.startsWith('data:'), url).toBe(true);
}

const rowNames = (page: Page) => page.locator('tr.probe').evaluateAll((rows) => rows.map((r) => r.getAttribute('data-probe')));

describe('status pages in Chromium', () => {
  it('/status lists the failing probe first, with text and shape beside the colour, on desktop and phone; axe finds nothing serious', async () => {
    for (const [shot, viewport] of [
      ['status-failing-desktop', { width: 1280, height: 800 }],
      ['status-failing-phone', { width: 390, height: 844 }],
    ] as const) {
      const opened = await open('/status', viewport, shot);
      const { page, problems, status } = opened;
      expect(status).toBe(200);
      expect(await rowNames(page)).toEqual(['db', 'api', 'cache']);
      const badge = page.locator('tr[data-probe="db"] .badge');
      expect(await badge.textContent()).toBe('unhealthy');
      expect(await badge.evaluate((el) => getComputedStyle(el).backgroundColor)).toBe(RED);
      // Shape as well as colour and word: a cross before a failing badge, a tick before a healthy one.
      expect(await page.evaluate(`getComputedStyle(document.querySelector('tr[data-probe="db"] .badge'), '::before').content`)).toBe('"✗ "');
      expect(await page.evaluate(`getComputedStyle(document.querySelector('tr[data-probe="api"] .badge'), '::before').content`)).toBe('"✓ "');
      expect(await page.locator('tr[data-probe="api"] .badge').evaluate((el) => getComputedStyle(el).backgroundColor)).toBe(GREEN);
      // The failing probe's hint is in the first screen, also on a phone.
      const hint = await page.locator('tr[data-probe="db"] .hint').boundingBox();
      expect(hint).not.toBeNull();
      expect(hint!.y + hint!.height).toBeLessThanOrEqual(viewport.height);
      await axeBothSchemes(page, `${shot}-dark`);
      expect(problems).toEqual([]);
      expectStayedOnService(opened);
      await opened.close();
    }
  }, 90_000);

  it('/status/{probe} draws the timeline bands for the known failure intervals; axe finds nothing serious, failing or healthy', async () => {
    const opened = await open('/status/db', { width: 1280, height: 900 }, 'probe-failing-desktop');
    const { page, problems, status } = opened;
    expect(status).toBe(200);
    const bands = await page.locator('rect.band').evaluateAll((rects) =>
      rects.map((r) => ({ state: r.getAttribute('data-state'), from: Number(r.getAttribute('data-from')), to: Number(r.getAttribute('data-to')), fill: getComputedStyle(r).fill })),
    );
    const failing = bands.filter((b) => b.state === 'unhealthy');
    // Runs land on minute boundaries relative to NOW; the bands start at the first failing run.
    expect(failing.map((b) => Math.round((NOW - b.from) / MIN))).toEqual([40, 5]);
    expect(Math.round((failing[0]!.to - failing[0]!.from) / MIN)).toBe(15);
    expect(failing.every((b) => b.fill === RED)).toBe(true);
    expect(await page.locator('#state').textContent()).toContain('unhealthy');
    expect(await page.locator('#hint').textContent()).toContain('check that postgres is up');
    expect(await page.locator('#outages tr.outage').count()).toBe(2);
    await axeBothSchemes(page, 'probe-failing-desktop-dark');
    expect(problems).toEqual([]);
    expectStayedOnService(opened);
    await opened.close();
    const phone = await open('/status/db', { width: 390, height: 844 }, 'probe-failing-phone');
    const hint = await phone.page.locator('#hint').boundingBox();
    expect(hint!.y + hint!.height).toBeLessThanOrEqual(844);
    expect(phone.problems).toEqual([]);
    await phone.close();
    const healthy = await open('/status/cache', { width: 1280, height: 900 }, 'probe-healthy-desktop');
    expect(await healthy.page.locator('#state').textContent()).toBe('✓ healthy');
    await axeBothSchemes(healthy.page);
    expect(healthy.problems).toEqual([]);
    await healthy.close();
  }, 90_000);

  it('is keyboard reachable: the first Tab lands on the failing probe, with a visible focus ring, and Enter opens its page', async () => {
    const opened = await open('/status', { width: 1280, height: 800 });
    const { page } = opened;
    await page.keyboard.press('Tab');
    const focused = page.locator(':focus');
    expect(await focused.getAttribute('href')).toBe('/status/db');
    expect(await focused.evaluate((el) => getComputedStyle(el).outlineStyle)).toBe('solid');
    await Promise.all([page.waitForURL(`${base}/status/db`), page.keyboard.press('Enter')]);
    await page.keyboard.press('Tab');
    expect(await page.locator(':focus').getAttribute('href')).toBe('/status');
    expect(opened.problems).toEqual([]);
    await opened.close();
  }, 30_000);

  it('with scripts off, the meta refresh reloads the page', async () => {
    const opened = await open('/status', { width: 1280, height: 800 }, undefined, { javaScriptEnabled: false });
    expect(opened.navigations()).toBe(1);
    await opened.page.waitForEvent('framenavigated', { timeout: (REFRESH + 8) * 1000 });
    expect(opened.navigations()).toBe(2);
    // The script did not run: the page is the server's, reloaded.
    expect(await opened.page.locator('html[data-live]').count()).toBe(0);
    expect(opened.problems).toEqual([]);
    await opened.close();
  }, 30_000);

  it('with scripts on, updates in place: a probe that starts failing changes its row and the order, with no reload', async () => {
    const opened = await open('/status', { width: 1280, height: 800 });
    const { page } = opened;
    expect(await page.locator('html[data-live="on"]').count()).toBe(1);
    // The meta refresh exists only inside <noscript>, inert with scripts on.
    expect(await page.locator('meta[http-equiv="refresh"]').count()).toBe(0);
    await page.evaluate('window.marker = "still the same document"');
    run('api', Date.now(), true, { reason: 'refused', message: 'connect ECONNREFUSED 127.0.0.1:9', hint: 'start the api or fix its port' });
    await page.locator('tr[data-probe="api"] .badge', { hasText: 'unhealthy' }).waitFor({ timeout: (REFRESH * 3 + 5) * 1000 });
    expect(await page.locator('tr[data-probe="api"] .hint').textContent()).toBe('hint: start the api or fix its port');
    expect(await page.locator('tr[data-probe="api"] .badge').evaluate((el) => getComputedStyle(el).backgroundColor)).toBe(RED);
    expect(await rowNames(page)).toEqual(['api', 'db', 'cache']);
    expect(await page.locator('#summary').textContent()).toContain('3 probes, 2 failing');
    expect(await page.evaluate('window.marker')).toBe('still the same document');
    expect(opened.navigations()).toBe(1);
    expect(await page.title()).toBe('✗ shop — vitals');
    // A probe that appears (as after a config reload) gets its row, in its place, without a reload either.
    snaps.push(snapshot({ name: 'queue', type: 'nats', intervalMs: MIN }));
    run('queue', Date.now(), false);
    await page.locator('tr[data-probe="queue"] .badge', { hasText: 'healthy' }).waitFor({ timeout: (REFRESH * 3 + 5) * 1000 });
    expect(await rowNames(page)).toEqual(['api', 'db', 'cache', 'queue']);
    expect(opened.navigations()).toBe(1);
    expect(opened.problems).toEqual([]);
    expectStayedOnService(opened);
    expect(opened.requests.filter((u) => u === `${base}/status?format=json`).length).toBeGreaterThan(0);
    await opened.close();
  }, 45_000);

  it('the probe page updates in place too, and says when updates pause, then resumes', async () => {
    const opened = await open('/status/api', { width: 1280, height: 900 });
    const { page } = opened;
    await page.evaluate('window.marker = 1');
    expect(await page.locator('#state').textContent()).toBe('✗ unhealthy');
    run('api', Date.now(), false);
    await page.locator('#state', { hasText: 'healthy' }).filter({ hasNotText: 'unhealthy' }).waitFor({ timeout: (REFRESH * 3 + 5) * 1000 });
    expect(await page.locator('#hint').count()).toBe(0);
    expect(await page.locator('rect.band[data-state="unhealthy"]').count()).toBe(1);
    // The JSON view unreachable: the page says so, keeps what it shows, and recovers on its own.
    await page.route(`${base}/status/api?format=json`, (route) => route.abort('connectionrefused'));
    const note = page.locator('#live-note');
    await note.waitFor({ state: 'visible', timeout: (REFRESH * 3 + 5) * 1000 });
    expect(await note.textContent()).toBe(`updates paused: the service is not reachable — trying again every ${REFRESH}s`);
    await page.screenshot({ path: `${ARTIFACTS}/probe-updates-paused.png` });
    await page.unroute(`${base}/status/api?format=json`);
    await note.waitFor({ state: 'hidden', timeout: (REFRESH * 3 + 5) * 1000 });
    expect(await page.evaluate('window.marker')).toBe(1);
    expect(opened.navigations()).toBe(1);
    // The refused polls are the browser's own network errors; nothing else may appear.
    expect(opened.problems.filter((p) => !p.includes('net::ERR_CONNECTION_REFUSED'))).toEqual([]);
    expectStayedOnService(opened);
    await opened.close();
  }, 60_000);

  it('once everything recovers, /status shows all healthy: screenshots, and axe finds nothing serious', async () => {
    run('db', Date.now(), false);
    await new Promise((resolve) => setTimeout(resolve, 1_100)); // past the 1 s page cache
    for (const [shot, viewport] of [
      ['status-healthy-desktop', { width: 1280, height: 800 }],
      ['status-healthy-phone', { width: 390, height: 844 }],
    ] as const) {
      const opened = await open('/status', viewport, shot);
      expect(await opened.page.locator('tr.probe .badge.pass').count()).toBe(4);
      expect(await opened.page.locator('#ready').textContent()).toBe('ready');
      await axeBothSchemes(opened.page);
      expect(opened.problems).toEqual([]);
      await opened.close();
    }
  }, 60_000);
});
