import { gunzipSync } from 'node:zlib';
import { afterEach, describe, expect, it } from 'vitest';
import { acceptsGzip, GzipMemo } from '../../src/http/gzip-body.js';
import { result, snapshot } from '../support/fake-state.js';
import { NOW, closeAll, harness } from './harness.js';

afterEach(closeAll);

/**
 * The status pages' JSON view (`?format=json`), which their script polls. Every
 * response here also passes the OpenAPI check (harness), so the documented
 * schemas StatusPageView and ProbePageView are what is served.
 */

const TOKEN = 'json-view-token-3c1d';
const SECRET = 'pg-secret-json-9e1';
const dbFail = result('fail', NOW - 3_000, {
  durationMs: 2_001,
  reason: 'timeout',
  message: `no answer from postgres://app:${SECRET}@db:5432 within 2s`,
  hint: 'check that postgres is up',
});
const cachePass = result('pass', NOW - 1_000, { durationMs: 3.2 });

function probes() {
  return [
    snapshot({ name: 'cache', type: 'redis', state: 'healthy', last: cachePass, lastRun: cachePass.finishedAt, lastChange: NOW - 60_000 }),
    snapshot({ name: 'db', type: 'postgres', state: 'unhealthy', last: dbFail, lastRun: dbFail.finishedAt, lastChange: NOW - 125_000, consecutiveFailures: 3 }),
  ];
}
const histories = { db: [dbFail], cache: [cachePass] };

/** The page's rows, as the HTML renders them. */
function htmlRows(html: string): string[] {
  return html.match(/<tr class="probe [\s\S]*?<\/tr>/g) ?? [];
}

describe('GET /status?format=json', () => {
  it('is the page as data: the same order, states and rows as the HTML, redacted', async () => {
    const h = await harness(probes(), { histories });
    const json = await h.app.inject({ method: 'GET', url: '/status?format=json' });
    expect(json.statusCode).toBe(200);
    expect(json.headers['content-type']).toBe('application/json; charset=utf-8');
    expect(json.headers['cache-control']).toBe('no-store');
    const view = json.json();
    expect(view.probes.map((p: { name: string }) => p.name)).toEqual(['db', 'cache']);
    expect(view.probes[0]).toMatchObject({ state: 'unhealthy', severity: 'failing', tone: 'fail', stateText: 'unhealthy', reason: 'timeout', hint: 'check that postgres is up', lastRun: NOW - 3_000 });
    expect(view.probes[0].message).toContain('postgres://app:***@db');
    expect(json.body).not.toContain(SECRET);
    expect(view.ready).toEqual({ status: 'fail' });
    expect(view.title).toBe('✗ test-service — vitals');
    expect(view.generatedAt).toBe(NOW);
    // One truth: each probe's html is exactly the row the page shows, and the parts are the page's.
    const page = (await h.app.inject({ method: 'GET', url: '/status' })).body;
    expect(view.probes.map((p: { html: string }) => p.html)).toEqual(htmlRows(page));
    expect(page).toContain(`<div id="summary">${view.parts.summary}</div>`);
    expect(page).toContain(`<footer id="footer">${view.parts.footer}</footer>`);
  });

  it('is cached like the page: one render a second, then the new state', async () => {
    const h = await harness(probes(), { histories });
    const first = (await h.app.inject({ method: 'GET', url: '/status?format=json' })).json();
    h.state.update('db', { state: 'healthy', last: cachePass, lastRun: NOW - 500, consecutiveFailures: 0 });
    const cached = (await h.app.inject({ method: 'GET', url: '/status?format=json' })).json();
    expect(cached.probes[0].name).toBe('db');
    expect(cached.generatedAt).toBe(first.generatedAt);
    h.clock.now = NOW + 1_000;
    const fresh = (await h.app.inject({ method: 'GET', url: '/status?format=json' })).json();
    expect(fresh.probes.map((p: { name: string; state: string }) => [p.name, p.state])).toEqual([
      ['cache', 'healthy'],
      ['db', 'healthy'],
    ]);
    expect(fresh.ready).toEqual({ status: 'pass' });
  });

  it('needs the same token as the page; other formats are a 400', async () => {
    const h = await harness(probes(), { histories, config: { auth: { token: TOKEN } } as never });
    expect((await h.app.inject({ method: 'GET', url: '/status?format=json' })).statusCode).toBe(401);
    const basic = `Basic ${Buffer.from(`me:${TOKEN}`).toString('base64')}`;
    expect((await h.app.inject({ method: 'GET', url: '/status?format=json', headers: { authorization: basic } })).statusCode).toBe(200);
    expect((await h.app.inject({ method: 'GET', url: '/status?format=xml', headers: { authorization: basic } })).statusCode).toBe(400);
    expect((await h.app.inject({ method: 'GET', url: '/status?format=html', headers: { authorization: basic } })).headers['content-type']).toBe('text/html; charset=utf-8');
  });

  it('is gzipped for clients that take it, compressed once per cached body', async () => {
    const h = await harness(probes(), { histories });
    const plain = await h.app.inject({ method: 'GET', url: '/status?format=json' });
    expect(plain.headers['content-encoding']).toBeUndefined();
    expect(plain.headers.vary).toBe('accept-encoding');
    const zipped = await h.app.inject({ method: 'GET', url: '/status?format=json', headers: { 'accept-encoding': 'gzip, deflate, br' } });
    expect(zipped.statusCode).toBe(200);
    expect(zipped.headers['content-encoding']).toBe('gzip');
    expect(zipped.headers['content-type']).toBe('application/json; charset=utf-8');
    expect(gunzipSync(zipped.rawPayload).toString('utf8')).toBe(plain.body);
    expect(zipped.rawPayload.length).toBeLessThan(plain.rawPayload.length / 2);
    // q=0 refuses the coding: the plain body.
    const refused = await h.app.inject({ method: 'GET', url: '/status?format=json', headers: { 'accept-encoding': 'gzip;q=0, identity' } });
    expect(refused.headers['content-encoding']).toBeUndefined();
    expect(refused.body).toBe(plain.body);
  });
});

describe('GET /status/{probe}?format=json', () => {
  it('carries the state, uptime and the page main part; an unknown probe is a JSON 404', async () => {
    const h = await harness(probes(), { histories });
    h.state.emit({ snapshot: h.state.get('db')!, result: dbFail, previousState: 'healthy' });
    const response = await h.app.inject({ method: 'GET', url: '/status/db?format=json' });
    expect(response.statusCode).toBe(200);
    const view = response.json();
    expect(view).toMatchObject({ name: 'db', state: 'unhealthy', severity: 'failing', tone: 'fail', reason: 'timeout', since: NOW - 125_000, uptime: { hour: 0, day: 0 } });
    expect(response.body).not.toContain(SECRET);
    const page = (await h.app.inject({ method: 'GET', url: '/status/db' })).body;
    expect(page).toContain(`<main id="main">\n${view.parts.main}\n</main>`);
    const missing = await h.app.inject({ method: 'GET', url: '/status/nope?format=json' });
    expect(missing.statusCode).toBe(404);
    expect(missing.json()).toMatchObject({ code: 'VITALS_ERR_PROBE_NOT_FOUND' });
    expect((await h.app.inject({ method: 'GET', url: '/status/cache?format=json' })).json().uptime).toEqual({ hour: null, day: null });
  });
});

describe('acceptsGzip and GzipMemo', () => {
  it('reads Accept-Encoding as RFC 9110 does', () => {
    expect(acceptsGzip(undefined)).toBe(false);
    expect(acceptsGzip('')).toBe(false);
    expect(acceptsGzip('identity')).toBe(false);
    expect(acceptsGzip('br, deflate')).toBe(false);
    expect(acceptsGzip('gzip')).toBe(true);
    expect(acceptsGzip('GZIP;q=0.5')).toBe(true);
    expect(acceptsGzip('*')).toBe(true);
    expect(acceptsGzip('gzip;q=0')).toBe(false);
    expect(acceptsGzip('gzip; q=0.0, identity')).toBe(false);
  });

  it('compresses a body once and a new body anew', async () => {
    const memo = new GzipMemo();
    const a = 'x'.repeat(10_000);
    const first = memo.get(a);
    expect(memo.get(a)).toBe(first);
    expect(gunzipSync(await first).toString()).toBe(a);
    const b = 'y'.repeat(10_000);
    expect(gunzipSync(await memo.get(b)).toString()).toBe(b);
  });
});
