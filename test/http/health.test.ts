import { afterEach, describe, expect, it } from 'vitest';
import type { ProbeSnapshot } from '../../src/core/state.js';
import type { ProbeState } from '../../src/core/types.js';
import { result, snapshot } from '../support/fake-state.js';
import { NOW, closeAll, harness } from './harness.js';

afterEach(closeAll);

const SECRET_MESSAGE = 'connect ECONNREFUSED 10.1.2.3:5432 postgres://app:hunter2@db.internal:5432/app (PostgreSQL 15.4)';

/** A probe that ran 1 s ago and is in `state`; failures carry a message full of things not to reveal. */
function ran(name: string, state: ProbeState, extra: Partial<ProbeSnapshot> = {}): ProbeSnapshot {
  const status = state === 'healthy' ? 'pass' : state === 'degraded' ? 'warn' : 'fail';
  return snapshot({
    name,
    state,
    lastRun: NOW - 1_000,
    last: result(status, NOW - 1_000, status === 'pass' ? {} : { message: SECRET_MESSAGE, info: { host: 'db.internal' } }),
    ...extra,
  });
}

const loop = (state: ProbeState = 'healthy') => ran('loop', state, { type: 'eventloop', groups: ['live'] });

function expectHealthHeaders(response: { headers: Record<string, unknown> }): void {
  expect(response.headers['content-type']).toMatch(/^application\/health\+json/);
  expect(response.headers['cache-control']).toBe('no-store');
}

describe('GET /health and /ready: status, body, headers', () => {
  it('all healthy → 200 {"status":"pass"} with health+json and no-store', async () => {
    const { app } = await harness([ran('db', 'healthy'), loop()]);
    for (const url of ['/health', '/ready']) {
      const response = await app.inject({ url });
      expect(response.statusCode).toBe(200);
      expectHealthHeaders(response);
      expect(response.body).toBe('{"status":"pass"}');
    }
  });

  // README, Decisions: fixed bodies need no nosniff (≈ 5 % of the request); errors, which quote input, keep it.
  it('no nosniff on the fixed 200/503 bodies; a 400 of the same route still has it', async () => {
    const { app } = await harness([ran('db', 'unhealthy'), loop()]);
    for (const url of ['/health', '/ready', '/ready?verbose', '/ready/db']) {
      const response = await app.inject({ url });
      expect([200, 503]).toContain(response.statusCode);
      expect(response.headers['x-content-type-options']).toBeUndefined();
    }
    const bad = await app.inject({ url: '/ready?exclude=<script>' });
    expect(bad.statusCode).toBe(400);
    expect(bad.headers['x-content-type-options']).toBe('nosniff');
  });

  it('a critical ready probe unhealthy → /ready 503 fail without output; /health stays 200', async () => {
    const { app } = await harness([ran('db', 'unhealthy'), loop()]);
    const ready = await app.inject({ url: '/ready' });
    expect(ready.statusCode).toBe(503);
    expectHealthHeaders(ready);
    expect(ready.json()).toEqual({ status: 'fail' });
    const health = await app.inject({ url: '/health' });
    expect(health.statusCode).toBe(200);
    expect(health.json()).toEqual({ status: 'pass' });
  });

  it('recovering counts as unhealthy for readiness', async () => {
    const { app } = await harness([ran('db', 'recovering', { last: result('pass', NOW - 1_000) })]);
    expect((await app.inject({ url: '/ready' })).statusCode).toBe(503);
  });

  it('a non-critical failing probe → 200 warn; degraded → 200 warn', async () => {
    const { app } = await harness([ran('db', 'healthy'), ran('cache', 'unhealthy', { critical: false })]);
    const response = await app.inject({ url: '/ready' });
    expect(response.statusCode).toBe(200);
    expect(response.json()).toEqual({ status: 'warn' });
    const degraded = await harness([ran('db', 'degraded')]);
    expect((await degraded.app.inject({ url: '/ready' })).json()).toEqual({ status: 'warn' });
  });

  it('503 "starting" while a ready probe has not run yet', async () => {
    const { app, state } = await harness([ran('db', 'healthy'), snapshot({ name: 'cache', critical: false })]);
    const response = await app.inject({ url: '/ready' });
    expect(response.statusCode).toBe(503);
    expect(response.json()).toEqual({ status: 'fail', output: 'starting' });
    state.update('cache', { state: 'healthy', lastRun: NOW - 10, last: result('pass', NOW - 10) });
    expect((await app.inject({ url: '/ready' })).statusCode).toBe(200);
  });

  it('503 "maintenance" and "shutting down", shutting down winning; /health unaffected', async () => {
    const h = await harness([ran('db', 'healthy'), loop()]);
    h.setLifecycle({ maintenance: { reason: 'upgrade', since: NOW - 1_000, until: NOW + 60_000 } });
    let ready = await h.app.inject({ url: '/ready' });
    expect([ready.statusCode, ready.body]).toEqual([503, '{"status":"fail","output":"maintenance"}']);
    h.setLifecycle({ shuttingDown: true });
    ready = await h.app.inject({ url: '/ready' });
    expect([ready.statusCode, ready.body]).toEqual([503, '{"status":"fail","output":"shutting down"}']);
    const health = await h.app.inject({ url: '/health' });
    expect([health.statusCode, health.body]).toEqual([200, '{"status":"pass"}']);
  });

  it('a stale probe (no run for over 3 intervals) fails readiness', async () => {
    const { app, clock } = await harness([ran('db', 'healthy', { intervalMs: 1_000 })]);
    expect((await app.inject({ url: '/ready' })).statusCode).toBe(200);
    clock.now += 3_000;
    const response = await app.inject({ url: '/ready' });
    expect([response.statusCode, response.body]).toEqual([503, '{"status":"fail"}']);
  });

  it('liveness fails only for its own probes', async () => {
    const { app } = await harness([ran('db', 'unhealthy'), loop('unhealthy')]);
    const response = await app.inject({ url: '/health' });
    expect([response.statusCode, response.body]).toEqual([503, '{"status":"fail"}']);
  });

  it('HEAD answers the same status and headers with no body', async () => {
    const { app } = await harness([ran('db', 'unhealthy'), loop()]);
    const ready = await app.inject({ method: 'HEAD', url: '/ready' });
    expect(ready.statusCode).toBe(503);
    expect(ready.body).toBe('');
    expectHealthHeaders(ready);
    const health = await app.inject({ method: 'HEAD', url: '/health' });
    expect([health.statusCode, health.body]).toEqual([200, '']);
    const one = await app.inject({ method: 'HEAD', url: '/ready/db' });
    expect([one.statusCode, one.body]).toEqual([503, '']);
    const missing = await app.inject({ method: 'HEAD', url: '/ready/nope' });
    expect([missing.statusCode, missing.body]).toEqual([404, '']);
  });

  it('no body, verbose or not, reveals hosts, versions, errors or secrets', async () => {
    const { app } = await harness([ran('db', 'unhealthy'), ran('cache', 'degraded', { critical: false }), loop('unhealthy')]);
    for (const url of ['/ready', '/health', '/ready?verbose', '/health?verbose', '/ready/db', '/ready/db?verbose', '/health/loop']) {
      const { body } = await app.inject({ url });
      for (const leak of ['hunter2', 'db.internal', '10.1.2.3', '5432', 'ECONNREFUSED', 'PostgreSQL', 'refused']) {
        expect(body, `${url} leaks ${leak}`).not.toContain(leak);
      }
    }
  });
});

describe('?verbose', () => {
  it('kube-apiserver style text for /ready, exact', async () => {
    const { app } = await harness([
      ran('db', 'healthy'),
      ran('cache', 'unhealthy', { critical: false }),
      ran('search', 'degraded'),
      loop(),
    ]);
    const response = await app.inject({ url: '/ready?verbose' });
    expect(response.statusCode).toBe(200);
    expect(response.headers['content-type']).toMatch(/^text\/plain/);
    expect(response.headers['cache-control']).toBe('no-store');
    expect(response.body).toBe('[+]db ok\n[-]cache failed: reason withheld\n[+]search warn\nready check passed\n');
  });

  it('any value or none turns it on; failures and exclusions show', async () => {
    const { app } = await harness([ran('db', 'unhealthy'), ran('cache', 'healthy'), loop()]);
    for (const url of ['/ready?verbose', '/ready?verbose=', '/ready?verbose=1', '/ready?verbose=false']) {
      const response = await app.inject({ url });
      expect(response.statusCode, url).toBe(503);
      expect(response.body, url).toBe('[-]db failed: reason withheld\n[+]cache ok\nready check failed\n');
    }
    const excluded = await app.inject({ url: '/ready?verbose&exclude=db' });
    expect(excluded.statusCode).toBe(200);
    expect(excluded.body).toBe('[+]db excluded: ok\n[+]cache ok\nready check passed\n');
  });

  it('/health says "health check"; only live probes are listed', async () => {
    const { app } = await harness([ran('db', 'unhealthy'), loop(), ran('mem', 'degraded', { groups: ['live'], critical: false })]);
    const response = await app.inject({ url: '/health?verbose' });
    expect(response.statusCode).toBe(200);
    expect(response.body).toBe('[+]loop ok\n[+]mem warn\nhealth check passed\n');
  });

  it('shows probes not yet run as starting, and maintenance or shutdown as a lifecycle line', async () => {
    const h = await harness([ran('db', 'healthy'), snapshot({ name: 'cache' })]);
    expect((await h.app.inject({ url: '/ready?verbose' })).body).toBe('[+]db ok\n[-]cache failed: starting\nready check failed\n');
    h.setLifecycle({ maintenance: { reason: 'secret reason text', since: NOW, until: NOW + 1_000 } });
    const maintenance = await h.app.inject({ url: '/ready?verbose&exclude=cache' });
    expect(maintenance.statusCode).toBe(503);
    expect(maintenance.body).toBe('[+]db ok\n[+]cache excluded: ok\n[-]lifecycle failed: maintenance\nready check failed\n');
    h.setLifecycle({ shuttingDown: true });
    expect((await h.app.inject({ url: '/ready?verbose&exclude=cache' })).body).toContain('[-]lifecycle failed: shutting down\n');
  });
});

describe('?exclude', () => {
  it('leaves the probe out of that one evaluation, repeatable or comma-separated', async () => {
    const { app } = await harness([ran('db', 'unhealthy'), ran('queue', 'unhealthy'), ran('cache', 'healthy')]);
    expect((await app.inject({ url: '/ready?exclude=db' })).statusCode).toBe(503);
    for (const url of ['/ready?exclude=db&exclude=queue', '/ready?exclude=db,queue', '/ready?exclude=db,&exclude=queue']) {
      const response = await app.inject({ url });
      expect([response.statusCode, response.body], url).toEqual([200, '{"status":"pass"}']);
    }
    // And only that one: the next request evaluates everything again.
    expect((await app.inject({ url: '/ready' })).statusCode).toBe(503);
  });

  it('a name that is not a probe of the group → 400 naming it', async () => {
    const { app } = await harness([ran('db', 'healthy'), loop()]);
    for (const [url, name] of [['/ready?exclude=nope', 'nope'], ['/ready?exclude=loop', 'loop'], ['/health?exclude=db', 'db']] as const) {
      const response = await app.inject({ url });
      expect(response.statusCode, url).toBe(400);
      expect(response.json()).toMatchObject({ statusCode: 400, code: 'VITALS_ERR_BAD_REQUEST', error: 'Bad Request' });
      expect(response.json().message).toContain(`'${name}'`);
      expect(response.headers['cache-control']).toBe('no-store');
    }
  });
});

describe('/health/{probe} and /ready/{probe}', () => {
  it("answers the probe's own status: a failing non-critical probe is 503 there", async () => {
    const { app } = await harness([ran('db', 'healthy'), ran('cache', 'unhealthy', { critical: false }), ran('search', 'degraded'), loop()]);
    const cases: Array<[string, number, string]> = [
      ['/ready/db', 200, '{"status":"pass"}'],
      ['/ready/cache', 503, '{"status":"fail"}'],
      ['/ready/search', 200, '{"status":"warn"}'],
      ['/health/loop', 200, '{"status":"pass"}'],
    ];
    for (const [url, status, body] of cases) {
      const response = await app.inject({ url });
      expect([response.statusCode, response.body], url).toEqual([status, body]);
      expectHealthHeaders(response);
    }
    expect((await app.inject({ url: '/ready' })).json()).toEqual({ status: 'warn' });
  });

  it('404 JSON VITALS_ERR_PROBE_NOT_FOUND for a probe not in that group', async () => {
    const { app } = await harness([ran('db', 'healthy'), loop()]);
    for (const url of ['/ready/nope', '/ready/loop', '/health/db', '/health/nope']) {
      const response = await app.inject({ url });
      expect(response.statusCode, url).toBe(404);
      expect(response.headers['content-type']).toMatch(/^application\/json/);
      expect(response.json()).toMatchObject({ statusCode: 404, code: 'VITALS_ERR_PROBE_NOT_FOUND', error: 'Not Found' });
    }
  });

  it('starting before its first run; maintenance and shutdown are not its business', async () => {
    const h = await harness([ran('db', 'healthy'), snapshot({ name: 'cache' })]);
    expect((await h.app.inject({ url: '/ready/cache' })).body).toBe('{"status":"fail","output":"starting"}');
    h.setLifecycle({ shuttingDown: true, maintenance: { reason: 'x', since: NOW, until: NOW + 1_000 } });
    const response = await h.app.inject({ url: '/ready/db' });
    expect([response.statusCode, response.body]).toEqual([200, '{"status":"pass"}']);
  });

  it('verbose works per probe; exclude does not exist there', async () => {
    const { app } = await harness([ran('db', 'unhealthy')]);
    expect((await app.inject({ url: '/ready/db?verbose' })).body).toBe('[-]db failed: reason withheld\nready check failed\n');
    const response = await app.inject({ url: '/ready/db?exclude=db' });
    expect(response.statusCode).toBe(400);
    expect(response.json().message).toBe("unknown query parameter 'exclude'");
  });
});

describe('query validation', () => {
  it('an unknown query parameter → 400 VITALS_ERR_BAD_REQUEST naming it', async () => {
    const { app } = await harness([ran('db', 'healthy'), loop()]);
    for (const url of ['/ready?foo=1', '/health?verbose&foo', '/ready/db?foo=bar', '/health/loop?foo']) {
      const response = await app.inject({ url });
      expect(response.statusCode, url).toBe(400);
      expect(response.json()).toEqual({
        statusCode: 400,
        code: 'VITALS_ERR_BAD_REQUEST',
        error: 'Bad Request',
        message: "unknown query parameter 'foo'",
      });
    }
  });

  it('hostile input never crashes: bad encoding, huge values, odd shapes', async () => {
    const { app } = await harness([ran('db', 'healthy'), loop()]);
    const cases = [
      '/ready?exclude=%',
      '/ready?exclude=%E0%A4%A',
      '/ready?%zz=1',
      '/ready/%zz',
      '/ready/%00',
      `/ready/${'a'.repeat(5_000)}`,
      `/ready?exclude=${'a'.repeat(50_000)}`,
      `/ready?${Array.from({ length: 200 }, (_, i) => `exclude=p${i}`).join('&')}`,
      '/ready?exclude[]=db',
      '/ready?verbose&verbose',
      '/ready?exclude=<script>alert(1)</script>',
      '/ready/..%2f..%2fetc%2fpasswd',
    ];
    for (const url of cases) {
      const response = await app.inject({ url });
      expect(response.statusCode, url).toBeGreaterThanOrEqual(400);
      expect(response.statusCode, url).toBeLessThan(500);
      expect(response.headers['content-type'], url).toMatch(/^application\/json/);
      expect(response.json().code, url).toMatch(/^VITALS_ERR_/);
      expect(response.body.length, url).toBeLessThan(1_000);
    }
    // Still serving afterwards.
    expect((await app.inject({ url: '/ready' })).statusCode).toBe(200);
  });
});
