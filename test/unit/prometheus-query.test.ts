import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { describe, expect, it } from 'vitest';
import { describeFetchError, parseUptimeResponse, queryUptime, uptimeQuery } from '../../src/status/prometheus-query.js';
import { freePort } from '../support/net.js';

const vector = (result: unknown[]): string => JSON.stringify({ status: 'success', data: { resultType: 'vector', result } });

describe('uptimeQuery', () => {
  it('is one query for every probe: samples up ÷ samples scraped, per probe, with the selector on both sides', () => {
    expect(uptimeQuery('{job="vitals"}', '7d')).toBe(
      'sum by (probe) (sum_over_time(vitals_probe_up{job="vitals"}[7d])) / sum by (probe) (count_over_time(vitals_probe_up{job="vitals"}[7d]))',
    );
    expect(uptimeQuery('{}', '30d')).toContain('vitals_probe_up{}[30d]');
  });
});

describe('parseUptimeResponse', () => {
  it('reads a vector into uptime per probe', () => {
    const outcome = parseUptimeResponse(
      200,
      vector([
        { metric: { probe: 'db' }, value: [1_700_000_000, '0.99'] },
        { metric: { probe: 'cache' }, value: [1_700_000_000, '1'] },
      ]),
    );
    expect(outcome).toEqual({ ok: true, values: new Map([['db', 0.99], ['cache', 1]]) });
  });

  it('an empty vector is an answer: no probe has data', () => {
    expect(parseUptimeResponse(200, vector([]))).toEqual({ ok: true, values: new Map() });
  });

  it.each([
    [401, '', 'HTTP 401: credentials rejected (check bearerToken / headers)'],
    [403, 'Forbidden', 'HTTP 403: credentials rejected (check bearerToken / headers)'],
    [503, 'Service Unavailable', 'HTTP 503'],
    [302, '', 'HTTP 302: redirects are not followed; set url to the address that answers'],
    [
      400,
      JSON.stringify({ status: 'error', errorType: 'bad_data', error: 'invalid parameter "query": 1:17: parse error' }),
      'HTTP 400: bad_data: invalid parameter "query": 1:17: parse error',
    ],
    [200, '<html>Grafana</html>', 'bad response: not JSON (is url a Prometheus server?)'],
    [200, JSON.stringify({ status: 'success', data: { resultType: 'matrix', result: [] } }), 'bad response: expected a success with an instant vector (is url a Prometheus server?)'],
    [200, JSON.stringify({ status: 'error', errorType: 'timeout', error: 'query timed out in expression evaluation' }), 'bad response: timeout: query timed out in expression evaluation'],
    [200, vector([{ metric: { probe: 'db' }, value: [1, 'NaN'] }]), 'bad response: a sample without a probe label or a value between 0 and 1'],
    [200, vector([{ metric: { probe: 'db' }, value: [1, '1.5'] }]), 'bad response: a sample without a probe label or a value between 0 and 1'],
    [200, vector([{ metric: {}, value: [1, '1'] }]), 'bad response: a sample without a probe label or a value between 0 and 1'],
  ])('HTTP %i %j → %s', (status, body, reason) => {
    expect(parseUptimeResponse(status, body)).toEqual({ ok: false, reason });
  });

  it('cuts a long Prometheus error to one line', () => {
    const outcome = parseUptimeResponse(422, JSON.stringify({ status: 'error', errorType: 'execution', error: `many\nlines ${'x'.repeat(500)}` }));
    expect(outcome.ok).toBe(false);
    if (!outcome.ok) {
      expect(outcome.reason).not.toContain('\n');
      expect(outcome.reason.length).toBeLessThan(230);
    }
  });
});

describe('queryUptime over a socket', () => {
  it('a closed port: prometheus unreachable: ECONNREFUSED', async () => {
    const port = await freePort();
    const outcome = await queryUptime({ url: `http://127.0.0.1:${port}`, intervalMs: 60_000, timeoutMs: 2_000, selector: '{}', headers: {} }, '7d', AbortSignal.timeout(2_000));
    expect(outcome).toEqual({ ok: false, reason: 'prometheus unreachable: ECONNREFUSED' });
  });

  it('a server that never answers: timed out after the timeout, not later', async () => {
    const sockets = new Set<import('node:net').Socket>();
    const server = http.createServer(() => undefined);
    server.on('connection', (s) => sockets.add(s));
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    try {
      const started = performance.now();
      const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
      const outcome = await queryUptime({ url, intervalMs: 60_000, timeoutMs: 300, selector: '{}', headers: {} }, '7d', AbortSignal.timeout(300));
      expect(outcome).toEqual({ ok: false, reason: 'prometheus timed out after 300ms' });
      expect(performance.now() - started).toBeLessThan(3_000);
    } finally {
      for (const s of sockets) s.destroy();
      await new Promise((resolve) => server.close(resolve));
    }
  });

  it('sends the query, the Prometheus-side timeout and the configured headers; a body past the cap is refused', async () => {
    const seen: Array<{ url: string; headers: http.IncomingHttpHeaders }> = [];
    let huge = false;
    const server = http.createServer((request, response) => {
      seen.push({ url: request.url ?? '', headers: request.headers });
      response.setHeader('content-type', 'application/json');
      response.end(huge ? `{"x":"${'a'.repeat(5 * 1024 * 1024)}"}` : vector([{ metric: { probe: 'db' }, value: [1, '0.5'] }]));
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    try {
      const settings = {
        url: `http://127.0.0.1:${(server.address() as AddressInfo).port}/prom`,
        intervalMs: 60_000,
        timeoutMs: 4_000,
        selector: '{job="vitals"}',
        headers: { Authorization: 'Bearer tok-123456', 'X-Scope-OrgID': 'team-a' },
      };
      expect(await queryUptime(settings, '30d', AbortSignal.timeout(4_000))).toEqual({ ok: true, values: new Map([['db', 0.5]]) });
      const url = new URL(seen[0]!.url, 'http://x');
      expect(url.pathname).toBe('/prom/api/v1/query');
      expect(url.searchParams.get('query')).toBe(uptimeQuery('{job="vitals"}', '30d'));
      expect(url.searchParams.get('timeout')).toBe('4000ms');
      expect(seen[0]!.headers.authorization).toBe('Bearer tok-123456');
      expect(seen[0]!.headers['x-scope-orgid']).toBe('team-a');
      huge = true;
      expect(await queryUptime(settings, '30d', AbortSignal.timeout(4_000))).toEqual({ ok: false, reason: 'bad response: larger than 4 MiB' });
    } finally {
      server.closeAllConnections();
      await new Promise((resolve) => server.close(resolve));
    }
  });
});

describe('describeFetchError', () => {
  it('names the cause code, else its message', () => {
    expect(describeFetchError(Object.assign(new TypeError('fetch failed'), { cause: { code: 'ENOTFOUND' } }), 1_000)).toBe('prometheus unreachable: ENOTFOUND');
    expect(describeFetchError(new TypeError('fetch failed'), 1_000)).toBe('prometheus unreachable: fetch failed');
  });
});
