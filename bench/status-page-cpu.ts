// CPU per /status and /status/{probe} request, HTML and the JSON view the
// pages' script polls (?format=json), with N probes, each with 24 h of
// per-minute history and 50 runs: app.inject in a loop (no sockets), CPU time
// from process.cpuUsage. /status is cached for 1 s: "rendered" moves the clock
// past the cache before every request (each one renders), "cached" does not.
// /status/{probe} is not cached. Bounded: 2 sizes × 8 cases × ROUNDS requests.
// Sizes are as sent (gzip cases: compressed).
//   npx tsx bench/status-page-cpu.ts
// BENCH_LONG_UPTIME=1: with statusPage.prometheus answered (7 d / 30 d per probe) on both pages.
import { buildApp } from '../src/http/app.js';
import { createMetrics } from '../src/metrics/metrics.js';
import type { LifecycleState } from '../src/core/state.js';
import type { ProbeState } from '../src/core/types.js';
import type { LongUptimeSnapshot } from '../src/status/prometheus-uptime.js';
import { FakeState, configFor, result, snapshot } from '../test/support/fake-state.js';

/** The scheduler keeps the last 50 runs per probe; FakeState keeps all, so cap it like the real one. */
class FiftyRunState extends FakeState {
  override history(name: string) {
    return super.history(name).slice(-50);
  }
}

const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 50);
const NOW = Date.UTC(2026, 11, 1, 12);

async function measure(probes: number): Promise<void> {
  const snaps = Array.from({ length: probes }, (_, i) => snapshot({ name: `probe-${String(i).padStart(4, '0')}`, intervalMs: 60_000 }));
  const state = new FiftyRunState(snaps);
  const config = configFor(snaps, {});
  const lifecycle = { shuttingDown: false, startedAt: NOW - 86_400_000 } as LifecycleState;
  const clock = { now: NOW };
  const metrics = createMetrics({ state, config, lifecycle: () => lifecycle, version: 'bench', now: () => clock.now });
  const values = new Map(snaps.map((p, i) => [p.name, 1 - i / 100_000]));
  const longUptime: LongUptimeSnapshot = { pending: false, windows: [{ label: '7d', values, fetchedAt: NOW }, { label: '30d', values, fetchedAt: NOW }] };
  const app = buildApp({
    config, state, lifecycle: () => lifecycle, metrics, version: 'bench', now: () => clock.now,
    statusRateLimit: { max: 1_000_000, timeWindowMs: 1_000 },
    ...(process.env.BENCH_LONG_UPTIME === '1' ? { longUptime: () => longUptime } : {}),
  });
  await app.ready();
  // 24 h of one run a minute per probe, failing 10 minutes an hour: history on every page.
  for (const s of snaps) {
    let previous: ProbeState = 'unknown';
    for (let m = 1440; m >= 1; m -= 1) {
      const at = NOW - m * 60_000;
      const fail = m % 60 < 10;
      const to: ProbeState = fail ? 'unhealthy' : 'healthy';
      const r = fail ? result('fail', at, { durationMs: 2_000, reason: 'timeout' }) : result('pass', at, { durationMs: 4 });
      state.emit({ snapshot: { ...s, state: to, last: r, lastRun: at }, result: r, previousState: previous });
      previous = to;
    }
  }
  const probe = `/status/${snaps[0]!.name}`;
  const cases = [
    { label: '/status rendered', url: '/status', render: true },
    { label: '/status cached', url: '/status', render: false },
    { label: '/status?format=json rendered', url: '/status?format=json', render: true },
    { label: '/status?format=json cached', url: '/status?format=json', render: false },
    { label: '/status?format=json rendered, gzip', url: '/status?format=json', render: true, gzip: true },
    { label: '/status?format=json cached, gzip', url: '/status?format=json', render: false, gzip: true },
    { label: '/status/{probe}', url: probe, render: true },
    { label: '/status/{probe}?format=json', url: `${probe}?format=json`, render: true },
  ];
  for (const { label, url, render, gzip } of cases) {
    const headers = gzip === true ? { 'accept-encoding': 'gzip' } : {};
    const first = await app.inject({ method: 'GET', url, remoteAddress: '127.0.0.9', headers });
    const start = process.cpuUsage();
    for (let i = 0; i < ROUNDS; i += 1) {
      // Within the 24 h the history covers: 1.001 s per request, 50 rounds < 1 min.
      if (render) clock.now += 1_001;
      // The rate limit is lifted above: it must not answer 429 instead (it still runs, as in production).
      const response = await app.inject({ method: 'GET', url, remoteAddress: '127.0.0.10', headers });
      if (response.statusCode !== 200) throw new Error(`${url}: ${response.statusCode}`);
    }
    const used = process.cpuUsage(start);
    console.log(`${probes} probes ${label}: ${((used.user + used.system) / 1000 / ROUNDS).toFixed(2)} ms CPU per request, ${(first.rawPayload.length / 1024).toFixed(1)} KiB`);
  }
  await app.close();
}

await measure(10);
await measure(1_000);
