import { Counter, Gauge, Histogram, Registry } from 'prom-client';
import { evaluate } from '../core/evaluate.js';
import { maintenanceActive, probeView } from '../core/read-model.js';
import { registerProcessMetrics } from './process-metrics.js';
import type { LifecycleState, ProbeSnapshot, RunEvent, StateReader } from '../core/state.js';
import type { VitalsConfig } from '../core/settings.js';
import { PROBE_STATES, REASONS, STATUSES, type ProbeType } from '../core/types.js';

export interface MetricsDeps {
  state: StateReader;
  config: VitalsConfig;
  lifecycle: () => LifecycleState;
  version: string;
  /** Clock for scrape-time gauges (staleness, ready, live). Default Date.now. */
  now?: () => number;
  /** Grid slots a probe skipped because its previous run was still in flight (the scheduler's count). */
  skippedRuns?: (probe: string) => number;
}

export interface VitalsMetrics {
  /** This service's own registry (never prom-client's global one). */
  readonly registry: Registry;
  /** The Content-Type of `render()`: Prometheus text exposition 0.0.4. */
  readonly contentType: string;
  render(): Promise<string>;
  /** Stop listening to runs. The registry stays readable. */
  close(): void;
}

/** Probe run times: 5 ms to 10 s (timeouts are a few seconds at most). */
export const DURATION_BUCKETS = [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10];

type ProbeLabels = { probe: string; type: ProbeType };

/**
 * Every series of CONTRACT §6 on a registry of its own. Counters and the
 * duration histogram follow finished runs (state.onRun); gauges that depend
 * on the clock or the lifecycle (up, state, staleness, ready, live,
 * maintenance) are computed at scrape time so they are never out of date.
 * Label values come only from configuration and fixed vocabularies — never
 * from a request, never a secret.
 */
export function createMetrics(deps: MetricsDeps): VitalsMetrics {
  const { state, config, lifecycle, version } = deps;
  const now = deps.now ?? Date.now;
  const registry = new Registry();
  registerProcessMetrics(registry);
  const registers = [registry];
  const probeLabels = ['probe', 'type'] as const;
  const labelsOf = (p: { name: string; type: ProbeType }): ProbeLabels => ({ probe: p.name, type: p.type });

  /** Up and status follow the latest result (CONTRACT §6), not hysteresis; a stale probe counts as fail. */
  const views = (at: number) => {
    const life = lifecycle();
    return state.list().map((p) => ({ p, view: probeView(p, life, at) }));
  };

  new Gauge({
    name: 'vitals_probe_up',
    help: '1 if the last result was pass or warn (and is not stale), else 0',
    labelNames: probeLabels,
    registers,
    collect() {
      this.reset();
      for (const { p, view } of views(now())) this.set(labelsOf(p), view.up ? 1 : 0);
    },
  });

  new Gauge({
    name: 'vitals_probe_status',
    help: 'Last result, one-hot over pass, warn, fail (a stale probe counts as fail; all 0 before the first run)',
    labelNames: [...probeLabels, 'status'],
    registers,
    collect() {
      this.reset();
      for (const { p, view } of views(now())) {
        for (const status of STATUSES) this.set({ ...labelsOf(p), status }, status === view.lastStatus ? 1 : 0);
      }
    },
  });

  new Gauge({
    name: 'vitals_probe_state',
    help: 'Hysteresis state, one-hot over healthy, degraded, unhealthy, recovering, unknown',
    labelNames: [...probeLabels, 'state'],
    registers,
    collect() {
      this.reset();
      for (const p of state.list()) {
        for (const s of PROBE_STATES) this.set({ ...labelsOf(p), state: s }, s === p.state ? 1 : 0);
      }
    },
  });

  new Gauge({
    name: 'vitals_probe_critical',
    help: '1 if the probe gates readiness',
    labelNames: probeLabels,
    registers,
    collect() {
      this.reset();
      for (const p of state.list()) this.set(labelsOf(p), p.critical ? 1 : 0);
    },
  });

  new Gauge({
    name: 'vitals_probe_consecutive_failures',
    help: 'Failed runs in a row',
    labelNames: probeLabels,
    registers,
    collect() {
      this.reset();
      for (const p of state.list()) this.set(labelsOf(p), p.consecutiveFailures);
    },
  });

  new Gauge({
    name: 'vitals_probe_interval_seconds',
    help: 'Configured run interval; a probe is stale after 3 intervals without a run',
    labelNames: probeLabels,
    registers,
    collect() {
      this.reset();
      for (const p of state.list()) this.set(labelsOf(p), p.intervalMs / 1000);
    },
  });

  new Gauge({
    name: 'vitals_probe_last_run_timestamp_seconds',
    help: 'When the latest run finished (staleness watchdog); absent before the first run',
    labelNames: probeLabels,
    registers,
    collect() {
      this.reset();
      for (const p of state.list()) if (p.lastRun !== undefined) this.set(labelsOf(p), p.lastRun / 1000);
    },
  });

  new Gauge({
    name: 'vitals_probe_last_success_timestamp_seconds',
    help: 'When the latest pass or warn run finished; absent before the first one',
    labelNames: probeLabels,
    registers,
    collect() {
      this.reset();
      for (const p of state.list()) if (p.lastSuccess !== undefined) this.set(labelsOf(p), p.lastSuccess / 1000);
    },
  });

  new Gauge({
    name: 'vitals_probe_observed_value',
    help: 'Every numeric observation of the latest run (booleans as 0/1)',
    labelNames: [...probeLabels, 'measurement', 'unit'],
    registers,
    collect() {
      this.reset();
      for (const p of state.list()) {
        for (const o of p.last?.observations ?? []) {
          const value = typeof o.value === 'boolean' ? (o.value ? 1 : 0) : o.value;
          if (typeof value !== 'number' || !Number.isFinite(value)) continue;
          this.set({ ...labelsOf(p), measurement: o.measurement, unit: o.unit ?? '' }, value);
        }
      }
    },
  });

  // The latest expiry a probe reported is kept across failed runs: an
  // unreachable endpoint does not make its certificate any younger, and the
  // expiry alert should not flap with reachability.
  const certExpiry = new Map<string, { labels: ProbeLabels; seconds: number }>();
  const rememberCert = (p: ProbeSnapshot, seconds: number | undefined): void => {
    if (seconds !== undefined && Number.isFinite(seconds)) certExpiry.set(p.name, { labels: labelsOf(p), seconds });
  };
  new Gauge({
    name: 'vitals_tls_cert_expiry_timestamp_seconds',
    help: 'Earliest certificate expiry in the chain (epoch seconds), for probes that report one',
    labelNames: probeLabels,
    registers,
    collect() {
      this.reset();
      for (const p of state.list()) rememberCert(p, p.last?.certExpiry);
      for (const { labels, seconds } of certExpiry.values()) this.set(labels, seconds);
    },
  });

  const serviceGauge = (name: string, help: string, value: () => boolean): void => {
    new Gauge({
      name,
      help,
      registers,
      collect() {
        this.set(value() ? 1 : 0);
      },
    });
  };
  const groupPasses = (group: 'ready' | 'live'): boolean =>
    evaluate(state.list(), { group, lifecycle: lifecycle(), now: now() }).status !== 'fail';
  serviceGauge('vitals_ready', '1 if /ready answers 200', () => groupPasses('ready'));
  serviceGauge('vitals_live', '1 if /health answers 200', () => groupPasses('live'));
  serviceGauge('vitals_maintenance', '1 while planned maintenance holds readiness down', () => maintenanceActive(lifecycle().maintenance, now()));

  const buildInfo = new Gauge({
    name: 'vitals_build_info',
    help: 'Always 1; labels carry the vitals and Node.js versions',
    labelNames: ['version', 'node_version'],
    registers,
  });
  buildInfo.set({ version, node_version: process.version }, 1);

  const duration = new Histogram({
    name: 'vitals_probe_duration_seconds',
    help: 'Probe run time',
    labelNames: probeLabels,
    buckets: DURATION_BUCKETS,
    registers,
  });
  const runs = new Counter({
    name: 'vitals_probe_runs_total',
    help: 'Finished runs by result',
    labelNames: [...probeLabels, 'result'],
    registers,
  });
  const failures = new Counter({
    name: 'vitals_probe_failures_total',
    help: 'Runs that were not pass, by reason',
    labelNames: [...probeLabels, 'reason'],
    registers,
  });
  const transitions = new Counter({
    name: 'vitals_probe_transitions_total',
    help: 'State changes (flapping shows here)',
    labelNames: probeLabels,
    registers,
  });

  // Beyond CONTRACT §6: the scheduler runs each probe on a fixed grid and
  // skips a slot rather than overlap runs; this says how often that happened.
  const { skippedRuns } = deps;
  if (skippedRuns !== undefined) {
    new Counter({
      name: 'vitals_probe_skipped_runs_total',
      help: 'Scheduled runs skipped because the previous run was still in flight or the event loop was blocked past the slot',
      labelNames: probeLabels,
      registers,
      collect() {
        this.reset();
        for (const p of state.list()) this.inc(labelsOf(p), skippedRuns(p.name));
      },
    });
  }

  // Every series exists from the first scrape, so rate() and increase() work
  // from the start instead of missing the first increment.
  // Metrics created after the scheduler started still count earlier transitions.
  const known = new Map<string, { name: string; type: ProbeType; transitions: number }>();
  for (const p of config.probes) known.set(p.name, { name: p.name, type: p.type, transitions: 0 });
  for (const p of state.list()) known.set(p.name, p);
  for (const p of known.values()) {
    const labels = labelsOf(p);
    duration.zero(labels);
    transitions.inc(labels, p.transitions);
    for (const result of STATUSES) runs.inc({ ...labels, result }, 0);
    for (const reason of REASONS) failures.inc({ ...labels, reason }, 0);
  }

  const onRun = (event: RunEvent): void => {
    const { snapshot, result, previousState } = event;
    const labels = labelsOf(snapshot);
    duration.observe(labels, Math.max(0, result.durationMs) / 1000);
    runs.inc({ ...labels, result: result.status });
    if (result.status !== 'pass') failures.inc({ ...labels, reason: result.reason ?? 'error' });
    if (snapshot.state !== previousState) transitions.inc(labels);
    rememberCert(snapshot, result.certExpiry);
  };
  const unsubscribe = state.onRun(onRun);

  return {
    registry,
    contentType: registry.contentType,
    render: () => registry.metrics(),
    close: unsubscribe,
  };
}
