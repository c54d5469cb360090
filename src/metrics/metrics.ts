import { Gauge, Registry } from 'prom-client';
import { evaluate } from '../core/evaluate.js';
import { maintenanceActive } from '../core/read-model.js';
import type { LifecycleState, StateReader } from '../core/state.js';
import type { VitalsConfig } from '../core/settings.js';
import type { ProbeType } from '../core/types.js';
import { ProbeExposition } from './probe-exposition.js';
import { registerProcessMetrics } from './process-metrics.js';

export { DURATION_BUCKETS } from './probe-series.js';

export interface MetricsDeps {
  state: StateReader;
  config: VitalsConfig;
  lifecycle: () => LifecycleState;
  version: string;
  /** Clock for scrape-time gauges (staleness, ready, live). Default Date.now. */
  now?: () => number;
  /** Grid slots a probe skipped because its previous run was still in flight (the scheduler's count). */
  skippedRuns?: (probe: string) => number;
  /** The latest config reload (CONTRACT §10). Default: the config loaded at start, successfully, now. */
  configReload?: () => ConfigReloadStatus;
}

/** What the two vitals_config_last_reload_* gauges show. */
export interface ConfigReloadStatus {
  successful: boolean;
  /** Epoch ms of the latest successful load (the start counts as one). */
  lastSuccessAt: number;
}

export interface VitalsMetrics {
  /**
   * This service's own prom-client registry (never the global one): the
   * process metrics and the service-level gauges. The probe series are not
   * in it — render() writes them (probe-exposition.ts).
   */
  readonly registry: Registry;
  /** The Content-Type of `render()`: Prometheus text exposition 0.0.4. */
  readonly contentType: string;
  /** The whole exposition as UTF-8 bytes: the registry's families, then every probe family. */
  renderBytes(): Promise<Buffer>;
  /** renderBytes() as text. */
  render(): Promise<string>;
  /**
   * Changes whenever something render() shows changes other than a probe run
   * (a reload attempt, a probe set synced): /metrics reuses a rendered body only
   * while this and the run count stay the same.
   */
  changeToken(): string;
  /**
   * After a live reload: series of probes that are gone are removed (every
   * label set), new probes get their zeroed counters.
   */
  syncProbes(probes: ReadonlyArray<{ name: string; type: ProbeType }>): void;
  /** Stop listening to runs. The registry stays readable. */
  close(): void;
}

/**
 * Every series of CONTRACT §6. The probe-labelled families are written by
 * ProbeExposition (per-probe text kept between runs: prom-client re-rendered
 * every sample of every probe on each scrape, ≈ 110 ms at 1,000 probes);
 * counters and the histogram follow finished runs (state.onRun), gauges that
 * depend on the clock, the lifecycle or other probes (up, status, dependency,
 * ready, live, maintenance) are read at scrape time through the read model, so
 * they are never out of date. The process metrics and the few service-level
 * gauges stay on a prom-client registry: a few dozen samples, whatever the
 * number of probes. Label values come only from configuration, probe
 * definitions and fixed vocabularies — never from a request, never a secret.
 */
export function createMetrics(deps: MetricsDeps): VitalsMetrics {
  const { state, config, lifecycle, version } = deps;
  const now = deps.now ?? Date.now;
  const registry = new Registry();
  registerProcessMetrics(registry);
  const registers = [registry];

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

  const startedAt = now();
  const reloadStatus = deps.configReload ?? (() => ({ successful: true, lastSuccessAt: startedAt }));
  serviceGauge('vitals_config_last_reload_successful', '1 if the latest config (re)load succeeded; 0 while an invalid new config is ignored', () => reloadStatus().successful);
  new Gauge({
    name: 'vitals_config_last_reload_success_timestamp_seconds',
    help: 'When the config in effect was loaded (start or the latest successful reload)',
    registers,
    collect() {
      this.set(reloadStatus().lastSuccessAt / 1000);
    },
  });

  const buildInfo = new Gauge({
    name: 'vitals_build_info',
    help: 'Always 1; labels carry the vitals and Node.js versions',
    labelNames: ['version', 'node_version'],
    registers,
  });
  buildInfo.set({ version, node_version: process.version }, 1);

  // Every series exists from the first scrape, so rate() and increase() work
  // from the start instead of missing the first increment. Metrics created
  // after the scheduler started still count earlier transitions.
  const known = new Map<string, { name: string; type: ProbeType; transitions: number }>();
  for (const p of config.probes) known.set(p.name, { name: p.name, type: p.type, transitions: 0 });
  for (const p of state.list()) known.set(p.name, p);
  const probes = new ProbeExposition(deps.skippedRuns === undefined ? {} : { skippedRuns: deps.skippedRuns }, known.values());
  const unsubscribe = state.onRun((event) => probes.record(event));
  let syncs = 0;

  const renderBytes = async (): Promise<Buffer> => {
    const service = Buffer.from(await registry.metrics());
    const families = await probes.render({ probes: state.list(), lifecycle: lifecycle(), now: now() });
    return Buffer.concat([service, ...families]);
  };

  return {
    registry,
    contentType: registry.contentType,
    renderBytes,
    render: async () => (await renderBytes()).toString('utf8'),
    changeToken: () => `${syncs}:${JSON.stringify(reloadStatus())}`,
    syncProbes: (list) => {
      syncs += 1;
      probes.sync(list);
    },
    close: unsubscribe,
  };
}
