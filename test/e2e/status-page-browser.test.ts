import { existsSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import net from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { chromium, type BrowserContext, type Locator } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { freePort } from '../support/net.js';
import { spawnVitals, type VitalsProcess } from '../support/vitals-process.js';

/**
 * The real service, the real page, a real browser: Debian's Chromium driven
 * by playwright-core. Asserts what a person sees — a failing probe in the
 * failing colour, a layout that fits a phone — and that the browser reports
 * no console errors (CSP violations included). Screenshots go to
 * test-artifacts/ (gitignored).
 */

const CHROMIUM = '/usr/bin/chromium';
const TOKEN = 'browser-token-0c7d1e5a93';
const ARTIFACTS = join(process.cwd(), 'test-artifacts');
const RED = 'rgb(207, 34, 46)';
const GREEN = 'rgb(26, 127, 55)';

/** This runs in the page; the test project has no DOM typings, so the browser globals are declared by hand. */
interface BrowserGlobals {
  getComputedStyle(element: unknown): Record<string, string>;
  document: { documentElement: { scrollWidth: number; clientWidth: number } };
}

function computed(locator: Locator, property: 'backgroundColor' | 'textTransform'): Promise<string> {
  return locator.evaluate((element, name) => (globalThis as unknown as BrowserGlobals).getComputedStyle(element)[name]!, property);
}

describe.skipIf(!existsSync(CHROMIUM))('status page in headless Chromium', () => {
  let vitals: VitalsProcess;
  let listener: net.Server;
  let base: string;
  let userDataDir: string;
  let workDir: string;
  let context: BrowserContext | undefined;

  beforeAll(async () => {
    listener = net.createServer((socket) => socket.end());
    await new Promise<void>((resolve) => listener.listen(0, '127.0.0.1', resolve));
    const openPort = (listener.address() as net.AddressInfo).port;
    const closedPort = await freePort();
    const port = await freePort();
    workDir = mkdtempSync(join(tmpdir(), 'vitals-browser-'));
    const configPath = join(workDir, 'vitals.yaml');
    writeFileSync(
      configPath,
      [
        'service: { id: browser-e2e, description: "Status page <in> a \\"real\\" browser" }',
        'server: { host: 127.0.0.1, port: ' + port + ' }',
        `auth: { token: "${TOKEN}" }`,
        'shutdown: { drainDelay: 0s, timeout: 5s }',
        'probes:',
        '  - { name: upstream, type: tcp, host: 127.0.0.1, port: ' + openPort + ', interval: 1s, timeout: 500ms }',
        '  - { name: gone, type: tcp, host: 127.0.0.1, port: ' + closedPort + ', interval: 1s, timeout: 500ms, failureThreshold: 1 }',
        '  - { name: optional, type: tcp, host: 127.0.0.1, port: ' + closedPort + ', interval: 1s, timeout: 500ms, critical: false }',
        '',
      ].join('\n'),
    );
    vitals = spawnVitals(['serve', '--config', configPath], {}, workDir);
    base = `http://127.0.0.1:${port}`;
    await vitals.waitForLog(/"probe":"gone".*"to":"unhealthy"/);
    // A few runs, so the sparklines have a line to draw.
    await new Promise((resolve) => setTimeout(resolve, 2_500));
    mkdirSync(ARTIFACTS, { recursive: true });
    userDataDir = mkdtempSync(join(tmpdir(), 'vitals-chromium-'));
  });

  afterAll(async () => {
    await context?.close();
    vitals?.kill('SIGKILL');
    await vitals?.exited;
    await new Promise((resolve) => listener?.close(resolve));
    if (userDataDir !== undefined) rmSync(userDataDir, { recursive: true, force: true });
    if (workDir !== undefined) rmSync(workDir, { recursive: true, force: true });
  });

  async function launch(credentials: boolean, viewport = { width: 1280, height: 800 }): Promise<BrowserContext> {
    await context?.close();
    rmSync(userDataDir, { recursive: true, force: true });
    mkdirSync(userDataDir);
    context = await chromium.launchPersistentContext(userDataDir, {
      executablePath: CHROMIUM,
      headless: true,
      args: [
        '--headless',
        '--no-sandbox',
        '--disable-gpu',
        '--disable-background-networking',
        '--disable-component-update',
        '--disable-sync',
        '--no-first-run',
      ],
      viewport,
      ...(credentials ? { httpCredentials: { username: 'oncall', password: TOKEN } } : {}),
      timeout: 30_000,
    });
    return context;
  }

  it('renders the page, shows the failing probe in red and the passing one in green, with no console errors', async () => {
    const ctx = await launch(true);
    const page = ctx.pages()[0] ?? (await ctx.newPage());
    const problems: string[] = [];
    page.on('console', (message) => {
      if (message.type() === 'error' || message.type() === 'warning') problems.push(`${message.type()}: ${message.text()}`);
    });
    page.on('pageerror', (error) => problems.push(`pageerror: ${error.message}`));
    page.on('requestfailed', (request) => problems.push(`requestfailed: ${request.url()}`));

    const response = await page.goto(`${base}/status`, { waitUntil: 'load' });
    expect(response?.status()).toBe(200);
    expect(await page.title()).toBe('✗ browser-e2e — vitals');
    expect(await page.locator('h1').textContent()).toBe('browser-e2e');
    expect(await page.locator('.desc').textContent()).toBe('Status page <in> a "real" browser');
    expect(await page.locator('#ready').textContent()).toBe('not ready');
    expect(await computed(page.locator('#ready'), 'backgroundColor')).toBe(RED);

    const badge = (name: string) => page.locator(`tr[data-probe="${name}"] .badge`);
    expect(await badge('gone').textContent()).toBe('unhealthy');
    expect(await computed(badge('gone'), 'backgroundColor')).toBe(RED);
    expect(await badge('upstream').textContent()).toBe('healthy');
    expect(await computed(badge('upstream'), 'backgroundColor')).toBe(GREEN);
    expect(await page.locator('tr[data-probe="gone"] .details').textContent()).toMatch(/failed: refused.*hint:/s);
    expect(await page.locator('tr[data-probe="optional"]').textContent()).toContain('non-critical');
    expect(await page.locator('tr[data-probe="gone"] svg.spark circle.spark-fail').count()).toBeGreaterThanOrEqual(2);
    // Styles applied means the nonce'd <style> passed the CSP.
    expect(await computed(page.locator('th').first(), 'textTransform')).toBe('uppercase');

    await page.screenshot({ path: join(ARTIFACTS, 'status-page.png'), fullPage: true });
    expect(problems).toEqual([]);
  });

  it('fits a phone screen as cards, without horizontal scrolling', async () => {
    const ctx = await launch(true, { width: 375, height: 740 });
    const page = ctx.pages()[0] ?? (await ctx.newPage());
    const problems: string[] = [];
    page.on('console', (message) => {
      if (message.type() === 'error') problems.push(message.text());
    });
    await page.goto(`${base}/status`, { waitUntil: 'load' });
    const overflow = await page.evaluate(() => {
      const root = (globalThis as unknown as BrowserGlobals).document.documentElement;
      return root.scrollWidth - root.clientWidth;
    });
    expect(overflow).toBeLessThanOrEqual(0);
    expect(await page.locator('thead').isVisible()).toBe(false);
    expect(await computed(page.locator('tr[data-probe="gone"] .badge'), 'backgroundColor')).toBe(RED);
    await page.screenshot({ path: join(ARTIFACTS, 'status-page-phone.png'), fullPage: true });
    expect(problems).toEqual([]);
  });

  it('challenges for Basic auth without credentials (headless Chromium cannot prompt, so it gives up)', async () => {
    const ctx = await launch(false);
    const page = ctx.pages()[0] ?? (await ctx.newPage());
    const challenged = page.waitForResponse(`${base}/status`, { timeout: 10_000 }).catch(() => undefined);
    // A challenge the browser recognised as Basic and had no answer for.
    await expect(page.goto(`${base}/status`)).rejects.toThrow(/ERR_INVALID_AUTH_CREDENTIALS/);
    const response = await challenged;
    expect(response?.status()).toBe(401);
    expect(await response?.headerValue('www-authenticate')).toMatch(/Basic realm="vitals"/);
  });
});
