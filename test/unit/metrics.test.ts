import { register as globalRegister } from 'prom-client';
import { afterEach, describe, expect, it } from 'vitest';
import type { LifecycleState, ProbeSnapshot } from '../../src/core/state.js';
import { PROBE_STATES, REASONS, type ProbeResult } from '../../src/core/types.js';
import { DURATION_BUCKETS, createMetrics, type VitalsMetrics } from '../../src/metrics/metrics.js';
import { FakeState, configFor, result, snapshot } from '../support/fake-state.js';
import { parseExposition } from '../support/prom-text.js';

const T0 = 1_700_000_000_000;

function setup(options: { lifecycle?: LifecycleState; skippedRuns?: (probe: string) => number } = {}) {
  const probes = [
    snapshot({ name: 'db', type: 'postgres', componentType: 'datastore' }),
    snapshot({ name: 'loop', type: 'eventloop', componentType: 'system', groups: ['live'] }),
    snapshot({ name: 'site', type: 'tls', critical: false, intervalMs: 60_000 }),
  ];
  const state = new FakeState(probes);
  const clock = { now: T0 };
  let lifecycle: LifecycleState = options.lifecycle ?? { shuttingDown: false, startedAt: T0 };
  const metrics = createMetrics({
    state,
    config: configFor(probes),
    lifecycle: () => lifecycle,
    version: '1.2.3',
    now: () => clock.now,
    ...(options.skippedRuns === undefined ? {} : { skippedRuns: options.skippedRuns }),
  });
  opened.push(metrics);
  const scrape = async () => parseExposition(await metrics.render());
  const setLifecycle = (next: LifecycleState) => {
    lifecycle = next;
  };
  /** Play a finished run of `name` that ends at the current clock. */
  const run = (name: string, status: ProbeResult['status'], next: Partial<ProbeSnapshot>, extra: Partial<ProbeResult> = {}) => {
    const before = state.get(name)!;
    const finished = result(status, clock.now, extra);
    const after: ProbeSnapshot = {
      ...before,
      last: finished,
      lastRun: clock.now,
      ...(status === 'fail' ? {} : { lastSuccess: clock.now }),
      consecutiveFailures: status === 'fail' ? before.consecutiveFailures + 1 : 0,
      ...next,
    };
    const changed = after.state !== before.state;
    const withTransitions = { ...after, transitions: before.transitions + (changed ? 1 : 0) };
    state.emit({ snapshot: withTransitions, result: finished, previousState: before.state });
  };
  return { state, metrics, clock, scrape, run, setLifecycle };
}

const opened: VitalsMetrics[] = [];
afterEach(() => {
  for (const m of opened.splice(0)) m.close();
});

describe('metrics: series present from the first scrape', () => {
  it('initialises every probe series, counters at 0 for every label value', async () => {
    const { scrape } = setup();
    const m = await scrape();
    for (const probe of [
      { probe: 'db', type: 'postgres' },
      { probe: 'loop', type: 'eventloop' },
      { probe: 'site', type: 'tls' },
    ]) {
      for (const result of ['pass', 'warn', 'fail']) {
        expect(m.value('vitals_probe_runs_total', { ...probe, result })).toBe(0);
        expect(m.value('vitals_probe_status', { ...probe, status: result })).toBe(0);
      }
      for (const reason of REASONS) expect(m.value('vitals_probe_failures_total', { ...probe, reason })).toBe(0);
      for (const state of PROBE_STATES) {
        expect(m.value('vitals_probe_state', { ...probe, state })).toBe(state === 'unknown' ? 1 : 0);
      }
      expect(m.value('vitals_probe_transitions_total', probe)).toBe(0);
      expect(m.value('vitals_probe_up', probe)).toBe(0);
      expect(m.value('vitals_probe_consecutive_failures', probe)).toBe(0);
      expect(m.value('vitals_probe_duration_seconds_count', probe)).toBe(0);
      expect(m.find('vitals_probe_last_run_timestamp_seconds', probe)).toEqual([]);
      expect(m.find('vitals_probe_last_success_timestamp_seconds', probe)).toEqual([]);
    }
    expect(m.value('vitals_probe_critical', { probe: 'db' })).toBe(1);
    expect(m.value('vitals_probe_critical', { probe: 'site' })).toBe(0);
    expect(m.value('vitals_probe_interval_seconds', { probe: 'site' })).toBe(60);
    expect(m.find('vitals_probe_observed_value')).toEqual([]);
    expect(m.find('vitals_tls_cert_expiry_timestamp_seconds')).toEqual([]);
    // Not one ready probe has run: readiness is held at starting; liveness is not.
    expect(m.value('vitals_ready')).toBe(0);
    expect(m.value('vitals_live')).toBe(1);
    expect(m.value('vitals_maintenance')).toBe(0);
    expect(m.value('vitals_build_info', { version: '1.2.3', node_version: process.version })).toBe(1);
  });

  it('declares the contract kinds and the duration buckets', async () => {
    const { scrape } = setup();
    const m = await scrape();
    expect(m.types.get('vitals_probe_duration_seconds')).toBe('histogram');
    for (const counter of ['vitals_probe_runs_total', 'vitals_probe_failures_total', 'vitals_probe_transitions_total']) {
      expect(m.types.get(counter)).toBe('counter');
    }
    for (const gauge of [
      'vitals_probe_up', 'vitals_probe_status', 'vitals_probe_state', 'vitals_probe_critical',
      'vitals_probe_consecutive_failures', 'vitals_probe_last_run_timestamp_seconds',
      'vitals_probe_last_success_timestamp_seconds', 'vitals_probe_observed_value',
      'vitals_tls_cert_expiry_timestamp_seconds', 'vitals_ready', 'vitals_live', 'vitals_maintenance',
      'vitals_build_info',
    ]) {
      expect(m.types.get(gauge), gauge).toBe('gauge');
    }
    const buckets = m.find('vitals_probe_duration_seconds_bucket', { probe: 'db' }).map((s) => s.labels.le);
    expect(buckets).toEqual([...DURATION_BUCKETS.map(String), '+Inf']);
  });

  it('registers prom-client default process metrics on its own registry, never the global one', async () => {
    const { scrape, metrics } = setup();
    const m = await scrape();
    expect(m.find('process_cpu_user_seconds_total').length).toBe(1);
    expect(m.find('nodejs_heap_size_used_bytes').length).toBe(1);
    expect(globalRegister.getSingleMetric('vitals_probe_up')).toBeUndefined();
    expect(metrics.registry).not.toBe(globalRegister);
    // A second instance in the same process does not collide.
    expect(() => setup()).not.toThrow();
    expect(metrics.contentType).toMatch(/^text\/plain; version=0\.0\.4/);
  });
});

describe('metrics: following runs', () => {
  it('counts runs, failures by reason, transitions and durations; gauges follow the latest snapshot', async () => {
    const { scrape, run, clock } = setup();
    const db = { probe: 'db', type: 'postgres' };

    run('db', 'pass', { state: 'healthy' }, {
      durationMs: 30,
      observations: [
        { measurement: 'responseTime', value: 30, unit: 'ms', status: 'pass' },
        { measurement: 'connectionsUtilization', value: 0.5, unit: 'ratio', status: 'pass' },
        { measurement: 'readOnly', value: false },
        { measurement: 'serverVersion', value: '15.4' },
        { measurement: 'addresses', value: ['127.0.0.1'] },
      ],
    });
    let m = await scrape();
    expect(m.value('vitals_probe_runs_total', { ...db, result: 'pass' })).toBe(1);
    expect(m.value('vitals_probe_transitions_total', db)).toBe(1);
    expect(m.value('vitals_probe_duration_seconds_count', db)).toBe(1);
    expect(m.value('vitals_probe_duration_seconds_sum', db)).toBeCloseTo(0.03);
    expect(m.value('vitals_probe_duration_seconds_bucket', { ...db, le: '0.025' })).toBe(0);
    expect(m.value('vitals_probe_duration_seconds_bucket', { ...db, le: '0.05' })).toBe(1);
    expect(m.value('vitals_probe_up', db)).toBe(1);
    expect(m.value('vitals_probe_status', { ...db, status: 'pass' })).toBe(1);
    expect(m.value('vitals_probe_state', { ...db, state: 'healthy' })).toBe(1);
    expect(m.value('vitals_probe_state', { ...db, state: 'unknown' })).toBe(0);
    expect(m.value('vitals_probe_last_run_timestamp_seconds', db)).toBe(T0 / 1000);
    expect(m.value('vitals_probe_last_success_timestamp_seconds', db)).toBe(T0 / 1000);
    expect(m.value('vitals_probe_observed_value', { ...db, measurement: 'responseTime', unit: 'ms' })).toBe(30);
    expect(m.value('vitals_probe_observed_value', { ...db, measurement: 'connectionsUtilization', unit: 'ratio' })).toBe(0.5);
    expect(m.value('vitals_probe_observed_value', { ...db, measurement: 'readOnly' })).toBe(0);
    expect(m.find('vitals_probe_observed_value', { measurement: 'serverVersion' })).toEqual([]);
    expect(m.find('vitals_probe_observed_value', { measurement: 'addresses' })).toEqual([]);
    // site has not run: readiness still starting.
    expect(m.value('vitals_ready')).toBe(0);

    run('site', 'pass', { state: 'healthy' }, { certExpiry: 1_800_000_000 });
    m = await scrape();
    expect(m.value('vitals_ready')).toBe(1);
    expect(m.value('vitals_tls_cert_expiry_timestamp_seconds', { probe: 'site', type: 'tls' })).toBe(1_800_000_000);
    expect(m.find('vitals_tls_cert_expiry_timestamp_seconds', { probe: 'db' })).toEqual([]);

    // One failure: hysteresis keeps db healthy, but the last result is fail.
    clock.now += 10_000;
    run('db', 'fail', {}, { reason: 'auth', message: 'password authentication failed for postgres://app:hunter2@db' });
    m = await scrape();
    expect(m.value('vitals_probe_runs_total', { ...db, result: 'fail' })).toBe(1);
    expect(m.value('vitals_probe_failures_total', { ...db, reason: 'auth' })).toBe(1);
    expect(m.value('vitals_probe_failures_total', { ...db, reason: 'refused' })).toBe(0);
    expect(m.value('vitals_probe_transitions_total', db)).toBe(1);
    expect(m.value('vitals_probe_up', db)).toBe(0);
    expect(m.value('vitals_probe_status', { ...db, status: 'fail' })).toBe(1);
    expect(m.value('vitals_probe_status', { ...db, status: 'pass' })).toBe(0);
    expect(m.value('vitals_probe_state', { ...db, state: 'healthy' })).toBe(1);
    expect(m.value('vitals_probe_consecutive_failures', db)).toBe(1);
    expect(m.value('vitals_probe_last_run_timestamp_seconds', db)).toBe((T0 + 10_000) / 1000);
    expect(m.value('vitals_probe_last_success_timestamp_seconds', db)).toBe(T0 / 1000);
    expect(m.find('vitals_probe_observed_value', db)).toEqual([]);
    expect(m.value('vitals_ready')).toBe(1);

    // The second failure crosses the threshold.
    run('db', 'fail', { state: 'unhealthy' }, { reason: 'auth' });
    m = await scrape();
    expect(m.value('vitals_probe_failures_total', { ...db, reason: 'auth' })).toBe(2);
    expect(m.value('vitals_probe_transitions_total', db)).toBe(2);
    expect(m.value('vitals_probe_state', { ...db, state: 'unhealthy' })).toBe(1);
    expect(m.value('vitals_ready')).toBe(0);
    expect(m.value('vitals_live')).toBe(1);

    // A failed TLS run keeps the last known expiry (the alert must not flap with reachability).
    run('site', 'fail', {}, { reason: 'timeout' });
    m = await scrape();
    expect(m.value('vitals_tls_cert_expiry_timestamp_seconds', { probe: 'site' })).toBe(1_800_000_000);

    // A failed run that did see the certificate (expired, untrusted) updates it.
    run('site', 'fail', {}, { reason: 'tls', certExpiry: 1_600_000_000 });
    m = await scrape();
    expect(m.value('vitals_tls_cert_expiry_timestamp_seconds', { probe: 'site' })).toBe(1_600_000_000);
  });

  it('never puts a message, secret or free text into the exposition', async () => {
    const { scrape, run } = setup();
    run('db', 'fail', { state: 'unhealthy' }, {
      reason: 'auth',
      message: 'password authentication failed for postgres://app:hunter2@db.internal',
      hint: 'check the password',
      info: { server: 'db.internal' },
    });
    const text = (await scrape()).samples.map((s) => JSON.stringify(s)).join('\n');
    expect(text).not.toContain('hunter2');
    expect(text).not.toContain('db.internal');
  });

  it('counts a warn as a failure by its reason and as up', async () => {
    const { scrape, run } = setup();
    run('db', 'warn', { state: 'degraded' }, { reason: 'threshold', message: 'connections at 85%', hint: 'raise max_connections' });
    const m = await scrape();
    expect(m.value('vitals_probe_failures_total', { probe: 'db', reason: 'threshold' })).toBe(1);
    expect(m.value('vitals_probe_runs_total', { probe: 'db', result: 'warn' })).toBe(1);
    expect(m.value('vitals_probe_up', { probe: 'db' })).toBe(1);
    expect(m.value('vitals_probe_status', { probe: 'db', status: 'warn' })).toBe(1);
  });

  it('follows the last result, not hysteresis: recovering with a passing run is up 1, status pass (CONTRACT §6)', async () => {
    const { scrape, run } = setup();
    run('db', 'pass', { state: 'recovering' });
    const m = await scrape();
    expect(m.value('vitals_probe_up', { probe: 'db' })).toBe(1);
    expect(m.value('vitals_probe_status', { probe: 'db', status: 'pass' })).toBe(1);
    expect(m.value('vitals_probe_status', { probe: 'db', status: 'fail' })).toBe(0);
    expect(m.value('vitals_probe_state', { probe: 'db', state: 'recovering' })).toBe(1);
  });

  it('a healthy probe whose last run failed is down with status fail, state still healthy', async () => {
    const { scrape, run } = setup();
    run('db', 'fail', { state: 'healthy' }, { reason: 'timeout', message: 'no answer', hint: 'check' });
    const m = await scrape();
    expect(m.value('vitals_probe_up', { probe: 'db' })).toBe(0);
    expect(m.value('vitals_probe_status', { probe: 'db', status: 'fail' })).toBe(1);
    expect(m.value('vitals_probe_state', { probe: 'db', state: 'healthy' })).toBe(1);
  });

  it('a stale probe scrapes as down and failing, and readiness drops', async () => {
    const { scrape, run, clock } = setup();
    run('db', 'pass', { state: 'healthy' });
    run('site', 'pass', { state: 'healthy' });
    expect((await scrape()).value('vitals_ready')).toBe(1);
    clock.now += 3 * 10_000 + 1; // db interval is 10 s
    const m = await scrape();
    expect(m.value('vitals_probe_up', { probe: 'db' })).toBe(0);
    expect(m.value('vitals_probe_status', { probe: 'db', status: 'fail' })).toBe(1);
    expect(m.value('vitals_probe_up', { probe: 'site' })).toBe(1);
    expect(m.value('vitals_ready')).toBe(0);
  });

  it('maintenance and shutdown drop readiness only', async () => {
    const { scrape, run, setLifecycle, clock } = setup();
    run('db', 'pass', { state: 'healthy' });
    run('site', 'pass', { state: 'healthy' });
    run('loop', 'pass', { state: 'healthy' });
    setLifecycle({ shuttingDown: false, startedAt: T0, maintenance: { reason: 'upgrade', since: T0, until: T0 + 20_000 } });
    let m = await scrape();
    expect([m.value('vitals_maintenance'), m.value('vitals_ready'), m.value('vitals_live')]).toEqual([1, 0, 1]);
    clock.now = T0 + 20_000; // TTL over, even if nothing cleared it yet
    m = await scrape();
    expect([m.value('vitals_maintenance'), m.value('vitals_ready'), m.value('vitals_live')]).toEqual([0, 1, 1]);
    setLifecycle({ shuttingDown: true, startedAt: T0 });
    m = await scrape();
    expect([m.value('vitals_maintenance'), m.value('vitals_ready'), m.value('vitals_live')]).toEqual([0, 0, 1]);
  });

  it('close() unsubscribes from runs', async () => {
    const { scrape, run, metrics, state } = setup();
    expect(state.listenerCount).toBe(1);
    metrics.close();
    expect(state.listenerCount).toBe(0);
    run('db', 'pass', { state: 'healthy' });
    expect((await scrape()).value('vitals_probe_runs_total', { probe: 'db', result: 'pass' })).toBe(0);
  });

  it('exposes the skipped grid slots of the scheduler per probe, when given, as a counter', async () => {
    const skipped = new Map([['db', 3]]);
    const { scrape } = setup({ skippedRuns: (name) => skipped.get(name) ?? 0 });
    let m = await scrape();
    expect(m.types.get('vitals_probe_skipped_runs_total')).toBe('counter');
    expect(m.value('vitals_probe_skipped_runs_total', { probe: 'db', type: 'postgres' })).toBe(3);
    expect(m.value('vitals_probe_skipped_runs_total', { probe: 'site', type: 'tls' })).toBe(0);
    skipped.set('db', 5);
    m = await scrape();
    expect(m.value('vitals_probe_skipped_runs_total', { probe: 'db', type: 'postgres' })).toBe(5);
    expect((await setup().scrape()).types.has('vitals_probe_skipped_runs_total')).toBe(false);
  });
});
