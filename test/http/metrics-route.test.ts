import { afterEach, describe, expect, it } from 'vitest';
import { result, snapshot } from '../support/fake-state.js';
import { parseExposition } from '../support/prom-text.js';
import { NOW, closeAll, harness } from './harness.js';

afterEach(closeAll);

const TOKEN = 'metrics-token-1234abcd';
const probes = () => [
  snapshot({ name: 'db', type: 'postgres', componentType: 'datastore' }),
  snapshot({ name: 'loop', type: 'eventloop', componentType: 'system', groups: ['live'] }),
];

describe('GET /metrics', () => {
  it('serves the registry as Prometheus text, following runs', async () => {
    const { app, state } = await harness(probes());
    let response = await app.inject({ url: '/metrics' });
    expect(response.statusCode).toBe(200);
    expect(response.headers['content-type']).toMatch(/^text\/plain; version=0\.0\.4/);
    let m = parseExposition(response.body);
    expect(m.value('vitals_ready')).toBe(0);
    expect(m.value('vitals_probe_runs_total', { probe: 'db', type: 'postgres', result: 'pass' })).toBe(0);
    expect(m.value('vitals_build_info', { version: '1.4.2' })).toBe(1);

    const run = result('pass', NOW - 100, { durationMs: 40, observations: [{ measurement: 'responseTime', value: 40, unit: 'ms' }] });
    state.emit({
      snapshot: { ...state.get('db')!, state: 'healthy', last: run, lastRun: run.finishedAt, lastSuccess: run.finishedAt, transitions: 1 },
      result: run,
      previousState: 'unknown',
    });
    response = await app.inject({ url: '/metrics' });
    m = parseExposition(response.body);
    expect(m.value('vitals_ready')).toBe(1);
    expect(m.value('vitals_probe_runs_total', { probe: 'db', result: 'pass' })).toBe(1);
    expect(m.value('vitals_probe_observed_value', { probe: 'db', type: 'postgres', measurement: 'responseTime', unit: 'ms' })).toBe(40);
    expect(m.value('vitals_probe_duration_seconds_count', { probe: 'db' })).toBe(1);
  });

  it('needs no token unless auth.protectMetrics', async () => {
    const open = await harness(probes(), { config: { auth: { token: TOKEN, protectMetrics: false } } });
    expect((await open.app.inject({ url: '/metrics' })).statusCode).toBe(200);

    const closed = await harness(probes(), { config: { auth: { token: TOKEN, protectMetrics: true } } });
    const denied = await closed.app.inject({ url: '/metrics' });
    expect(denied.statusCode).toBe(401);
    expect(denied.headers['www-authenticate']).toBe('Bearer realm="vitals"');
    expect(denied.json()).toMatchObject({ code: 'VITALS_ERR_UNAUTHORIZED' });
    expect((await closed.app.inject({ url: '/metrics', headers: { authorization: 'Bearer nope' } })).statusCode).toBe(401);
    const allowed = await closed.app.inject({ url: '/metrics', headers: { authorization: `Bearer ${TOKEN}` } });
    expect(allowed.statusCode).toBe(200);
    expect(allowed.body).toContain('vitals_probe_up{');
  });

  it('rejects query parameters (none are defined) and other methods', async () => {
    const { app } = await harness(probes());
    const query = await app.inject({ url: '/metrics?name[]=vitals_ready' });
    expect(query.statusCode).toBe(400);
    expect(query.json().message).toBe("unknown query parameter 'name[]'");
    const post = await app.inject({ method: 'POST', url: '/metrics' });
    expect(post.statusCode).toBe(405);
    expect(post.headers.allow).toBe('GET');
  });
});
