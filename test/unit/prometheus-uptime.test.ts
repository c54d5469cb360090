import http from 'node:http';
import type { AddressInfo, Socket } from 'node:net';
import { pino } from 'pino';
import { afterEach, describe, expect, it } from 'vitest';
import type { PrometheusUptimeSettings } from '../../src/core/settings.js';
import { LongRangeUptime, type LongUptimeSnapshot } from '../../src/status/prometheus-uptime.js';

/**
 * The background loop against a real HTTP server that answers like the
 * Prometheus query API (the e2e suite runs it against Prometheus itself):
 * what the snapshot says after answers, failures and reconfiguration, and
 * that fetches never overlap.
 */

const TOKEN = 'prom-bearer-6d5c4b3a';

type Mode = 'ok' | 'hang' | 'error-echo';

class FakePrometheus {
  mode: Mode = 'ok';
  values: Record<string, string> = { db: '0.995', cache: '1' };
  requests = 0;
  concurrent = 0;
  maxConcurrent = 0;
  private readonly sockets = new Set<Socket>();
  private readonly server = http.createServer((request, response) => {
    this.requests += 1;
    this.concurrent += 1;
    this.maxConcurrent = Math.max(this.maxConcurrent, this.concurrent);
    const done = (): void => void (this.concurrent -= 1);
    response.on('close', done);
    if (request.headers.authorization !== `Bearer ${TOKEN}`) {
      response.writeHead(401).end('Unauthorized');
      return;
    }
    if (this.mode === 'hang') return;
    response.setHeader('content-type', 'application/json');
    if (this.mode === 'error-echo') {
      // A proxy that echoes what it was sent: the token must still not reach the page.
      response.writeHead(500).end(JSON.stringify({ status: 'error', errorType: 'internal', error: `upstream rejected Authorization: Bearer ${TOKEN}` }));
      return;
    }
    const result = Object.entries(this.values).map(([probe, v]) => ({ metric: { probe }, value: [Date.now() / 1000, v] }));
    response.end(JSON.stringify({ status: 'success', data: { resultType: 'vector', result } }));
  });

  async start(): Promise<string> {
    this.server.on('connection', (s) => this.sockets.add(s));
    await new Promise<void>((resolve) => this.server.listen(0, '127.0.0.1', resolve));
    return `http://127.0.0.1:${(this.server.address() as AddressInfo).port}`;
  }

  async stop(): Promise<void> {
    for (const s of this.sockets) s.destroy();
    await new Promise((resolve) => this.server.close(resolve));
  }
}

const servers: FakePrometheus[] = [];
const loops: LongRangeUptime[] = [];
afterEach(async () => {
  await Promise.all(loops.splice(0).map((l) => l.close()));
  await Promise.all(servers.splice(0).map((s) => s.stop()));
});

async function setup(overrides: Partial<PrometheusUptimeSettings> = {}) {
  const server = new FakePrometheus();
  servers.push(server);
  const url = await server.start();
  const lines: string[] = [];
  const logger = pino({ level: 'info' }, { write: (line: string) => void lines.push(line) });
  const uptime = new LongRangeUptime({ logger, secrets: [TOKEN, `Bearer ${TOKEN}`] });
  loops.push(uptime);
  const settings: PrometheusUptimeSettings = { url, intervalMs: 100, timeoutMs: 80, selector: '{}', headers: { Authorization: `Bearer ${TOKEN}` }, ...overrides };
  return { server, uptime, settings, lines };
}

async function until(read: () => LongUptimeSnapshot | undefined, done: (s: LongUptimeSnapshot) => boolean, timeoutMs = 5_000): Promise<LongUptimeSnapshot> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const s = read();
    if (s !== undefined && done(s)) return s;
    if (Date.now() > deadline) throw new Error(`not reached: ${JSON.stringify(s, (_k, v: unknown) => (v instanceof Map ? [...v] : v))}`);
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
}

describe('LongRangeUptime', () => {
  it('not configured: no snapshot, so the pages show nothing of it', () => {
    expect(new LongRangeUptime({ logger: pino({ level: 'silent' }), secrets: [] }).snapshot()).toBeUndefined();
  });

  it('pending until the first answer, then values per probe and window with when they came', async () => {
    const { uptime, settings } = await setup({ intervalMs: 60_000, timeoutMs: 2_000 });
    void uptime.configure(settings);
    expect(uptime.snapshot()).toEqual({ pending: true, windows: [{ label: '7d' }, { label: '30d' }] });
    const s = await until(() => uptime.snapshot(), (x) => !x.pending);
    expect(s.windows.map((w) => w.label)).toEqual(['7d', '30d']);
    for (const w of s.windows) {
      expect(w.values).toEqual(new Map([['db', 0.995], ['cache', 1]]));
      expect(w.error).toBeUndefined();
      expect(w.fetchedAt).toBeGreaterThan(Date.now() - 5_000);
    }
  });

  it('a failing Prometheus: error with reason and since, the last values kept with their time; back when it answers', async () => {
    // A timeout generous enough that an answering server never misses it on a loaded machine.
    const { server, uptime, settings, lines } = await setup({ intervalMs: 150, timeoutMs: 120 });
    void uptime.configure(settings);
    const good = await until(() => uptime.snapshot(), (x) => x.windows[0]?.values !== undefined);
    const fetchedAt = good.windows[0]!.fetchedAt!;
    server.mode = 'hang';
    const failing = await until(() => uptime.snapshot(), (x) => x.windows[0]?.error !== undefined);
    expect(failing.windows[0]).toMatchObject({ values: new Map([['db', 0.995], ['cache', 1]]), error: { reason: 'prometheus timed out after 120ms' } });
    expect(failing.windows[0]!.fetchedAt).toBeGreaterThanOrEqual(fetchedAt);
    const since = failing.windows[0]!.error!.since;
    // The failure goes on: `since` stays where it began.
    await until(() => uptime.snapshot(), (x) => (x.windows[0]?.error?.since ?? 0) === since && server.requests > 6);
    server.mode = 'ok';
    server.values = { db: '0.5' };
    const back = await until(() => uptime.snapshot(), (x) => x.windows[0]?.error === undefined && x.windows[0]?.values?.get('db') === 0.5);
    expect(back.windows[0]!.values!.has('cache')).toBe(false);
    // A warning when it began (two if a window flipped at the edge), one line when it ended — not one per failed refresh (> 6 here).
    expect(lines.filter((l) => l.includes('Prometheus query failed')).length, lines.join('')).toBeLessThanOrEqual(2);
    expect(lines.filter((l) => l.includes('answers again'))).toHaveLength(1);
  });

  it('never overlaps fetches, even when every one hangs until its timeout (2 windows = 2 requests per refresh)', async () => {
    const { server, uptime, settings } = await setup({ intervalMs: 30, timeoutMs: 25 });
    server.mode = 'hang';
    void uptime.configure(settings);
    await until(() => uptime.snapshot(), () => server.requests >= 20);
    expect(server.maxConcurrent).toBeLessThanOrEqual(2);
  });

  it('reasons are scrubbed of secrets: a server echoing the token shows ***', async () => {
    const { server, uptime, settings } = await setup();
    server.mode = 'error-echo';
    void uptime.configure(settings);
    const s = await until(() => uptime.snapshot(), (x) => x.windows[0]?.error !== undefined);
    expect(s.windows[0]!.error!.reason).toContain('HTTP 500');
    expect(JSON.stringify(s.windows)).not.toContain(TOKEN);
  });

  it('a wrong token: HTTP 401, credentials rejected', async () => {
    const { uptime, settings } = await setup({ headers: { Authorization: 'Bearer wrong-token-0000' } });
    void uptime.configure(settings);
    const s = await until(() => uptime.snapshot(), (x) => !x.pending);
    expect(s.windows.map((w) => w.error?.reason)).toEqual([
      'HTTP 401: credentials rejected (check bearerToken / headers)',
      'HTTP 401: credentials rejected (check bearerToken / headers)',
    ]);
    expect(s.windows[0]!.values).toBeUndefined();
  });

  it('reconfigure: same settings change nothing; other settings drop the old values and start over; undefined stops', async () => {
    const { server, uptime, settings } = await setup({ intervalMs: 60_000, timeoutMs: 2_000 });
    void uptime.configure(settings);
    const first = await until(() => uptime.snapshot(), (x) => !x.pending);
    await uptime.configure({ ...settings });
    expect(uptime.snapshot()).toBe(first);
    server.values = { db: '0.25' };
    void uptime.configure({ ...settings, selector: '{job="other"}' });
    expect(uptime.snapshot()?.pending).toBe(true);
    const second = await until(() => uptime.snapshot(), (x) => !x.pending);
    expect(second.windows[0]!.values).toEqual(new Map([['db', 0.25]]));
    await uptime.configure(undefined);
    expect(uptime.snapshot()).toBeUndefined();
    const requests = server.requests;
    await new Promise((resolve) => setTimeout(resolve, 200));
    expect(server.requests).toBe(requests);
  });

  it('close aborts a fetch in flight at once and nothing runs after it', async () => {
    const { server, uptime, settings } = await setup({ intervalMs: 60_000, timeoutMs: 30_000 });
    server.mode = 'hang';
    void uptime.configure(settings);
    await until(() => uptime.snapshot(), () => server.concurrent === 2);
    const started = performance.now();
    await uptime.close();
    expect(performance.now() - started).toBeLessThan(1_000);
    expect(uptime.snapshot()).toBeUndefined();
    await until(() => ({ pending: true, windows: [] }), () => server.concurrent === 0);
  });

  it('the next refresh comes at the interval ±10 %', async () => {
    const { server, uptime, settings } = await setup({ intervalMs: 400, timeoutMs: 200 });
    void uptime.configure(settings);
    await until(() => uptime.snapshot(), () => server.requests >= 2);
    const t0 = performance.now();
    await until(() => uptime.snapshot(), () => server.requests >= 4);
    const gap = performance.now() - t0;
    expect(gap).toBeGreaterThan(300);
    expect(gap).toBeLessThan(2_000);
  });
});
