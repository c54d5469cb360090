import { afterEach, describe, expect, it } from 'vitest';
import { ago, escapeHtml, sparkline } from '../../src/http/status-page-template.js';
import { result, snapshot } from '../support/fake-state.js';
import { NOW, closeAll, harness } from './harness.js';

afterEach(closeAll);

const TOKEN = 'status-token-4b9e2a7c1f';
const DB_PASSWORD = 'pg-secret-51c0de';
const HOSTILE = `<script>alert("x")</script> it's "quoted" & <b>bold</b>`;

const dbFail = result('fail', NOW - 3_000, {
  durationMs: 2_001,
  reason: 'timeout',
  message: `no answer from postgres://app:${DB_PASSWORD}@db:5432 within 2s ${HOSTILE}`,
  hint: `check the database <host> & "port"`,
});
const cachePass = result('pass', NOW - 1_000, { durationMs: 3.2 });

function probes() {
  return [
    snapshot({
      name: 'db',
      type: 'postgres',
      componentType: 'datastore',
      state: 'unhealthy',
      last: dbFail,
      lastRun: dbFail.finishedAt,
      lastChange: NOW - 125_000,
      consecutiveFailures: 3,
    }),
    snapshot({
      name: 'cache',
      type: 'redis',
      componentType: 'datastore',
      critical: false,
      state: 'healthy',
      last: cachePass,
      lastRun: cachePass.finishedAt,
      lastChange: NOW - 3 * 3_600_000,
    }),
    snapshot({ name: 'later', type: 'tcp' }),
  ];
}

const histories = {
  db: [result('pass', NOW - 40_000, { durationMs: 5 }), result('fail', NOW - 30_000, { durationMs: 2_000 }), dbFail],
  cache: [result('pass', NOW - 11_000, { durationMs: 2 }), cachePass],
};

const page = (headers: Record<string, string> = {}) => ({ method: 'GET' as const, url: '/status', headers });
const basic = (user: string, password: string) => ({ authorization: `Basic ${Buffer.from(`${user}:${password}`).toString('base64')}` });

describe('GET /status', () => {
  it('renders a complete HTML page with overall readiness and one row per probe', async () => {
    const h = await harness(probes(), { histories, config: { service: { id: 'aetherius', description: 'Agent platform' } } });
    const response = await h.app.inject(page());
    expect(response.statusCode).toBe(200);
    expect(response.headers['content-type']).toBe('text/html; charset=utf-8');
    expect(response.headers['cache-control']).toBe('no-store');
    const html = response.body;
    expect(html).toMatch(/^<!doctype html>/);
    expect(html).toContain('<meta name="viewport" content="width=device-width, initial-scale=1">');
    // With scripts off the page still reloads itself; with them on, the meta is inert text and the script updates in place.
    expect(html).toContain('<noscript><meta http-equiv="refresh" content="10"></noscript>');
    expect(html).toContain('<h1>aetherius</h1>');
    expect(html).toContain('Agent platform');
    // db is critical and unhealthy; `later` has not run yet: starting outranks neither, readiness fails.
    expect(html).toMatch(/<span class="pill fail" id="ready" data-status="fail">not ready: starting<\/span>/);
    expect(html).toMatch(/id="live" data-status="pass">live</);
    const rows = html.match(/<tr class="probe [^"]*" data-probe="([^"]+)"/g) ?? [];
    expect(rows).toHaveLength(3);
    // Worst first (core/worst-first): failing db, then never-ran later, then healthy cache — not config order.
    expect(rows.map((r) => /data-probe="([^"]+)"/.exec(r)![1])).toEqual(['db', 'later', 'cache']);
    expect(html).toMatch(/<tr class="probe row-fail" data-probe="db" data-state="unhealthy">/);
    expect(html).toMatch(/<tr class="probe row-pass" data-probe="cache" data-state="healthy">/);
    expect(html).toMatch(/<tr class="probe row-unknown" data-probe="later" data-state="unknown">/);
    expect(html).toContain('2001 ms');
    expect(html).toContain('3.2 ms');
    expect(html).toContain('2m ago');
    expect(html).toContain('3h ago');
    expect(html).toContain('non-critical');
    expect(html).toContain('failed: timeout');
    expect(html).toContain('hint: check the database &lt;host&gt; &amp; &quot;port&quot;');
    // Sparklines: db with two failures marked, cache a line with no marks, later none yet.
    const dbRow = html.slice(html.indexOf('data-probe="db"'), html.indexOf('data-probe="cache"'));
    expect(dbRow.match(/<circle class="spark-fail"/g)).toHaveLength(2);
    expect(dbRow).toContain('last 3 runs: median 2000 ms, max 2001 ms, 2 failed');
    expect(html).toContain('no runs yet');
  });

  it('escapes everything from config and from dependency error text', async () => {
    const hostileProbe = snapshot({ name: 'db', type: 'postgres', state: 'unhealthy', last: dbFail, lastRun: dbFail.finishedAt });
    const h = await harness([hostileProbe], {
      histories: { db: [dbFail] },
      config: { service: { id: `svc"><script>alert(1)</script>`, description: HOSTILE } },
      lifecycle: { maintenance: { reason: HOSTILE, since: NOW - 1_000, until: NOW + 60_000 } },
    });
    const response = await h.app.inject(page());
    const html = response.body;
    // The only <script is the one we wrote (the live updater), carrying the response's nonce.
    const nonce = /script-src 'nonce-([^']+)'/.exec(String(response.headers['content-security-policy']))?.[1];
    expect(html.match(/<script\b[^>]*>/gi)).toEqual([`<script nonce="${nonce}" data-refresh="10">`]);
    expect(html).not.toContain('<b>bold</b>');
    expect(html).toContain('&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt; it&#39;s &quot;quoted&quot; &amp; &lt;b&gt;bold&lt;/b&gt;');
    expect(html).toContain('<h1>svc&quot;&gt;&lt;script&gt;alert(1)&lt;/script&gt;</h1>');
    expect(html).not.toContain(DB_PASSWORD);
    // Every attribute value is quoted and free of raw quotes from input.
    for (const attribute of html.match(/ [a-z-]+="[^"]*"/g) ?? []) expect(attribute).not.toMatch(/[<>]/);
  });

  it('shows the maintenance banner with reason and until, and the shutdown banner', async () => {
    const h = await harness([snapshot({ name: 'db', state: 'healthy', last: cachePass, lastRun: cachePass.finishedAt })], {
      lifecycle: { maintenance: { reason: 'schema migration 42', since: NOW - 60_000, until: NOW + 30 * 60_000 } },
    });
    const html = (await h.app.inject(page())).body;
    expect(html).toContain('<strong>Maintenance:</strong> schema migration 42');
    expect(html).toContain(`until <time datetime="${new Date(NOW + 30 * 60_000).toISOString()}">`);
    expect(html).toContain('(in 30m)');
    expect(html).toMatch(/id="ready" data-status="fail">not ready: maintenance</);
    h.setLifecycle({ shuttingDown: true });
    const draining = (await h.app.inject(page())).body;
    expect(draining).toContain('Shutting down.');
    expect(draining).toMatch(/not ready: shutting down/);
    h.clock.now = NOW + 31 * 60_000;
    h.setLifecycle({ shuttingDown: false });
    expect((await h.app.inject(page())).body).not.toContain('Maintenance:');
  });

  it('marks a probe stale after three intervals without a run, in the failing colour', async () => {
    const h = await harness([snapshot({ name: 'db', state: 'healthy', last: cachePass, lastRun: NOW - 31_000, intervalMs: 10_000 })]);
    const html = (await h.app.inject(page())).body;
    expect(html).toMatch(/<tr class="probe row-fail" data-probe="db"/);
    expect(html).toContain('stale (healthy)');
  });

  it('shows a healthy probe whose last run failed as failing 1 of 2 in amber, never a green badge beside the failure', async () => {
    const h = await harness([
      snapshot({ name: 'db', state: 'healthy', failureThreshold: 2, consecutiveFailures: 1, last: dbFail, lastRun: dbFail.finishedAt }),
    ]);
    const html = (await h.app.inject(page())).body;
    expect(html).toMatch(/<tr class="probe row-warn" data-probe="db" data-state="healthy">/);
    expect(html).toContain('<span class="badge warn">failing 1 of 2</span>');
    expect(html).toContain('failed: timeout');
    expect(html).not.toContain('badge pass');
  });

  it('sends a CSP that allows only its own nonce’d style block, and no inline style attributes', async () => {
    const h = await harness(probes(), { histories });
    const response = await h.app.inject(page());
    const csp = String(response.headers['content-security-policy']);
    const nonce = /style-src 'nonce-([^']+)'/.exec(csp)?.[1];
    expect(nonce).toBeDefined();
    expect(csp).toContain("default-src 'none'");
    expect(csp).toContain("frame-ancestors 'none'");
    expect(response.body).toContain(`<style nonce="${nonce}">`);
    expect(response.body).toContain(`<script nonce="${nonce}" data-refresh="10">`);
    expect(csp).toContain(`script-src 'nonce-${nonce}'`);
    // The script may fetch from this service only: no request from the page leaves it.
    expect(csp).toContain("connect-src 'self'");
    expect(response.body).not.toMatch(/ style="/);
    // The second page is the cached render (same second) but still carries its own nonce.
    const second = await h.app.inject(page());
    expect(second.headers['content-security-policy']).not.toBe(csp);
    const secondNonce = /style-src 'nonce-([^']+)'/.exec(String(second.headers['content-security-policy']))?.[1];
    expect(second.body).toContain(`<style nonce="${secondNonce}">`);
    expect(second.body).toContain(`<script nonce="${secondNonce}" data-refresh="10">`);
    expect(second.body).not.toContain(nonce);
  });

  describe('auth when a token is configured', () => {
    it('answers 401 with a Basic challenge (so browsers prompt) without the token', async () => {
      const h = await harness(probes(), { config: { auth: { token: TOKEN, protectMetrics: false } } });
      const response = await h.app.inject(page());
      expect(response.statusCode).toBe(401);
      const challenges = ([] as string[]).concat(response.headers['www-authenticate'] ?? []);
      expect(challenges.some((c) => /^Basic realm="vitals"/.test(c))).toBe(true);
      expect(response.json()).toMatchObject({ code: 'VITALS_ERR_UNAUTHORIZED' });
      expect(response.body).not.toContain('db');
      expect((await h.app.inject(page(basic('anyone', 'wrong')))).statusCode).toBe(401);
    });

    it('accepts Basic with any user name and the token as password, or Bearer', async () => {
      const h = await harness(probes(), { config: { auth: { token: TOKEN, protectMetrics: false } } });
      expect((await h.app.inject(page(basic('alice', TOKEN)))).statusCode).toBe(200);
      expect((await h.app.inject(page(basic('', TOKEN)))).statusCode).toBe(200);
      const bearer = await h.app.inject(page({ authorization: `Bearer ${TOKEN}` }));
      expect(bearer.statusCode).toBe(200);
      expect(bearer.body).not.toContain(TOKEN);
    });
  });

  it('rejects unknown query parameters and other methods', async () => {
    const h = await harness(probes());
    expect((await h.app.inject({ method: 'GET', url: '/status?x=1' })).statusCode).toBe(400);
    const post = await h.app.inject({ method: 'POST', url: '/status' });
    expect(post.statusCode).toBe(405);
  });
});

describe('status page template pieces', () => {
  it('escapes the five HTML metacharacters', () => {
    expect(escapeHtml(`<a href="x" title='y'>&</a>`)).toBe('&lt;a href=&quot;x&quot; title=&#39;y&#39;&gt;&amp;&lt;/a&gt;');
  });

  it('says how long ago coarsely', () => {
    expect(ago(0)).toBe('0s');
    expect(ago(59_999)).toBe('59s');
    expect(ago(125_000)).toBe('2m');
    expect(ago(3 * 3_600_000 + 10 * 60_000)).toBe('3h 10m');
    expect(ago(50 * 3_600_000)).toBe('2d 2h');
  });

  it('draws a sparkline scaled to the slowest run, failures as red dots', () => {
    const svg = sparkline([
      { durationMs: 10, status: 'pass' },
      { durationMs: 20, status: 'warn' },
      { durationMs: 40, status: 'fail' },
    ]);
    expect(svg).toMatch(/^<svg class="spark" width="120" height="28"/);
    expect(svg).toContain('<polyline');
    expect(svg).toContain('<circle class="spark-warn"');
    expect(svg).toContain('<circle class="spark-fail" cx="118.0" cy="3.0"');
    expect(sparkline([{ durationMs: 0, status: 'pass' }])).toContain('<circle class="spark-pass"');
  });
});
