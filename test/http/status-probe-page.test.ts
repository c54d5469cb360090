import { afterEach, describe, expect, it } from 'vitest';
import type { ProbeState } from '../../src/core/types.js';
import { result, snapshot } from '../support/fake-state.js';
import { NOW, closeAll, harness } from './harness.js';

afterEach(closeAll);

const TOKEN = 'probe-page-token-9f3a';
const SECRET = 'pg-secret-77aa1';
const MIN = 60_000;

/** db, run every minute: passed for an hour, failed from NOW-30 min to NOW-20 min (timeout), then recovered. */
async function playedHarness(options: Parameters<typeof harness>[1] = {}) {
  const h = await harness([snapshot({ name: 'db', type: 'postgres' }), snapshot({ name: 'cache', type: 'redis' })], options);
  let state: ProbeState = 'unknown';
  const play = (at: number, to: ProbeState, r: ReturnType<typeof result>) => {
    h.state.emit({ snapshot: snapshot({ name: 'db', type: 'postgres', intervalMs: MIN, state: to, last: r, lastRun: at, lastChange: at }), result: r, previousState: state });
    state = to;
  };
  for (let t = NOW - 90 * MIN; t < NOW - 30 * MIN; t += MIN) play(t, 'healthy', result('pass', t, { durationMs: 5 }));
  for (let t = NOW - 30 * MIN; t < NOW - 20 * MIN; t += MIN) {
    play(t, 'unhealthy', result('fail', t, { durationMs: 2_000, reason: 'timeout', message: `no answer from postgres://app:${SECRET}@db`, hint: 'check the database host' }));
  }
  for (let t = NOW - 20 * MIN; t < NOW; t += MIN) {
    play(t, 'healthy', result('pass', t, { durationMs: 6, observations: [{ measurement: 'latency', value: 6, unit: 'ms', status: 'pass' }] }));
  }
  return h;
}

describe('GET /status/{probe}', () => {
  it('shows state, timeline bands, the outage with its duration, uptime and last runs', async () => {
    const h = await playedHarness({ config: { service: { id: 'svc', description: '' } } });
    const response = await h.app.inject({ method: 'GET', url: '/status/db' });
    expect(response.statusCode).toBe(200);
    expect(response.headers['content-security-policy']).toMatch(/style-src 'nonce-/);
    const html = response.body;
    expect(html).toContain('<h1>db <span class="muted">postgres, critical</span></h1>');
    expect(html).toMatch(/id="state" data-severity="healthy">✓ healthy</);
    const bands = [...html.matchAll(/data-state="(\w+)" data-from="(\d+)" data-to="(\d+)"/g)].map((m) => [m[1], Number(m[2]), Number(m[3])]);
    expect(bands).toEqual([
      ['unknown', NOW - 24 * 60 * MIN, NOW - 90 * MIN],
      ['healthy', NOW - 90 * MIN, NOW - 30 * MIN],
      ['unhealthy', NOW - 30 * MIN, NOW - 20 * MIN],
      ['healthy', NOW - 20 * MIN, NOW],
    ]);
    expect(html).toMatch(/<tr class="outage"><td>[^<]+<\/td><td>[^<]+<\/td><td>10m<\/td><\/tr>/);
    // Last hour: 10 of 60 runs failed; 24 h: 10 of 90.
    expect(html).toContain('1 h: <strong>83.33 %</strong> · 24 h: <strong>88.88 %</strong>');
    expect(html).toContain('timeout: no answer from postgres://app:***@db');
    expect(html).not.toContain(SECRET);
    expect(html).toContain('<th scope="row">latency</th><td>6 ms</td><td>✓ pass</td>');
  });

  it('answers 404 with a page for an unknown probe, escaping the name', async () => {
    const h = await playedHarness();
    const response = await h.app.inject({ method: 'GET', url: '/status/%3Cb%3Enope' });
    expect(response.statusCode).toBe(404);
    expect(response.headers['content-type']).toBe('text/html; charset=utf-8');
    expect(response.body).toContain('No probe named “&lt;b&gt;nope”');
  });

  it('needs the same token as /status', async () => {
    const h = await playedHarness({ config: { auth: { token: TOKEN } } as never });
    expect((await h.app.inject({ method: 'GET', url: '/status/db' })).statusCode).toBe(401);
    const basic = `Basic ${Buffer.from(`x:${TOKEN}`).toString('base64')}`;
    expect((await h.app.inject({ method: 'GET', url: '/status/db', headers: { authorization: basic } })).statusCode).toBe(200);
  });
});
