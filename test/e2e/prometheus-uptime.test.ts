import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import net from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { stringify } from 'yaml';
import { findTool, runTool } from '../deploy/tools.js';
import { freePort } from '../support/net.js';
import { startProcess, type ManagedProcess } from '../support/process.js';
import { CLI, spawnVitals, type VitalsProcess } from '../support/vitals-process.js';

/**
 * statusPage.prometheus against the real Debian Prometheus server. Its TSDB
 * is backfilled (promtool tsdb create-blocks-from openmetrics) with 35 days
 * of vitals_probe_up samples whose uptime is known, because no test can wait
 * a week for a scrape history. Prometheus requires Basic auth (its
 * --web.config.file), so credentials travel and a wrong password is a real
 * 401. Then Prometheus hangs (SIGSTOP) and goes away, and the page must say
 * so while answering as fast as ever: a request never waits on Prometheus.
 */

const prometheusBinary = findTool('prometheus');
const promtoolBinary = findTool('promtool');

// bcrypt of PASSWORD (cost 12), as Prometheus' web config wants it.
const USER = 'admin';
const PASSWORD = 'monitoreo2021';
const BCRYPT = '$2b$12$Kvf88U2IcARZwSqI7x0JTO22i763bOvDQl/C7ZGUM2bnAvLUDrEQy';
const WRONG_PASSWORD = 'wrong-pass-4c3b2a19';

const DAY = 86_400;
const STEP = 300;

/**
 * Samples only in one hour of each day, 12 h away from now's time of day:
 * one 2 h block per day keeps the backfill fast, and the 7 d / 30 d window
 * edges (at now's time of day) never cut through a day's samples, so the
 * expected uptime is exact however long the test takes.
 */
type Windows = Record<'7d' | '30d', number>;

function history(nowS: number): { text: string; expected: Record<'db' | 'cache', Windows> } {
  const slotHour = (Math.floor(((nowS % DAY) / 3600 + 12) / 2) * 2) % 24;
  const lines = ['# HELP vitals_probe_up 1 if the last result was pass/warn', '# TYPE vitals_probe_up gauge'];
  // [samples up, samples] per probe and window.
  const count: Record<'db' | 'cache', Record<'7d' | '30d', [number, number]>> = {
    db: { '7d': [0, 0], '30d': [0, 0] },
    cache: { '7d': [0, 0], '30d': [0, 0] },
  };
  const firstDay = Math.floor((nowS - 35 * DAY) / DAY) * DAY;
  for (let day = firstDay; day < nowS; day += DAY) {
    for (let t = day + slotHour * 3600; t < day + slotHour * 3600 + 3600; t += STEP) {
      if (t >= nowS - 3600) continue;
      const ageDays = (nowS - t) / DAY;
      // db: down 2 days of the last week, 5 more days of the last month, and everything older than 30 days.
      const dbUp = (ageDays > 2 && ageDays < 4) || (ageDays > 15 && ageDays < 20) || ageDays > 30 ? 0 : 1;
      for (const [probe, up] of [['db', dbUp], ['cache', 1]] as const) {
        lines.push(`vitals_probe_up{job="vitals",instance="127.0.0.1:1",probe="${probe}",type="tcp"} ${up} ${t}`);
        for (const range of ['7d', '30d'] as const) {
          if (ageDays < (range === '7d' ? 7 : 30)) {
            count[probe][range][0] += up;
            count[probe][range][1] += 1;
          }
        }
      }
      // Another deployment's vitals, always down: the selector must keep it out.
      lines.push(`vitals_probe_up{job="other-vitals",instance="10.0.0.9:8080",probe="db",type="postgres"} 0 ${t}`);
    }
  }
  lines.push('# EOF');
  const ratio = ([up, all]: [number, number]): number => up / all;
  return {
    text: `${lines.join('\n')}\n`,
    expected: {
      db: { '7d': ratio(count.db['7d']), '30d': ratio(count.db['30d']) },
      cache: { '7d': ratio(count.cache['7d']), '30d': ratio(count.cache['30d']) },
    },
  };
}

const floorPercent = (v: number): string => `${(Math.floor(v * 10_000) / 100).toFixed(2)} %`;

describe.skipIf(prometheusBinary === null || promtoolBinary === null)('long-range uptime from a real Prometheus', () => {
  const scratch = mkdtempSync(join(tmpdir(), 'vitals-prom-uptime-'));
  const configPath = join(scratch, 'vitals.yaml');
  let backend: net.Server | undefined;
  let vitals: VitalsProcess | undefined;
  let prometheus: ManagedProcess | undefined;
  let vitalsUrl = '';
  let promPort = 0;
  let vitalsPort = 0;
  let backendPort = 0;
  let expected: ReturnType<typeof history>['expected'];

  const writeConfig = (credentials: string): void =>
    writeFileSync(
      configPath,
      stringify({
        service: { id: 'e2e-uptime' },
        server: { host: '127.0.0.1', port: vitalsPort },
        shutdown: { drainDelay: '0s', timeout: '5s' },
        statusPage: { prometheus: { url: `http://${credentials}@127.0.0.1:${promPort}`, interval: '5s', timeout: '4s', selector: '{job="vitals"}' } },
        probes: ['db', 'cache', 'fresh'].map((name) => ({ name, type: 'tcp', host: '127.0.0.1', port: backendPort, interval: '2s', timeout: '1s' })),
      }),
    );

  async function page(path: string): Promise<{ status: number; body: string; ms: number }> {
    const started = performance.now();
    const response = await fetch(`${vitalsUrl}${path}`, { signal: AbortSignal.timeout(10_000) });
    const body = await response.text();
    return { status: response.status, body, ms: performance.now() - started };
  }

  /** Polls /status until `done`; every response's time is kept, to show none waited on Prometheus. */
  async function statusUntil(done: (html: string) => boolean, timeoutMs: number, times: number[] = []): Promise<string> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const p = await page('/status');
      expect(p.status).toBe(200);
      times.push(p.ms);
      if (done(p.body)) return p.body;
      if (Date.now() > deadline) {
        throw new Error(`not shown within ${timeoutMs} ms:\n${p.body.match(/<p id="uptime-source"[^\n]*/)?.[0] ?? p.body}\nvitals:\n${vitals?.stdout() ?? ''}\nprometheus:\n${prometheus?.output() ?? ''}`);
      }
      // /status allows 5 requests per second per client.
      await new Promise((resolve) => setTimeout(resolve, 400));
    }
  }

  const source = (html: string): string => html.match(/<p id="uptime-source"[^\n]*<\/p>/)?.[0] ?? '';
  const cell = (html: string, probe: string): string =>
    html.match(new RegExp(`data-probe="${probe}"[\\s\\S]*?<td data-label="Uptime" class="num uptime-long">([^<]*)</td>`))?.[1] ?? '';

  beforeAll(async () => {
    backendPort = await freePort();
    backend = net.createServer((socket) => socket.end());
    await new Promise<void>((resolve) => backend?.listen(backendPort, '127.0.0.1', resolve));

    const built = history(Math.floor(Date.now() / 1000));
    expected = built.expected;
    writeFileSync(join(scratch, 'history.om'), built.text);
    const backfill = runTool(promtoolBinary ?? 'promtool', ['tsdb', 'create-blocks-from', 'openmetrics', '-q', join(scratch, 'history.om'), join(scratch, 'data')], scratch, 60_000);
    expect(backfill.status, backfill.output).toBe(0);
    writeFileSync(join(scratch, 'web.yml'), stringify({ basic_auth_users: { [USER]: BCRYPT } }));
    writeFileSync(join(scratch, 'prometheus.yml'), stringify({ global: { scrape_interval: '1m' } }));
    promPort = await freePort();
    prometheus = startProcess(prometheusBinary ?? 'prometheus', [
      `--config.file=${join(scratch, 'prometheus.yml')}`,
      `--web.config.file=${join(scratch, 'web.yml')}`,
      `--storage.tsdb.path=${join(scratch, 'data')}`,
      `--web.listen-address=127.0.0.1:${promPort}`,
      // The backfill reaches back 35 days; the default 15 d retention would delete it on load.
      '--storage.tsdb.retention.time=90d',
      '--log.level=warn',
    ]);

    vitalsPort = await freePort();
    vitalsUrl = `http://127.0.0.1:${vitalsPort}`;
    writeConfig(`${USER}:\${PROM_PASSWORD}`);
    vitals = spawnVitals(['serve', '--config', configPath], { PROM_PASSWORD: PASSWORD });
    await vitals.waitForLog(/vitals listening/);
  }, 90_000);

  afterAll(async () => {
    prometheus?.resume();
    await prometheus?.stop(5_000);
    if (vitals) {
      vitals.kill('SIGTERM');
      const timer = setTimeout(() => vitals?.kill('SIGKILL'), 8_000);
      await vitals.exited;
      clearTimeout(timer);
    }
    await new Promise<void>((resolve) => (backend?.listening ? backend.close(() => resolve()) : resolve()));
    rmSync(scratch, { recursive: true, force: true });
  }, 20_000);

  it('shows 7 d and 30 d uptime per probe as Prometheus computes them from the history; "no data" for a probe it has no series of', async () => {
    // Prometheus may still be loading its blocks: the page says it is unavailable meanwhile, then shows the values.
    const html = await statusUntil((h) => source(h).includes('data-state="ok"'), 60_000);
    expect(expected.db['7d']).toBeCloseTo(5 / 7, 2);
    expect(cell(html, 'db')).toBe(`7 d ${floorPercent(expected.db['7d'])} · 30 d ${floorPercent(expected.db['30d'])}`);
    expect(cell(html, 'cache')).toBe('7 d 100.00 % · 30 d 100.00 %');
    expect(cell(html, 'fresh')).toBe('7 d no data · 30 d no data');
    expect(source(html)).toMatch(/7 d \/ 30 d uptime from Prometheus, updated \d+s ago\./);

    const db = await page('/status/db');
    expect(db.body).toContain(`7 d: <strong>${floorPercent(expected.db['7d'])}</strong> · 30 d: <strong>${floorPercent(expected.db['30d'])}</strong>`);
    expect(db.body).toContain('1 h: <strong>');
  }, 70_000);

  it('never shows the Prometheus credentials: not on the pages, /diagnostics, the log, or config print', async () => {
    const basic = Buffer.from(`${USER}:${PASSWORD}`).toString('base64');
    const outputs = [(await page('/status')).body, (await page('/status/db')).body, (await page('/diagnostics')).body, vitals!.stdout(), vitals!.stderr()];
    const printed = spawnSync(process.execPath, [CLI, 'config', 'print', '--config', configPath], {
      env: { PATH: process.env.PATH, PROM_PASSWORD: PASSWORD },
      encoding: 'utf8',
      timeout: 30_000,
    });
    expect(printed.status).toBe(0);
    expect(printed.stdout).toContain(`url: http://127.0.0.1:${promPort}`);
    outputs.push(printed.stdout, printed.stderr);
    for (const text of outputs) {
      expect(text).not.toContain(PASSWORD);
      expect(text).not.toContain(basic);
    }
  }, 40_000);

  it('Prometheus hangs (SIGSTOP): the page says it timed out, keeps the values with their age, and never waits', async () => {
    const times: number[] = [];
    prometheus!.pause();
    let html: string;
    try {
      html = await statusUntil((h) => source(h).includes('prometheus timed out after 4s'), 30_000, times);
    } finally {
      prometheus!.resume();
    }
    expect(source(html)).toMatch(/Prometheus unavailable for \d+s: prometheus timed out after 4s — showing values from \d+s ago/);
    expect(cell(html, 'db')).toBe(`7 d ${floorPercent(expected.db['7d'])} · 30 d ${floorPercent(expected.db['30d'])}`);
    // Requests went on during every hung fetch (each 4 s); had one waited on Prometheus it would have taken seconds.
    expect(times.length).toBeGreaterThan(5);
    expect(Math.max(...times)).toBeLessThan(2_000);
    // Back once it answers.
    await statusUntil((h) => source(h).includes('data-state="ok"'), 30_000);
  }, 70_000);

  it('a reload with a wrong password: restarts the fetcher; HTTP 401 on the page, old values dropped, the password nowhere', async () => {
    writeConfig(`${USER}:${WRONG_PASSWORD}`);
    vitals!.kill('SIGHUP');
    const html = await statusUntil((h) => source(h).includes('HTTP 401'), 30_000);
    expect(source(html)).toContain('HTTP 401: credentials rejected (check bearerToken / headers) — no values yet');
    expect(cell(html, 'db')).toBe('7 d unavailable · 30 d unavailable');
    for (const text of [html, (await page('/diagnostics')).body, vitals!.stdout(), vitals!.stderr()]) expect(text).not.toContain(WRONG_PASSWORD);
  }, 40_000);

  it('Prometheus gone: prometheus unreachable: ECONNREFUSED, and the page still renders', async () => {
    await prometheus!.stop(5_000);
    const html = await statusUntil((h) => source(h).includes('prometheus unreachable: ECONNREFUSED'), 30_000);
    expect(html).toContain('data-probe="db"');
    const db = await page('/status/db');
    expect(db.status).toBe(200);
    expect(db.body).toContain('prometheus unreachable: ECONNREFUSED');
  }, 40_000);

  it('an invalid statusPage.prometheus is a config error with its path, exit 2', () => {
    const bad = join(scratch, 'bad.yaml');
    writeFileSync(bad, stringify({ statusPage: { prometheus: { url: 'http://p:9090', interval: '30s', timeout: '1m', selector: 'job=vitals' } }, probes: [] }));
    const run = spawnSync(process.execPath, [CLI, 'config', 'validate', '--config', bad], { env: { PATH: process.env.PATH }, encoding: 'utf8', timeout: 30_000 });
    expect(run.status).toBe(2);
    expect(run.stderr).toContain('statusPage.prometheus.selector: must be PromQL label matchers in braces');
  }, 40_000);
});
