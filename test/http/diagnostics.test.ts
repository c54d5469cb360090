import { probeDefinitions } from '../../probes/index.js';
import { afterEach, describe, expect, it } from 'vitest';
import type { ProbeResult } from '../../src/core/types.js';
import { result, snapshot } from '../support/fake-state.js';
import { NOW, closeAll, harness } from './harness.js';

afterEach(closeAll);

const TOKEN = 'vitals-token-8f3a9c2e1d';
const DB_PASSWORD = 'pg-pass-77aa1c';
const API_KEY = 'sk-live-abcdef0123456789';
const bearer = { authorization: `Bearer ${TOKEN}` };
const basic = (user: string, password: string) => ({
  authorization: `Basic ${Buffer.from(`${user}:${password}`).toString('base64')}`,
});

const dbPass = result('pass', NOW - 1_000, {
  durationMs: 8,
  observations: [
    { measurement: 'responseTime', value: 8, unit: 'ms', status: 'pass' },
    { measurement: 'connections', value: 91, unit: 'count', status: 'pass' },
    { measurement: 'connectionsUtilization', value: 0.91, unit: 'ratio', status: 'warn', output: 'connections at 91% of max_connections' },
  ],
  info: { serverVersion: '15.4' },
});
const cacheFail = result('fail', NOW - 2_000, {
  reason: 'auth',
  message: `WRONGPASS for redis://default:${DB_PASSWORD}@cache:6379 with token ${TOKEN}`,
  hint: 'check the password in the URL against requirepass',
});

function probes() {
  return [
    snapshot({
      name: 'db',
      type: 'postgres',
      componentType: 'datastore',
      state: 'degraded',
      last: dbPass,
      lastRun: dbPass.finishedAt,
      lastSuccess: dbPass.finishedAt,
      lastChange: NOW - 60_000,
      consecutiveSuccesses: 4,
      transitions: 2,
    }),
    snapshot({
      name: 'cache',
      type: 'redis',
      componentType: 'datastore',
      critical: false,
      state: 'unhealthy',
      last: cacheFail,
      lastRun: cacheFail.finishedAt,
      consecutiveFailures: 3,
    }),
    snapshot({ name: 'loop', type: 'eventloop', componentType: 'system', groups: ['live'] }),
  ];
}

const history: Record<string, ProbeResult[]> = {
  db: Array.from({ length: 60 }, (_, i) => result(i % 7 === 0 ? 'fail' : 'pass', NOW - (60 - i) * 10_000, { durationMs: i })),
  cache: [cacheFail],
};

async function withToken(extra: Parameters<typeof harness>[1] = {}) {
  return harness(probes(), {
    histories: history,
    ...extra,
    config: {
      auth: { token: TOKEN, protectMetrics: false },
      // As config load gathers them: the token, and API_KEY as the value of a secret-named ${VAR}.
      secrets: { all: [TOKEN, API_KEY], declared: [TOKEN, API_KEY] },
      ...extra.config,
    },
    deps: {
      // Generous, so only the rate-limit test meets the limiter.
      diagnosticsRateLimit: { max: 1_000, timeWindowMs: 1_000 },
      ...extra.deps,
    },
  });
}

describe('GET /diagnostics: authorisation', () => {
  it('401 without a token, with a wrong one, or a wrong scheme; WWW-Authenticate names Bearer', async () => {
    const { app } = await withToken();
    for (const headers of [{}, { authorization: 'Bearer wrong' }, { authorization: `Bearer ${TOKEN}x` }, { authorization: TOKEN }, { authorization: `Token ${TOKEN}` }, basic('ops', 'nope')]) {
      const response = await app.inject({ url: '/diagnostics', headers });
      expect(response.statusCode, JSON.stringify(headers)).toBe(401);
      expect(response.headers['www-authenticate']).toBe('Bearer realm="vitals"');
      expect(response.json()).toMatchObject({ statusCode: 401, code: 'VITALS_ERR_UNAUTHORIZED', error: 'Unauthorized' });
      expect(response.body).not.toContain(TOKEN);
    }
  });

  it('200 with the bearer token, or Basic with any user and the token as password', async () => {
    const { app } = await withToken();
    for (const headers of [bearer, { authorization: `bearer ${TOKEN}` }, basic('ops', TOKEN), basic('', TOKEN)]) {
      const response = await app.inject({ url: '/diagnostics', headers });
      expect(response.statusCode, JSON.stringify(headers)).toBe(200);
    }
  });

  it('open when no token is configured', async () => {
    const { app } = await harness(probes());
    expect((await app.inject({ url: '/diagnostics' })).statusCode).toBe(200);
  });
});

describe('GET /diagnostics: body', () => {
  it('pairs every observedValue with an observedUnit (draft §4.4): a reading without a unit shows no value', async () => {
    const { app } = await harness([
      snapshot({
        name: 'queue',
        state: 'healthy',
        lastRun: NOW - 1_000,
        last: result('pass', NOW - 1_000, { observations: [{ measurement: 'depth', value: 3 }, { measurement: 'lag', value: 4, unit: 'ms' }] }),
      }),
    ]);
    const response = await app.inject({ url: '/diagnostics' });
    expect(response.statusCode).toBe(200);
    const body = response.json();
    expect(body.checks['queue:depth'][0]).not.toHaveProperty('observedValue');
    expect(body.checks['queue:depth'][0]).not.toHaveProperty('observedUnit');
    expect(body.checks['queue:lag'][0]).toMatchObject({ observedValue: 4, observedUnit: 'ms' });
    expect(body.checks['queue:status'][0]).toMatchObject({ observedValue: 'healthy', observedUnit: 'state' });
    for (const entries of Object.values(body.checks) as Array<Array<Record<string, unknown>>>) {
      for (const entry of entries) expect('observedValue' in entry).toBe('observedUnit' in entry);
    }
  });

  it('a healthy probe whose last run failed says status fail with its reason while state stays healthy', async () => {
    const failed = result('fail', NOW - 1_000, { reason: 'timeout', message: 'no answer within 2s', hint: 'check the host' });
    const h = await harness([snapshot({ name: 'db', state: 'healthy', consecutiveFailures: 1, last: failed, lastRun: failed.finishedAt })]);
    const response = await h.app.inject({ method: 'GET', url: '/diagnostics' });
    const db = (response.json() as { vitals: { probes: Record<string, unknown> } }).vitals.probes.db;
    expect(db).toMatchObject({ status: 'fail', state: 'healthy', reason: 'timeout', message: 'no answer within 2s', hint: 'check the host' });
    // Readiness still follows hysteresis: one failed run of a healthy probe does not fail /ready.
    expect((await h.app.inject({ method: 'GET', url: '/ready' })).statusCode).toBe(200);
  });

  it('is the IETF health-check format with a vitals object', async () => {
    const { app } = await withToken();
    const response = await app.inject({ url: '/diagnostics', headers: bearer });
    expect(response.statusCode).toBe(200);
    expect(response.headers['content-type']).toMatch(/^application\/health\+json/);
    expect(response.headers['cache-control']).toBe('no-store');
    const body = response.json();
    expect(body).toMatchObject({
      status: 'warn', // db degraded, cache non-critical failing
      version: '1',
      releaseId: '1.4.2',
      serviceId: 'test-service',
      description: 'vitals under test',
    });
    expect(body).not.toHaveProperty('output');
    expect(Object.keys(body.checks).sort()).toEqual(
      ['cache:status', 'db:connections', 'db:connectionsUtilization', 'db:responseTime', 'db:status', 'loop:status'].sort(),
    );
    const readingTime = new Date(dbPass.finishedAt).toISOString();
    expect(body.checks['db:responseTime']).toEqual([
      { componentId: 'db', componentType: 'datastore', observedValue: 8, observedUnit: 'ms', status: 'pass', time: readingTime },
    ]);
    expect(body.checks['db:connectionsUtilization']).toEqual([
      {
        componentId: 'db',
        componentType: 'datastore',
        observedValue: 0.91,
        observedUnit: 'ratio',
        status: 'warn',
        time: readingTime,
        output: 'connections at 91% of max_connections',
      },
    ]);
    expect(body.checks['db:status']).toEqual([
      { componentId: 'db', componentType: 'datastore', observedValue: 'degraded', observedUnit: 'state', status: 'pass' /* the latest run; state stays degraded */, time: readingTime },
    ]);
    expect(body.checks['cache:status'][0]).toMatchObject({ observedValue: 'unhealthy', observedUnit: 'state', status: 'fail' });
    expect(body.checks['cache:status'][0].output).toMatch(/^WRONGPASS for redis:\/\/default:\*\*\*@cache:6379/);
    expect(body.checks['loop:status']).toEqual([
      { componentId: 'loop', componentType: 'system', observedValue: 'unknown', observedUnit: 'state', status: 'warn', output: 'not run yet' },
    ]);

    const db = body.vitals.probes.db;
    expect(db).toMatchObject({
      type: 'postgres',
      componentType: 'datastore',
      status: 'pass', // last-run status; `state` is hysteresis
      state: 'degraded',
      critical: true,
      groups: ['ready'],
      stale: false,
      reason: null,
      message: null,
      hint: null,
      consecutiveFailures: 0,
      consecutiveSuccesses: 4,
      transitions: 2,
      lastRun: readingTime,
      lastSuccess: readingTime,
      lastChange: new Date(NOW - 60_000).toISOString(),
      durationMs: 8,
      info: { serverVersion: '15.4' },
    });
    // The latest 50 results, oldest first, failures and all.
    expect(db.history).toHaveLength(50);
    expect(db.history[49]).toEqual({ time: new Date(NOW - 10_000).toISOString(), status: 'pass', durationMs: 59 });
    expect(db.history[0].durationMs).toBe(10);
    expect(db.history.filter((h: { status: string }) => h.status === 'fail').length).toBe(7);
    expect(db.history.find((h: { status: string }) => h.status === 'fail')).toMatchObject({ reason: 'refused', message: 'connection refused' });

    expect(body.vitals.probes.cache).toMatchObject({ status: 'fail', state: 'unhealthy', reason: 'auth', consecutiveFailures: 3 });
    expect(body.vitals.probes.cache.hint).toBe('check the password in the URL against requirepass');
    expect(body.vitals.probes.loop).toMatchObject({ state: 'unknown', lastRun: null, history: [] });

    expect(body.vitals).toMatchObject({
      ready: { status: 'warn' },
      live: { status: 'pass' },
      maintenance: null,
      shuttingDown: false,
    });
    expect(body.vitals.system).toMatchObject({
      vitalsVersion: '1.4.2',
      nodeVersion: process.version,
      pid: process.pid,
      startedAt: new Date(NOW - 5_000).toISOString(),
    });
    expect(body.vitals.system.memory.rssBytes).toBeGreaterThan(0);
    expect(body.vitals.system.loadavg).toHaveLength(3);
    expect(body.vitals.config).toMatchObject({ service: { id: 'test-service' }, auth: { token: '***' } });
  });

  it('never contains a secret: tokens, URL passwords, known keys, wherever they came from', async () => {
    const { app } = await withToken({
      config: {
        auth: { token: TOKEN, protectMetrics: false },
        probes: [
          {
            name: 'db', type: 'postgres', definition: probeDefinitions.postgres, critical: true, groups: ['ready'], intervalMs: 10_000, timeoutMs: 2_000,
            failureThreshold: 2, successThreshold: 1, warn: {}, fail: {},
            options: { url: `postgres://app:${DB_PASSWORD}@db:5432/app` },
          },
          {
            name: 'llm', type: 'http', definition: probeDefinitions.http, critical: false, groups: ['ready'], intervalMs: 60_000, timeoutMs: 2_000,
            failureThreshold: 2, successThreshold: 1, warn: {}, fail: {},
            options: { url: 'https://api.example/v1/models', headers: { Authorization: `Bearer ${API_KEY}` } },
          },
        ],
      },
      histories: {
        cache: [cacheFail, result('fail', NOW, { message: `auth failed password=${DB_PASSWORD}` })],
      },
    });
    const response = await app.inject({ url: '/diagnostics', headers: bearer });
    expect(response.statusCode).toBe(200);
    for (const secret of [TOKEN, DB_PASSWORD, API_KEY]) expect(response.body).not.toContain(secret);
    expect(response.body).toContain('***');
  });

  it('uses the redacted config the service supplies', async () => {
    const { app } = await withToken({ deps: { redactedConfig: () => ({ probes: [{ name: 'db', url: 'postgres://app:***@db/app' }] }) } });
    const body = (await app.inject({ url: '/diagnostics', headers: bearer })).json();
    expect(body.vitals.config).toEqual({ probes: [{ name: 'db', url: 'postgres://app:***@db/app' }] });
  });

  it('?probe filters checks and vitals.probes (repeatable, comma-separated); unknown → 404; other params → 400', async () => {
    const { app } = await withToken();
    for (const url of ['/diagnostics?probe=cache', '/diagnostics?probe=cache,']) {
      const body = (await app.inject({ url, headers: bearer })).json();
      expect(Object.keys(body.checks)).toEqual(['cache:status']);
      expect(Object.keys(body.vitals.probes)).toEqual(['cache']);
      expect(body.status).toBe('warn'); // still the service's status
    }
    const two = (await app.inject({ url: '/diagnostics?probe=cache&probe=loop', headers: bearer })).json();
    expect(Object.keys(two.vitals.probes)).toEqual(['cache', 'loop']);
    const missing = await app.inject({ url: '/diagnostics?probe=nope', headers: bearer });
    expect(missing.statusCode).toBe(404);
    expect(missing.json()).toMatchObject({ code: 'VITALS_ERR_PROBE_NOT_FOUND' });
    const unknownParam = await app.inject({ url: '/diagnostics?verbose', headers: bearer });
    expect(unknownParam.statusCode).toBe(400);
    expect(unknownParam.json().message).toBe("unknown query parameter 'verbose'");
  });

  it('reports starting, maintenance and shutdown; fail answers 503 with the full body', async () => {
    const h = await withToken();
    h.state.update('db', { state: 'unknown', last: undefined, lastRun: undefined });
    const starting = await h.app.inject({ url: '/diagnostics', headers: bearer });
    expect(starting.statusCode).toBe(503);
    let body = starting.json();
    expect(body).toMatchObject({ status: 'fail', output: 'starting' });
    expect(Object.keys(body.vitals.probes).sort()).toEqual(['cache', 'db', 'loop']);
    h.state.update('db', { state: 'unhealthy', last: cacheFail, lastRun: NOW - 1_000 });
    h.setLifecycle({ maintenance: { reason: 'db upgrade', since: NOW - 1_000, until: NOW + 600_000 }, shuttingDown: true });
    const response = await h.app.inject({ url: '/diagnostics', headers: bearer });
    expect(response.statusCode).toBe(503);
    expect(response.headers['content-type']).toMatch(/^application\/health\+json/);
    body = response.json();
    expect(body).toMatchObject({ status: 'fail', output: 'shutting down' });
    expect(body.vitals.maintenance).toEqual({
      reason: 'db upgrade',
      since: new Date(NOW - 1_000).toISOString(),
      until: new Date(NOW + 600_000).toISOString(),
    });
    expect(body.vitals.shuttingDown).toBe(true);
    expect(body.vitals.live).toEqual({ status: 'pass' });
  });

  it('explains a stale probe as a timeout from the watchdog', async () => {
    const h = await withToken();
    h.clock.now = NOW + 60_000; // db ran at NOW - 1 s with a 10 s interval
    const body = (await h.app.inject({ url: '/diagnostics', headers: bearer })).json();
    expect(body.vitals.probes.db).toMatchObject({ stale: true, status: 'fail', reason: 'timeout' });
    expect(body.vitals.probes.db.message).toBe('no result for 61s (more than 3 × the 10s interval)');
    expect(body.vitals.probes.db.hint).toMatch(/scheduler/);
    expect(body.checks['db:status'][0]).toMatchObject({ status: 'fail', output: body.vitals.probes.db.message });
    expect(body.status).toBe('fail');
  });
});

describe('GET /diagnostics: rate limit', () => {
  it('defaults to 5 per second per client: the 6th gets 429 with Retry-After and the JSON error', async () => {
    const { app } = await harness(probes(), { config: { auth: { token: TOKEN, protectMetrics: false } } });
    const statuses: number[] = [];
    let last;
    for (let i = 0; i < 6; i++) {
      last = await app.inject({ url: '/diagnostics', headers: bearer });
      statuses.push(last.statusCode);
    }
    expect(statuses).toEqual([200, 200, 200, 200, 200, 429]);
    expect(last!.headers['retry-after']).toBe('1');
    expect(last!.headers['content-type']).toMatch(/^application\/json/);
    expect(last!.json()).toEqual({
      statusCode: 429,
      code: 'VITALS_ERR_RATE_LIMITED',
      error: 'Too Many Requests',
      message: 'too many requests; retry in 1 s',
    });
    // Other clients and other endpoints are not affected.
    expect((await app.inject({ url: '/diagnostics', headers: bearer, remoteAddress: '127.0.0.9' })).statusCode).toBe(200);
    expect((await app.inject({ url: '/ready' })).statusCode).not.toBe(429);
  });

  it('counts requests before the token is checked, so guessing is limited too', async () => {
    const { app } = await withToken({ deps: { diagnosticsRateLimit: { max: 2, timeWindowMs: 60_000 } } });
    const statuses: number[] = [];
    for (let i = 0; i < 3; i++) statuses.push((await app.inject({ url: '/diagnostics', headers: { authorization: 'Bearer guess' } })).statusCode);
    expect(statuses).toEqual([401, 401, 429]);
    const limited = await app.inject({ url: '/diagnostics', headers: bearer });
    expect(limited.statusCode).toBe(429);
    expect(Number(limited.headers['retry-after'])).toBeGreaterThan(50);
  });

  it('lets requests through again after the window', async () => {
    const { app } = await withToken({ deps: { diagnosticsRateLimit: { max: 1, timeWindowMs: 200 } } });
    expect((await app.inject({ url: '/diagnostics', headers: bearer })).statusCode).toBe(200);
    expect((await app.inject({ url: '/diagnostics', headers: bearer })).statusCode).toBe(429);
    await new Promise((resolve) => setTimeout(resolve, 300));
    expect((await app.inject({ url: '/diagnostics', headers: bearer })).statusCode).toBe(200);
  });
});
