// CPU per /status and /status/{probe} request with N probes, each with 24 h of
// per-minute history and 50 runs: app.inject in a loop (no sockets), CPU time
// from process.cpuUsage. Bounded: 2 sizes × 2 routes × ROUNDS requests.
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
  const metrics = createMetrics({ state, config, lifecycle: () => lifecycle, version: 'bench', now: () => NOW });
  const values = new Map(snaps.map((p, i) => [p.name, 1 - i / 100_000]));
  const longUptime: LongUptimeSnapshot = { pending: false, windows: [{ label: '7d', values, fetchedAt: NOW }, { label: '30d', values, fetchedAt: NOW }] };
  const app = buildApp({
    config, state, lifecycle: () => lifecycle, metrics, version: 'bench', now: () => NOW,
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
  for (const url of ['/status', `/status/${snaps[0]!.name}`]) {
    await app.inject({ method: 'GET', url, remoteAddress: '127.0.0.9' });
    const start = process.cpuUsage();
    for (let i = 0; i < ROUNDS; i += 1) {
      // Each request from its own address: the per-client rate limit must not answer 429 instead.
      const response = await app.inject({ method: 'GET', url, remoteAddress: `127.0.${Math.floor(i / 250)}.${i % 250}` });
      if (response.statusCode !== 200) throw new Error(`${url}: ${response.statusCode}`);
    }
    const used = process.cpuUsage(start);
    console.log(`${probes} probes ${url.startsWith('/status/') ? '/status/{probe}' : '/status'}: ${((used.user + used.system) / 1000 / ROUNDS).toFixed(2)} ms CPU per request`);
  }
  await app.close();
}

await measure(10);
await measure(1_000);
