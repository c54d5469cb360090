import { Writable } from 'node:stream';
import type { FastifyInstance } from 'fastify';
import { pino } from 'pino';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { parseConfigText } from '../../src/config/load.js';
import type { VitalsConfig } from '../../src/core/settings.js';
import { buildApp } from '../../src/http/app.js';
import { validateResponses } from '../support/openapi-responses.js';
import type { AppDeps } from '../../src/http/deps.js';
import { createMetrics, type VitalsMetrics } from '../../src/metrics/metrics.js';
import { buildProbes } from '../../src/runner/build-probes.js';
import { Lifecycle } from '../../src/runner/lifecycle.js';
import { Scheduler } from '../../src/runner/scheduler.js';
import { startHttpUpstream, type HttpUpstream } from '../support/http-upstream.js';

const TOKEN = 'admin-token-5e1b7c9d2f';
const HEADER_SECRET = 'upstream-key-93f0aa71c2';
const bearer = { authorization: `Bearer ${TOKEN}` };
const json = { ...bearer, 'content-type': 'application/json' };

interface Rig {
  app: FastifyInstance;
  lifecycle: Lifecycle;
  scheduler: Scheduler;
  metrics: VitalsMetrics;
  clock: { now: number };
  logs: () => Array<Record<string, unknown>>;
}

const rigs: Rig[] = [];
let upstream: HttpUpstream;

beforeAll(async () => {
  upstream = await startHttpUpstream();
});
afterAll(async () => {
  await upstream.close();
});
afterEach(async () => {
  for (const rig of rigs.splice(0)) {
    rig.metrics.close();
    await rig.app.close();
    await rig.scheduler.close(500);
  }
});

function configYaml(token: string | undefined): string {
  return [
    'service: { id: admin-test, description: "admin routes under test" }',
    ...(token === undefined ? [] : [`auth: { token: "${token}" }`]),
    'probes:',
    '  - name: api',
    '    type: http',
    `    url: "${upstream.origin}/slow?ms=600"`,
    `    headers: { x-api-key: "${HEADER_SECRET}" }`,
    '    interval: 30s',
    '    timeout: 2s',
    '  - name: broken',
    '    type: http',
    `    url: "${upstream.origin}/error"`,
    '    interval: 30s',
    '    timeout: 2s',
    '',
  ].join('\n');
}

/**
 * buildApp over the real runner pieces: a real Scheduler (not started, so
 * only the admin route runs probes) with real http probes against a local
 * upstream, a real Lifecycle and real metrics, on a clock the test moves.
 */
async function rig(options: { token?: string | undefined; deps?: Partial<AppDeps> } = { token: TOKEN }): Promise<Rig> {
  const config: VitalsConfig = parseConfigText(configYaml(options.token), 'admin-test.yaml', {});
  const clock = { now: Date.parse('2025-06-15T12:00:00.000Z') };
  const lines: string[] = [];
  const logger = pino(
    { level: 'info' },
    new Writable({
      write(chunk: Buffer, _encoding, done) {
        lines.push(...chunk.toString().split('\n').filter((l) => l !== ''));
        done();
      },
    }),
  );
  const lifecycle = new Lifecycle(() => clock.now);
  const scheduler = new Scheduler({ probes: buildProbes(config, logger), logger, secrets: config.secrets.all });
  const metrics = createMetrics({ state: scheduler, config, lifecycle: () => lifecycle.state(), version: '1.0.0', now: () => clock.now });
  const app = buildApp({
    config,
    state: scheduler,
    lifecycle,
    metrics,
    logger,
    version: '1.0.0',
    now: () => clock.now,
    runProbe: (name) => scheduler.runNow(name),
    maintenance: { start: (reason, ttlMs) => lifecycle.startMaintenance(reason, ttlMs), end: () => lifecycle.endMaintenance() },
    ...options.deps,
  });
  await app.ready();
  validateResponses(app);
  const r: Rig = { app, lifecycle, scheduler, metrics, clock, logs: () => lines.map((l) => JSON.parse(l) as Record<string, unknown>) };
  rigs.push(r);
  return r;
}

async function startMaintenance(app: FastifyInstance, body: unknown, headers: Record<string, string> = json) {
  return app.inject({ method: 'POST', url: '/admin/maintenance', headers, payload: typeof body === 'string' ? body : JSON.stringify(body) });
}

describe('admin API without a configured token', () => {
  it('does not exist: 404 VITALS_ERR_NOT_FOUND on every admin route, with or without a header', async () => {
    const { app } = await rig({ token: undefined });
    for (const [method, url] of [
      ['POST', '/admin/maintenance'],
      ['DELETE', '/admin/maintenance'],
      ['POST', '/admin/probes/api/run'],
    ] as const) {
      const response = await app.inject(
        method === 'POST' ? { method, url, headers: json, payload: '{"reason":"x","ttl":"1m"}' } : { method, url, headers: bearer },
      );
      expect(response.statusCode, `${method} ${url}`).toBe(404);
      expect(response.json()).toMatchObject({ statusCode: 404, code: 'VITALS_ERR_NOT_FOUND' });
    }
  });
});

describe('admin API authentication', () => {
  it('answers 401 with a challenge when the token is missing or wrong, and accepts Bearer or Basic', async () => {
    const { app } = await rig();
    const missing = await startMaintenance(app, { reason: 'x', ttl: '1m' }, { 'content-type': 'application/json' });
    expect(missing.statusCode).toBe(401);
    expect(missing.headers['www-authenticate']).toMatch(/^Bearer realm="vitals"/);
    expect(missing.json()).toMatchObject({ code: 'VITALS_ERR_UNAUTHORIZED' });

    const wrong = await startMaintenance(app, { reason: 'x', ttl: '1m' }, { authorization: 'Bearer nope', 'content-type': 'application/json' });
    expect(wrong.statusCode).toBe(401);
    const runWrong = await app.inject({ method: 'POST', url: '/admin/probes/api/run', headers: { authorization: 'Bearer nope' } });
    expect(runWrong.statusCode).toBe(401);

    const basic = await app.inject({
      method: 'DELETE',
      url: '/admin/maintenance',
      headers: { authorization: `Basic ${Buffer.from(`ops:${TOKEN}`).toString('base64')}` },
    });
    expect(basic.statusCode).toBe(200);
  });
});

describe('maintenance', () => {
  it('turns readiness 503 "maintenance" (liveness untouched), shows in diagnostics and metrics, and logs on/off', async () => {
    const r = await rig();
    // The first round, so readiness would otherwise pass (api is healthy; broken is critical → run only api).
    await r.app.inject({ method: 'POST', url: '/admin/probes/api/run', headers: bearer });
    const before = await r.app.inject({ method: 'GET', url: '/ready?exclude=broken' });
    expect(before.statusCode).toBe(200);

    const on = await startMaintenance(r.app, { reason: 'migrating <db> "v42"', ttl: '30m' });
    expect(on.statusCode).toBe(200);
    expect(on.headers['content-type']).toMatch(/^application\/json/);
    expect(on.json()).toEqual({
      maintenance: { reason: 'migrating <db> "v42"', since: '2025-06-15T12:00:00.000Z', until: '2025-06-15T12:30:00.000Z' },
    });

    const ready = await r.app.inject({ method: 'GET', url: '/ready?exclude=broken' });
    expect(ready.statusCode).toBe(503);
    expect(ready.json()).toEqual({ status: 'fail', output: 'maintenance' });
    expect((await r.app.inject({ method: 'GET', url: '/health' })).statusCode).toBe(200);

    const diagnostics = (await r.app.inject({ method: 'GET', url: '/diagnostics', headers: bearer })).json();
    expect(diagnostics.vitals.maintenance).toEqual({
      reason: 'migrating <db> "v42"',
      since: '2025-06-15T12:00:00.000Z',
      until: '2025-06-15T12:30:00.000Z',
    });
    expect(await r.metrics.render()).toMatch(/^vitals_maintenance 1$/m);

    const off = await r.app.inject({ method: 'DELETE', url: '/admin/maintenance', headers: bearer });
    expect(off.statusCode).toBe(200);
    expect(off.json()).toEqual({ maintenance: null, wasOn: true });
    expect((await r.app.inject({ method: 'GET', url: '/ready?exclude=broken' })).statusCode).toBe(200);
    expect(await r.metrics.render()).toMatch(/^vitals_maintenance 0$/m);
    const again = await r.app.inject({ method: 'DELETE', url: '/admin/maintenance', headers: bearer });
    expect(again.json()).toEqual({ maintenance: null, wasOn: false });

    const logged = r.logs().filter((l) => l.maintenance !== undefined);
    expect(logged.map((l) => [l.level, l.maintenance])).toEqual([
      [30, 'on'],
      [30, 'off'],
      [30, 'off'],
    ]);
    expect(logged[0]).toMatchObject({ reason: 'migrating <db> "v42"', ttl: '30m', until: '2025-06-15T12:30:00.000Z' });
    expect(logged[1]).toMatchObject({ wasOn: true, cause: 'request' });
  });

  it('ends by itself when the TTL passes', async () => {
    const r = await rig();
    await r.app.inject({ method: 'POST', url: '/admin/probes/api/run', headers: bearer });
    expect((await startMaintenance(r.app, { reason: 'short', ttl: '90s' })).statusCode).toBe(200);
    r.clock.now += 89_000;
    expect((await r.app.inject({ method: 'GET', url: '/ready?exclude=broken' })).json()).toEqual({ status: 'fail', output: 'maintenance' });
    r.clock.now += 1_000;
    const ready = await r.app.inject({ method: 'GET', url: '/ready?exclude=broken' });
    expect(ready.statusCode).toBe(200);
    expect(ready.json()).toEqual({ status: 'pass' });
    expect((await r.app.inject({ method: 'GET', url: '/diagnostics', headers: bearer })).json().vitals.maintenance).toBeNull();
    expect(await r.metrics.render()).toMatch(/^vitals_maintenance 0$/m);
    expect((await r.app.inject({ method: 'DELETE', url: '/admin/maintenance', headers: bearer })).json()).toEqual({ maintenance: null, wasOn: false });
  });

  it('starting again replaces reason and TTL', async () => {
    const r = await rig();
    await startMaintenance(r.app, { reason: 'first', ttl: '1h' });
    r.clock.now += 60_000;
    const second = await startMaintenance(r.app, { reason: 'second', ttl: '5m' });
    expect(second.json().maintenance).toEqual({ reason: 'second', since: '2025-06-15T12:01:00.000Z', until: '2025-06-15T12:06:00.000Z' });
    expect(r.lifecycle.state().maintenance?.reason).toBe('second');
  });

  describe('request validation (400 naming the field)', () => {
    const cases: Array<[string, unknown, RegExp]> = [
      ['an invalid duration', { reason: 'x', ttl: 'soon' }, /^body\.ttl: invalid duration "soon"/],
      ['a zero TTL', { reason: 'x', ttl: '0s' }, /^body\.ttl: invalid duration "0s"/],
      ['a TTL over 7 days', { reason: 'x', ttl: '8d' }, /^body\.ttl: invalid duration "8d" .*at most 7d/],
      ['a TTL with a space', { reason: 'x', ttl: '30 m' }, /^body\.ttl: invalid duration "30 m"/],
      ['a missing TTL', { reason: 'x' }, /^body\.ttl: required$/],
      ['a missing reason', { ttl: '1m' }, /^body\.reason: required$/],
      ['an empty reason', { reason: '', ttl: '1m' }, /^body\.reason: /],
      ['a blank reason', { reason: '   ', ttl: '1m' }, /^body\.reason: must be one line of text, not blank/],
      ['a reason over two lines', { reason: 'one\ntwo', ttl: '1m' }, /^body\.reason: must be one line/],
      ['a reason over 200 characters', { reason: 'r'.repeat(201), ttl: '1m' }, /^body\.reason: too long \(201 characters; at most 200\)$/],
      ['a number as reason (no coercion)', { reason: 42, ttl: '1m' }, /^body\.reason: must be a string, got number$/],
      ['a number as TTL', { reason: 'x', ttl: 60 }, /^body\.ttl: must be a string, got number$/],
      ['an unknown key', { reason: 'x', ttl: '1m', force: true }, /^body\.force: unknown key \(allowed: reason, ttl\)$/],
      ['an array', [{ reason: 'x', ttl: '1m' }], /^body: must be a JSON object with "reason" and "ttl"$/],
    ];
    it.each(cases)('rejects %s', async (_what, body, message) => {
      const r = await rig();
      const response = await startMaintenance(r.app, body);
      expect(response.statusCode).toBe(400);
      expect(response.headers['content-type']).toMatch(/^application\/json/);
      expect(response.json()).toMatchObject({ statusCode: 400, code: 'VITALS_ERR_BAD_REQUEST', error: 'Bad Request', message: expect.stringMatching(message) });
      expect(r.lifecycle.state().maintenance).toBeUndefined();
    });

    it('accepts exactly 200 characters and exactly 7d', async () => {
      const r = await rig();
      const response = await startMaintenance(r.app, { reason: 'r'.repeat(200), ttl: '7d' });
      expect(response.statusCode).toBe(200);
      expect(response.json().maintenance.until).toBe('2025-06-22T12:00:00.000Z');
    });

    it('answers 415 JSON for a body that is not application/json, and 400 for malformed JSON', async () => {
      const r = await rig();
      const text = await startMaintenance(r.app, 'reason=x&ttl=1m', { ...bearer, 'content-type': 'text/plain' });
      expect(text.statusCode).toBe(415);
      expect(text.json()).toMatchObject({ statusCode: 415, code: 'VITALS_ERR_UNSUPPORTED_MEDIA_TYPE', message: expect.stringContaining('application/json') });
      const form = await startMaintenance(r.app, 'reason=x&ttl=1m', { ...bearer, 'content-type': 'application/x-www-form-urlencoded' });
      expect(form.statusCode).toBe(415);
      expect(form.json()).toMatchObject({ code: 'VITALS_ERR_UNSUPPORTED_MEDIA_TYPE' });
      const none = await r.app.inject({ method: 'POST', url: '/admin/maintenance', headers: bearer });
      expect(none.statusCode).toBe(415);
      const broken = await startMaintenance(r.app, '{"reason": "x", "ttl": ');
      expect(broken.statusCode).toBe(400);
      expect(broken.json()).toMatchObject({ code: 'VITALS_ERR_BAD_REQUEST' });
      expect(r.lifecycle.state().maintenance).toBeUndefined();
    });

    it('rejects query parameters and other methods', async () => {
      const r = await rig();
      const query = await r.app.inject({ method: 'POST', url: '/admin/maintenance?force=1', headers: json, payload: '{"reason":"x","ttl":"1m"}' });
      expect(query.statusCode).toBe(400);
      expect(query.json().message).toMatch(/unknown query parameter 'force'/);
      const get = await r.app.inject({ method: 'GET', url: '/admin/maintenance', headers: bearer });
      expect(get.statusCode).toBe(405);
      expect(get.headers.allow).toBe('POST, DELETE');
    });
  });
});

describe('POST /admin/probes/{name}/run', () => {
  it('runs the probe now and returns the redacted result; state and history follow', async () => {
    const r = await rig();
    const response = await r.app.inject({ method: 'POST', url: '/admin/probes/broken/run', headers: bearer });
    expect(response.statusCode).toBe(200);
    const body = response.json();
    expect(body).toMatchObject({
      name: 'broken',
      status: 'fail',
      reason: 'unavailable',
      message: expect.stringContaining('500'),
      hint: expect.any(String),
      durationMs: expect.any(Number),
      startedAt: expect.stringMatching(/^\d{4}-\d\d-\d\dT/),
      finishedAt: expect.stringMatching(/^\d{4}-\d\d-\d\dT/),
      observations: expect.any(Array),
    });
    expect(body.durationMs).toBeLessThan(2_000);
    expect(r.scheduler.get('broken')?.lastRun).toBeDefined();
    expect(r.scheduler.history('broken')).toHaveLength(1);
    expect(r.logs().some((l) => l.msg === 'probe run on request' && l.probe === 'broken' && l.level === 30)).toBe(true);

    const ok = (await r.app.inject({ method: 'POST', url: '/admin/probes/api/run', headers: bearer })).json();
    expect(ok).toMatchObject({ name: 'api', status: 'pass', state: 'healthy' });
    expect(ok.observations).toEqual(expect.arrayContaining([expect.objectContaining({ measurement: 'responseTime', unit: 'ms' })]));
    const everything = JSON.stringify([body, ok]) + r.logs().map((l) => JSON.stringify(l)).join('\n');
    expect(everything).not.toContain(HEADER_SECRET);
    expect(everything).not.toContain(TOKEN);
  });

  it('joins a run already in flight: two concurrent requests, one call to the dependency, one result', async () => {
    const r = await rig();
    const before = upstream.requests.filter((q) => q.path === '/slow').length;
    const started = Date.now();
    const [a, b] = await Promise.all([
      r.app.inject({ method: 'POST', url: '/admin/probes/api/run', headers: bearer }),
      // Start the second one while the first is waiting on the 600 ms upstream.
      new Promise((resolve) => setTimeout(resolve, 150)).then(() => r.app.inject({ method: 'POST', url: '/admin/probes/api/run', headers: bearer })),
    ]);
    const elapsed = Date.now() - started;
    expect(a.statusCode).toBe(200);
    expect(b.statusCode).toBe(200);
    expect(a.json()).toEqual(b.json());
    expect(upstream.requests.filter((q) => q.path === '/slow').length - before).toBe(1);
    expect(r.scheduler.history('api')).toHaveLength(1);
    // Joined, not queued: both done in about one run (600 ms), not two.
    expect(elapsed).toBeLessThan(1_150);
  });

  it('answers 404 for an unknown probe', async () => {
    const r = await rig();
    const response = await r.app.inject({ method: 'POST', url: '/admin/probes/nope/run', headers: bearer });
    expect(response.statusCode).toBe(404);
    expect(response.json()).toMatchObject({ code: 'VITALS_ERR_PROBE_NOT_FOUND', message: "no probe 'nope'" });
  });

  it('is rate limited per client and probe: 429 with Retry-After; another probe has its own budget', async () => {
    const r = await rig({ token: TOKEN, deps: { adminRunRateLimit: { max: 2, timeWindowMs: 60_000 } } });
    const run = (name: string) => r.app.inject({ method: 'POST', url: `/admin/probes/${name}/run`, headers: bearer });
    expect((await run('broken')).statusCode).toBe(200);
    expect((await run('broken')).statusCode).toBe(200);
    const limited = await run('broken');
    expect(limited.statusCode).toBe(429);
    expect(Number(limited.headers['retry-after'])).toBeGreaterThan(0);
    expect(limited.json()).toMatchObject({ statusCode: 429, code: 'VITALS_ERR_RATE_LIMITED' });
    expect(r.scheduler.history('broken')).toHaveLength(2);
    expect((await run('api')).statusCode).toBe(200);
    // Unknown names share one budget, so rotating names buys no extra attempts.
    expect((await run('x1')).statusCode).toBe(404);
    expect((await run('x2')).statusCode).toBe(404);
    expect((await run('x3')).statusCode).toBe(429);
  });

  it('answers 503 once the probes are stopped for shutdown', async () => {
    const r = await rig();
    await r.scheduler.stop();
    const response = await r.app.inject({ method: 'POST', url: '/admin/probes/api/run', headers: bearer });
    expect(response.statusCode).toBe(503);
    expect(response.json()).toMatchObject({ statusCode: 503, message: expect.stringMatching(/stopped/) });
    r.lifecycle.beginShutdown();
    expect((await r.app.inject({ method: 'POST', url: '/admin/probes/api/run', headers: bearer })).statusCode).toBe(503);
  });
});
