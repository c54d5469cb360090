import { afterEach, describe, expect, it } from 'vitest';
import type { LongUptimeSnapshot } from '../../src/status/prometheus-uptime.js';
import { result, snapshot } from '../support/fake-state.js';
import { NOW, closeAll, harness } from './harness.js';

afterEach(closeAll);

const MIN = 60_000;
const probes = () => [
  snapshot({ name: 'db', type: 'postgres', state: 'healthy', last: result('pass', NOW - 1_000), lastRun: NOW - 1_000 }),
  snapshot({ name: 'cache', type: 'redis', state: 'healthy', last: result('pass', NOW - 1_000), lastRun: NOW - 1_000 }),
];

const answered: LongUptimeSnapshot = {
  pending: false,
  windows: [
    { label: '7d', values: new Map([['db', 0.99996]]), fetchedAt: NOW - 2 * MIN },
    { label: '30d', values: new Map([['db', 0.98765]]), fetchedAt: NOW - 2 * MIN },
  ],
};

async function pages(longUptime: LongUptimeSnapshot | undefined) {
  const h = await harness(probes(), longUptime === undefined ? {} : { deps: { longUptime: () => longUptime } });
  const list = await h.app.inject({ method: 'GET', url: '/status' });
  const db = await h.app.inject({ method: 'GET', url: '/status/db' });
  const cache = await h.app.inject({ method: 'GET', url: '/status/cache' });
  // The JSON view the pages' script polls (checked against the OpenAPI document by the harness).
  const json = await h.app.inject({ method: 'GET', url: '/status?format=json' });
  return { list: list.body, db: db.body, cache: cache.body, json: json.json(), status: [list.statusCode, db.statusCode, cache.statusCode, json.statusCode] };
}

const row = (html: string, probe: string): string => html.match(new RegExp(`<tr class="probe[^"]*" data-probe="${probe}"[\\s\\S]*?</tr>`))?.[0] ?? '';

describe('long-range uptime on the status pages', () => {
  it('not configured: no column, no notice, no line', async () => {
    const p = await pages(undefined);
    expect(p.list).not.toContain('Uptime</th>');
    expect(p.list).not.toContain('uptime-source');
    expect(p.db).not.toContain('uptime-long');
  });

  it('answered: a column per probe (floored, never rounded up), "no data" for a probe Prometheus has no series of, the age', async () => {
    const p = await pages(answered);
    expect(p.status).toEqual([200, 200, 200, 200]);
    const dbJson = p.json.probes.find((x: { name: string }) => x.name === 'db');
    expect(dbJson.longUptime.windows.map((w: { label: string; value?: number }) => [w.label, w.value])).toEqual([['7 d', 0.99996], ['30 d', 0.98765]]);
    expect(p.list).toContain('<th class="num">Uptime</th>');
    expect(row(p.list, 'db')).toContain('<td data-label="Uptime" class="num uptime-long">7 d 99.99 % · 30 d 98.76 %</td>');
    expect(row(p.list, 'cache')).toContain('7 d no data · 30 d no data');
    expect(p.list).toMatch(/id="uptime-source" class="uptime-source muted" data-state="ok">7 d \/ 30 d uptime from Prometheus, updated 2m ago\./);
    expect(p.db).toMatch(/<p id="uptime-long" data-state="ok">7 d: <strong>99.99 %<\/strong> · 30 d: <strong>98.76 %<\/strong>/);
    expect(p.cache).toMatch(/7 d: <strong>no data<\/strong> · 30 d: <strong>no data<\/strong>/);
    // Next to the 1 h / 24 h uptime, inside the same section.
    expect(p.db.indexOf('id="uptime-long"')).toBeGreaterThan(p.db.indexOf('id="uptime"'));
    expect(p.db.indexOf('id="uptime-long"')).toBeLessThan(p.db.indexOf('id="h-timeline"'));
  });

  it('pending: says it is waiting, shows no number', async () => {
    const p = await pages({ pending: true, windows: [{ label: '7d' }, { label: '30d' }] });
    expect(row(p.list, 'db')).toContain('7 d pending · 30 d pending');
    expect(p.list).toContain('waiting for the first answer from Prometheus');
  });

  it('Prometheus down with old values: says so, for how long and why, and keeps the values with their age', async () => {
    const p = await pages({
      pending: false,
      windows: answered.windows.map((w) => ({ ...w, fetchedAt: NOW - 17 * MIN, error: { reason: 'prometheus unreachable: ECONNREFUSED', since: NOW - 5 * MIN } })),
    });
    expect(p.status).toEqual([200, 200, 200, 200]);
    expect(p.list).toContain(
      '<p id="uptime-source" class="uptime-source" data-state="unavailable" role="status"><strong>7 d / 30 d uptime:</strong> Prometheus unavailable for 5m: prometheus unreachable: ECONNREFUSED — showing values from 17m ago</p>',
    );
    expect(row(p.list, 'db')).toContain('7 d 99.99 % · 30 d 98.76 %');
    expect(p.db).toMatch(/data-state="unavailable">7 d: <strong>99.99 %<\/strong>[\s\S]*Prometheus unavailable for 5m: prometheus unreachable: ECONNREFUSED/);
  });

  it('Prometheus refusing from the start: "unavailable" per probe, the reason once', async () => {
    const p = await pages({
      pending: false,
      windows: [
        { label: '7d', error: { reason: 'HTTP 401: credentials rejected (check bearerToken / headers)', since: NOW - MIN } },
        { label: '30d', error: { reason: 'HTTP 401: credentials rejected (check bearerToken / headers)', since: NOW - MIN } },
      ],
    });
    expect(row(p.list, 'db')).toContain('7 d unavailable · 30 d unavailable');
    expect(p.list).toContain('Prometheus unavailable for 1m: HTTP 401: credentials rejected (check bearerToken / headers) — no values yet');
  });

  it('only the 30 d query failing: names the window', async () => {
    const p = await pages({
      pending: false,
      windows: [answered.windows[0]!, { ...answered.windows[1]!, error: { reason: 'prometheus timed out after 10s', since: NOW - MIN } }],
    });
    expect(p.list).toContain('Prometheus unavailable (30 d) for 1m: prometheus timed out after 10s — showing values from 2m ago');
  });

  it('escapes what Prometheus said', async () => {
    const p = await pages({ pending: false, windows: [{ label: '7d', error: { reason: 'HTTP 400: <script>x</script>', since: NOW } }, { label: '30d' }] });
    expect(p.list).not.toContain('<script>x');
    expect(p.list).toContain('&lt;script&gt;x');
  });
});
