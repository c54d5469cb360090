// CPU per /metrics render with N probes, in process (no sockets, no HTTP):
// each probe has run once; then each round plays one finished run of one
// probe and renders (the common case at 1,000 probes on a 1 s interval: some
// probe always ran since the last scrape), after every probe ran (a 15 s
// scrape of probes on a 1 s interval), and with nothing changed. Also the longest event-loop block of one render (the gap
// between two setImmediate ticks around it) and the body size per probe.
// Bounded: 2 sizes × 3 cases × ROUNDS renders.
//   npx tsx bench/metrics-render.ts            (BENCH_ROUNDS, default 40; BENCH_WARMUP, default ROUNDS)
import { createMetrics } from '../src/metrics/metrics.js';
import type { LifecycleState, ProbeSnapshot } from '../src/core/state.js';
import { FakeState, configFor, result, snapshot } from '../test/support/fake-state.js';

const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 40);
/** Unmeasured renders per case before any case is measured. */
const WARMUP = Number(process.env.BENCH_WARMUP ?? ROUNDS);
const NOW = Date.UTC(2026, 11, 1, 12);

/** Longest gap between two consecutive setImmediate ticks while `work` runs: the event-loop block. */
async function longestBlock<T>(work: () => Promise<T>): Promise<{ value: T; blockMs: number }> {
  let last = performance.now();
  let longest = 0;
  let running = true;
  const tick = (): void => {
    const at = performance.now();
    longest = Math.max(longest, at - last);
    last = at;
    if (running) setImmediate(tick);
  };
  setImmediate(tick);
  await new Promise((resolve) => setImmediate(resolve));
  last = performance.now();
  const value = await work();
  running = false;
  tick();
  return { value, blockMs: longest };
}

const median = (values: number[]): number => [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)]!;

async function measure(probes: number): Promise<{ bytes: number }> {
  const snaps: ProbeSnapshot[] = Array.from({ length: probes }, (_, i) =>
    snapshot({ name: `probe-${String(i).padStart(4, '0')}`, type: i % 10 === 0 ? 'tls' : 'tcp', intervalMs: 1_000 }),
  );
  const state = new FakeState(snaps);
  const config = configFor(snaps, {});
  const lifecycle: LifecycleState = { shuttingDown: false, startedAt: NOW - 60_000 };
  let clock = NOW;
  const metrics = createMetrics({ state, config, lifecycle: () => lifecycle, version: 'bench', now: () => clock, skippedRuns: () => 0 });
  const play = (s: ProbeSnapshot, at: number): void => {
    const before = state.get(s.name)!;
    const r = result('pass', at, {
      durationMs: 3,
      observations: [{ measurement: 'connectTime', value: 3, unit: 'ms', status: 'pass' }],
      ...(s.type === 'tls' ? { certExpiry: 1_800_000_000 } : {}),
    });
    state.emit({
      snapshot: { ...before, state: 'healthy', last: r, lastRun: at, lastSuccess: at, transitions: before.transitions + (before.state === 'healthy' ? 0 : 1) },
      result: r,
      previousState: before.state,
    });
  };
  // What the route sends (bytes); the version before renderBytes() had only render().
  const bytes = (): Promise<Buffer> =>
    'renderBytes' in metrics ? metrics.renderBytes() : (metrics as { render(): Promise<string> }).render().then((text) => Buffer.from(text));
  for (const s of snaps) play(s, clock);
  const body = await bytes();
  await bytes();

  const cases: Array<[string, (i: number) => void]> = [
    ['after one run', (i) => {
      clock += 1;
      play(snaps[i % probes]!, clock);
    }],
    ['every probe ran', () => {
      clock += 1;
      for (const s of snaps) play(s, clock);
    }],
    ['nothing changed', () => {}],
  ];
  // Every case warmed up first: otherwise the case measured first also pays for
  // the JIT settling, which made "after one run" read more than "every probe ran".
  for (const [, before] of cases) {
    for (let i = 0; i < WARMUP; i += 1) {
      before(i);
      await bytes();
    }
  }
  for (const [label, before] of cases) {
    const cpu: number[] = [];
    const blocks: number[] = [];
    for (let i = 0; i < ROUNDS; i += 1) {
      before(i);
      const start = process.cpuUsage();
      const { blockMs } = await longestBlock(bytes);
      const used = process.cpuUsage(start);
      cpu.push((used.user + used.system) / 1000);
      blocks.push(blockMs);
    }
    console.log(
      `${String(probes).padStart(5)} probes, ${label.padEnd(16)}: CPU ms/render median ${median(cpu).toFixed(2)} (µs/probe ${((median(cpu) * 1000) / probes).toFixed(1)}), ` +
        `longest block median ${median(blocks).toFixed(2)} max ${Math.max(...blocks).toFixed(2)} ms`,
    );
  }
  metrics.close();
  return { bytes: Buffer.byteLength(body) };
}

const small = await measure(10);
const large = await measure(1_000);
console.log(`body: 10 probes ${small.bytes} B, 1000 probes ${large.bytes} B, per probe ${((large.bytes - small.bytes) / 990).toFixed(0)} B`);
