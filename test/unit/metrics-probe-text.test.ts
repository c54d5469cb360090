import { spawnSync } from 'node:child_process';
import { afterEach, describe, expect, it } from 'vitest';
import type { LifecycleState, ProbeSnapshot } from '../../src/core/state.js';
import type { ProbeResult } from '../../src/core/types.js';
import { escapeLabelValue } from '../../src/metrics/exposition.js';
import { createMetrics, type VitalsMetrics } from '../../src/metrics/metrics.js';
import { ProbeExposition } from '../../src/metrics/probe-exposition.js';
import { FakeState, configFor, result, snapshot } from '../support/fake-state.js';
import { parseExposition } from '../support/prom-text.js';
import { findTool } from '../deploy/tools.js';

/**
 * The per-probe text of /metrics (src/metrics/probe-exposition.ts): what a
 * run, the clock, a reload and hostile label values do to the text kept
 * between scrapes.
 */

const T0 = 1_700_000_000_000;

/** A FakeState whose probe list a test can shrink, as a reload's scheduler.remove() does. */
class ReloadableState extends FakeState {
  readonly removed = new Set<string>();
  override list(): readonly ProbeSnapshot[] {
    return super.list().filter((p) => !this.removed.has(p.name));
  }
}

const opened: VitalsMetrics[] = [];
afterEach(() => {
  for (const m of opened.splice(0)) m.close();
});

function setup(probes: ProbeSnapshot[] = [snapshot({ name: 'db', type: 'postgres' }), snapshot({ name: 'cache', type: 'redis' })]) {
  const state = new ReloadableState(probes);
  const clock = { now: T0 };
  const lifecycle: LifecycleState = { shuttingDown: false, startedAt: T0 };
  const metrics = createMetrics({ state, config: configFor(probes), lifecycle: () => lifecycle, version: '1.0.0', now: () => clock.now });
  opened.push(metrics);
  const run = (name: string, status: ProbeResult['status'], extra: Partial<ProbeResult> = {}, next: Partial<ProbeSnapshot> = {}) => {
    const before = state.get(name)!;
    const finished = result(status, clock.now, extra);
    const state2 = next.state ?? (status === 'fail' ? before.state : 'healthy');
    state.emit({
      snapshot: {
        ...before,
        state: state2,
        last: finished,
        lastRun: clock.now,
        ...(status === 'fail' ? {} : { lastSuccess: clock.now }),
        consecutiveFailures: status === 'fail' ? before.consecutiveFailures + 1 : 0,
        transitions: before.transitions + (state2 === before.state ? 0 : 1),
        ...next,
      },
      result: finished,
      previousState: before.state,
    });
  };
  return { state, clock, metrics, run };
}

/** The sample lines of one probe (everything labelled probe="name"), in order. */
const linesOf = (text: string, probe: string): string[] => text.split('\n').filter((l) => l.includes(`probe="${probe}"`));

/**
 * What promtool also insists on: one HELP and one TYPE per family, before
 * its samples, and all samples of a family contiguous; no sample twice.
 */
function expectWellFormed(text: string): void {
  const problems: string[] = [];
  const finished = new Set<string>();
  const samples = new Set<string>();
  let current: string | undefined;
  const family = (sample: string): string => sample.replace(/_(bucket|sum|count)$/, '');
  for (const line of text.split('\n')) {
    if (line === '') continue;
    const header = /^# (HELP|TYPE) (\S+)/.exec(line);
    const name = header?.[2] ?? family(/^[^{ ]+/.exec(line)?.[0] ?? line);
    if (name !== current) {
      if (finished.has(name)) problems.push(`${name} appears in two places`);
      if (current !== undefined) finished.add(current);
      current = name;
    }
    if (header === null) {
      const key = line.slice(0, line.lastIndexOf(' '));
      if (samples.has(key)) problems.push(`duplicate sample ${key}`);
      samples.add(key);
    }
  }
  expect(problems).toEqual([]);
}

describe('per-probe text of /metrics', () => {
  it("a probe's run rewrites its own lines and leaves every other probe's lines as they were", async () => {
    const { metrics, run, clock } = setup();
    run('db', 'pass', { durationMs: 4 });
    run('cache', 'pass', { durationMs: 2 });
    const before = await metrics.render();
    clock.now += 1_000;
    run('db', 'fail', { reason: 'timeout', durationMs: 2_000 });
    const after = await metrics.render();
    expect(linesOf(after, 'cache')).toEqual(linesOf(before, 'cache'));
    expect(linesOf(after, 'db')).not.toEqual(linesOf(before, 'db'));
    const m = parseExposition(after);
    expect(m.value('vitals_probe_runs_total', { probe: 'db', result: 'fail' })).toBe(1);
    expect(m.value('vitals_probe_failures_total', { probe: 'db', reason: 'timeout' })).toBe(1);
    expect(m.value('vitals_probe_duration_seconds_bucket', { probe: 'db', le: '2.5' })).toBe(2);
    expect(m.value('vitals_probe_duration_seconds_bucket', { probe: 'db', le: '1' })).toBe(1);
    expect(m.value('vitals_probe_up', { probe: 'db' })).toBe(0);
    expect(m.value('vitals_probe_last_run_timestamp_seconds', { probe: 'db' })).toBe((T0 + 1_000) / 1000);
    expect(m.value('vitals_probe_up', { probe: 'cache' })).toBe(1);
    expectWellFormed(after);
  });

  it('time alone turns a kept view stale: up and status change without any run', async () => {
    const { metrics, run, clock } = setup();
    run('db', 'pass');
    run('cache', 'pass');
    expect(parseExposition(await metrics.render()).value('vitals_probe_up', { probe: 'db' })).toBe(1);
    clock.now += 3 * 10_000 + 1; // the interval is 10 s: stale after 3
    const m = parseExposition(await metrics.render());
    expect(m.value('vitals_probe_up', { probe: 'db' })).toBe(0);
    expect(m.value('vitals_probe_status', { probe: 'db', status: 'fail' })).toBe(1);
    expect(m.value('vitals_probe_status', { probe: 'db', status: 'pass' })).toBe(0);
  });

  it('a dependency failing marks the dependent without a run of the dependent', async () => {
    const probes = [snapshot({ name: 'net', type: 'tcp' }), snapshot({ name: 'api', type: 'http', dependsOn: ['net'] })];
    const { metrics, run } = setup(probes);
    run('net', 'pass');
    run('api', 'fail', { reason: 'refused' });
    expect(parseExposition(await metrics.render()).value('vitals_probe_dependency_failing', { probe: 'api' })).toBe(0);
    run('net', 'fail', { reason: 'refused' });
    const m = parseExposition(await metrics.render());
    expect(m.value('vitals_probe_dependency_failing', { probe: 'api' })).toBe(1);
    expect(m.value('vitals_probe_dependency_failing', { probe: 'net' })).toBe(0);
  });

  it('a scrape with nothing changed returns the very bytes of the one before', async () => {
    const probes = Array.from({ length: 200 }, (_, i) => snapshot({ name: `p${i}` }));
    const state = new FakeState(probes);
    const exposition = new ProbeExposition({}, probes);
    state.onRun((event) => exposition.record(event));
    const input = () => ({ probes: state.list(), lifecycle: { startedAt: T0 }, now: T0 });
    const first = await exposition.render(input());
    const second = await exposition.render(input());
    expect(second).toHaveLength(first.length);
    second.forEach((piece, i) => expect(piece).toBe(first[i]));
    // A run of the last probe: the pieces of the first probes (another block) are still the same objects.
    const finished = result('pass', T0);
    state.emit({ snapshot: { ...probes[199]!, state: 'healthy', last: finished, lastRun: T0 }, result: finished, previousState: 'unknown' });
    const third = await exposition.render(input());
    const text = Buffer.concat(third).toString();
    expect(parseExposition(text).value('vitals_probe_runs_total', { probe: 'p199', result: 'pass' })).toBe(1);
    expect(third.filter((piece, i) => piece === second[i]).length).toBeGreaterThan(third.length / 2);
    expect(third).not.toEqual(second);
  });

  it('a removed probe disappears (every family); kept probes keep counting; one that comes back starts at 0', async () => {
    const { metrics, run, state } = setup();
    run('db', 'pass');
    run('cache', 'fail', { reason: 'refused' });
    run('cache', 'fail', { reason: 'refused' });
    await metrics.render();

    // A reload removes cache: the scheduler drops it, then metrics sync.
    state.removed.add('cache');
    metrics.syncProbes([{ name: 'db', type: 'postgres' }]);
    let text = await metrics.render();
    expect(linesOf(text, 'cache')).toEqual([]);
    expectWellFormed(text);
    run('db', 'pass');
    let m = parseExposition(await metrics.render());
    expect(m.value('vitals_probe_runs_total', { probe: 'db', result: 'pass' })).toBe(2);

    // It comes back: a new series, counted from 0.
    state.removed.delete('cache');
    state.update('cache', { state: 'unknown', transitions: 0 });
    metrics.syncProbes([{ name: 'db', type: 'postgres' }, { name: 'cache', type: 'redis' }]);
    m = parseExposition(await metrics.render());
    expect(m.value('vitals_probe_runs_total', { probe: 'cache', result: 'fail' })).toBe(0);
    expect(m.value('vitals_probe_failures_total', { probe: 'cache', reason: 'refused' })).toBe(0);
    expect(m.value('vitals_probe_runs_total', { probe: 'db', result: 'pass' })).toBe(2);

    // Same name, other type: the old label set is gone, the new one starts at 0.
    state.update('cache', { type: 'tcp' });
    metrics.syncProbes([{ name: 'db', type: 'postgres' }, { name: 'cache', type: 'tcp' }]);
    text = await metrics.render();
    expect(text).not.toContain('probe="cache",type="redis"');
    expect(parseExposition(text).value('vitals_probe_runs_total', { probe: 'cache', type: 'tcp', result: 'fail' })).toBe(0);
  });

  it('a reload that keeps a probe (same name and type) keeps its counters monotonic', async () => {
    const { metrics, run, state } = setup();
    run('db', 'pass');
    run('db', 'fail', { reason: 'auth' });
    // A reload changed db's interval: same name and type.
    state.update('db', { intervalMs: 30_000 });
    metrics.syncProbes([{ name: 'db', type: 'postgres' }, { name: 'cache', type: 'redis' }]);
    run('db', 'pass');
    const m = parseExposition(await metrics.render());
    expect(m.value('vitals_probe_runs_total', { probe: 'db', result: 'pass' })).toBe(2);
    expect(m.value('vitals_probe_failures_total', { probe: 'db', reason: 'auth' })).toBe(1);
    expect(m.value('vitals_probe_duration_seconds_count', { probe: 'db' })).toBe(3);
    expect(m.value('vitals_probe_interval_seconds', { probe: 'db' })).toBe(30);
  });

  it('escapes quotes, backslashes and line feeds in label values', async () => {
    expect(escapeLabelValue('a"b\\c\nd')).toBe('a\\"b\\\\c\\nd');
    expect(escapeLabelValue('plain')).toBe('plain');
    const { metrics, run } = setup();
    // Measurement names are free text (a custom probe's); units come from a fixed vocabulary.
    const measurement = 'say "hi"\\path\nnext µs';
    run('db', 'pass', {
      observations: [
        { measurement, value: 7, unit: 'ms' },
        { measurement: 'back\\slash', value: 1 },
      ],
    });
    const text = await metrics.render();
    expect(text).toContain('measurement="say \\"hi\\"\\\\path\\nnext µs",unit="ms"} 7\n');
    const m = parseExposition(text);
    expect(m.value('vitals_probe_observed_value', { probe: 'db', measurement, unit: 'ms' })).toBe(7);
    expect(m.value('vitals_probe_observed_value', { probe: 'db', measurement: 'back\\slash', unit: '' })).toBe(1);
    expectWellFormed(text);
    // And the parser Prometheus itself uses (scripts/install-test-deps.sh installs promtool; no skip when it is missing).
    const promtool = findTool('promtool');
    expect(promtool, 'promtool not found: apt-get install prometheus').not.toBeNull();
    const check = spawnSync(promtool!, ['check', 'metrics'], { input: text, encoding: 'utf8', timeout: 30_000 });
    expect(`${check.stdout}${check.stderr}`).not.toMatch(/error|invalid|duplicate/i);
    expect(check.status).toBe(0);
  });

  it('a measurement reported twice in one run is one sample (its last value), not a duplicate', async () => {
    const { metrics, run } = setup();
    run('db', 'pass', {
      observations: [
        { measurement: 'lag', value: 1, unit: 'ms' },
        { measurement: 'lag', value: 2, unit: 'ms' },
      ],
    });
    const text = await metrics.render();
    expectWellFormed(text);
    expect(parseExposition(text).value('vitals_probe_observed_value', { probe: 'db', measurement: 'lag' })).toBe(2);
  });

  it('a run during a scrape (between its slices) and a scrape started then: both well-formed, counters monotonic', async () => {
    const probes = Array.from({ length: 2_000 }, (_, i) => snapshot({ name: `p${i}` }));
    const { metrics, run } = setup(probes);
    let during = false;
    const first = metrics.render().then((text) => ({ text, during }));
    // A first scrape of 2,000 probes takes well over one 5 ms slice: this runs while it is suspended.
    const second = new Promise<string>((resolve) => {
      setImmediate(() => {
        during = true;
        run('p1999', 'pass');
        resolve(metrics.render());
      });
    });
    const [a, b] = await Promise.all([first, second]);
    expect(a.during).toBe(true);
    expectWellFormed(a.text);
    expectWellFormed(b);
    // One sample line (parsing 80,000 lines to read it would be most of this test's time).
    const count = (text: string) => Number(/^vitals_probe_runs_total\{probe="p1999",type="tcp",result="pass"\} (\d+)$/m.exec(text)?.[1]);
    expect(count(b)).toBe(1);
    expect(count(a.text)).toBeLessThanOrEqual(count(b));
  });

  it('a first scrape of many probes yields to the event loop between slices', async () => {
    const probes = Array.from({ length: 5_000 }, (_, i) => snapshot({ name: `p${i}` }));
    const { metrics } = setup(probes);
    let ticked = false;
    const rendering = metrics.render().then((text) => ({ text, tickedBefore: ticked }));
    setImmediate(() => {
      ticked = true;
    });
    const { text, tickedBefore } = await rendering;
    expect(tickedBefore).toBe(true);
    expect(linesOf(text, 'p4999').length).toBeGreaterThan(0);
  });
});
