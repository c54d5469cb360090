import { availableParallelism, loadavg } from 'node:os';
import { evaluate } from '../core/evaluate.js';
import { maintenanceActive, probeView } from '../core/read-model.js';
import { redactDeep } from '../core/redact.js';
import type { VitalsConfig } from '../core/settings.js';
import type { LifecycleState, ProbeSnapshot } from '../core/state.js';
import { worstStatus } from '../core/status.js';
import type { ComponentType, Observation, ProbeResult, Reason, Status } from '../core/types.js';
import { healthBody, type HealthBody } from './health-format.js';

/** One entry of `checks` (draft-inadarei-api-health-check §4). */
export interface CheckEntry {
  componentId: string;
  componentType: ComponentType;
  observedValue?: Observation['value'];
  observedUnit?: string;
  status: Status;
  time?: string;
  output?: string;
}

export interface HistoryEntry {
  time: string;
  status: Status;
  durationMs: number;
  reason?: Reason;
  message?: string;
}

export interface ProbeDetails {
  type: string;
  componentType: ComponentType;
  status: Status;
  state: ProbeSnapshot['state'];
  critical: boolean;
  groups: string[];
  intervalMs: number;
  timeoutMs: number;
  stale: boolean;
  reason: Reason | null;
  message: string | null;
  hint: string | null;
  consecutiveFailures: number;
  consecutiveSuccesses: number;
  transitions: number;
  lastRun: string | null;
  lastSuccess: string | null;
  lastChange: string | null;
  durationMs: number | null;
  info: Record<string, string | number | boolean | null> | null;
  history: HistoryEntry[];
}

export interface DiagnosticsBody {
  status: Status;
  output?: string;
  version: string;
  releaseId: string;
  serviceId: string;
  description: string;
  checks: Record<string, CheckEntry[]>;
  vitals: {
    probes: Record<string, ProbeDetails>;
    ready: HealthBody;
    live: HealthBody;
    maintenance: { reason: string; since: string; until: string } | null;
    shuttingDown: boolean;
    system: Record<string, unknown>;
    config: unknown;
  };
}

export interface DiagnosticsInput {
  config: VitalsConfig;
  /** Every probe: the status covers all of them whatever the filter. */
  probes: readonly ProbeSnapshot[];
  /** Names to detail (the ?probe filter); undefined → all. */
  only?: ReadonlySet<string>;
  history: (name: string) => readonly ProbeResult[];
  lifecycle: LifecycleState;
  now: number;
  version: string;
  redactedConfig: unknown;
  secrets: readonly string[];
}

export const HISTORY_LIMIT = 50;

const iso = (ms: number | undefined): string | null => (ms === undefined ? null : new Date(ms).toISOString());

function details(p: ProbeSnapshot, input: DiagnosticsInput): { probe: ProbeDetails; checks: Array<[string, CheckEntry]> } {
  const { now, lifecycle } = input;
  const view = probeView(p, lifecycle, now);
  // The latest run's status (stale → fail, warn before the first run); `state` says what hysteresis made of it.
  const status = view.shownStatus;
  const why = { reason: view.reason, message: view.message, hint: view.hint };
  const history = input.history(p.name).slice(-HISTORY_LIMIT).map((r) => ({
    time: new Date(r.finishedAt).toISOString(),
    status: r.status,
    durationMs: r.durationMs,
    ...(r.reason === undefined ? {} : { reason: r.reason }),
    ...(r.message === undefined ? {} : { message: r.message }),
  }));
  const probe: ProbeDetails = {
    type: p.type,
    componentType: p.componentType,
    status,
    state: p.state,
    critical: p.critical,
    groups: [...p.groups],
    intervalMs: p.intervalMs,
    timeoutMs: p.timeoutMs,
    stale: view.stale,
    ...why,
    consecutiveFailures: p.consecutiveFailures,
    consecutiveSuccesses: p.consecutiveSuccesses,
    transitions: p.transitions,
    lastRun: iso(p.lastRun),
    lastSuccess: iso(p.lastSuccess),
    lastChange: iso(p.lastChange),
    durationMs: p.last?.durationMs ?? null,
    info: p.last?.info ?? null,
    history,
  };

  const base = { componentId: p.name, componentType: p.componentType };
  const time = p.last === undefined ? undefined : new Date(p.last.finishedAt).toISOString();
  const checks: Array<[string, CheckEntry]> = [
    [
      `${p.name}:status`,
      {
        ...base,
        // The draft (§4.4) pairs every observedValue with an observedUnit; a state name's unit is "state".
        observedValue: p.state,
        observedUnit: 'state',
        status,
        ...(p.lastRun === undefined ? {} : { time: new Date(p.lastRun).toISOString() }),
        ...(status !== 'pass' && why.message !== null ? { output: why.message } : {}),
      },
    ],
  ];
  for (const o of p.last?.observations ?? []) {
    const observationStatus = o.status ?? 'pass';
    checks.push([
      `${p.name}:${o.measurement}`,
      {
        ...base,
        // No unit (a custom probe's reading) → no value either: the draft pairs them (§4.4).
        ...(o.unit === undefined ? {} : { observedValue: o.value, observedUnit: o.unit }),
        status: observationStatus,
        ...(time === undefined ? {} : { time }),
        ...(observationStatus !== 'pass' && o.output !== undefined ? { output: o.output } : {}),
      },
    ]);
  }
  return { probe, checks };
}

function systemFacts(input: DiagnosticsInput): Record<string, unknown> {
  const memory = process.memoryUsage();
  // Disk comes from the latest filesystem readings any probe made: no I/O per
  // request. A result is a filesystem reading when its info names the `path`
  // it measured and that filesystem's `sizeBytes` — a shape, not a probe type,
  // so HTTP needs no knowledge of which probes exist.
  const disk: Record<string, unknown> = {};
  for (const p of input.probes) {
    const info = p.last?.info;
    if (p.last === undefined || typeof info?.path !== 'string' || typeof info.sizeBytes !== 'number') continue;
    const readings: Record<string, unknown> = {};
    for (const o of p.last.observations) readings[o.measurement] = o.value;
    disk[p.name] = { path: info.path, ...readings };
  }
  return {
    vitalsVersion: input.version,
    nodeVersion: process.version,
    pid: process.pid,
    platform: `${process.platform}-${process.arch}`,
    startedAt: new Date(input.lifecycle.startedAt).toISOString(),
    uptimeSeconds: Math.round(process.uptime()),
    memory: {
      rssBytes: memory.rss,
      heapUsedBytes: memory.heapUsed,
      heapTotalBytes: memory.heapTotal,
      externalBytes: memory.external,
    },
    loadavg: loadavg().map((n) => Math.round(n * 100) / 100),
    cpus: availableParallelism(),
    disk,
  };
}

/**
 * The /diagnostics body: the IETF draft health-check format plus a `vitals`
 * object with everything known. Scrubbed as a whole on the way out: known
 * secret values, URL passwords and secret-named keys, whichever probe or
 * config field they came from.
 */
export function buildDiagnostics(input: DiagnosticsInput): DiagnosticsBody {
  const { probes, lifecycle, now, config } = input;
  const ready = evaluate(probes, { group: 'ready', lifecycle, now });
  const live = evaluate(probes, { group: 'live', lifecycle, now });
  const status = worstStatus([ready.status, live.status]);

  const checks: Record<string, CheckEntry[]> = {};
  const detailed: Record<string, ProbeDetails> = {};
  for (const p of probes) {
    if (input.only !== undefined && !input.only.has(p.name)) continue;
    const { probe, checks: entries } = details(p, input);
    detailed[p.name] = probe;
    for (const [key, entry] of entries) (checks[key] ??= []).push(entry);
  }

  const maintenance = maintenanceActive(lifecycle.maintenance, now) ? lifecycle.maintenance : undefined;
  const body: DiagnosticsBody = {
    status,
    ...(ready.output === undefined ? {} : { output: ready.output }),
    version: input.version.split('.')[0] ?? input.version,
    releaseId: input.version,
    serviceId: config.service.id,
    description: config.service.description,
    checks,
    vitals: {
      probes: detailed,
      ready: healthBody(ready.status, ready.output),
      live: healthBody(live.status, live.output),
      maintenance:
        maintenance === undefined
          ? null
          : { reason: maintenance.reason, since: new Date(maintenance.since).toISOString(), until: new Date(maintenance.until).toISOString() },
      shuttingDown: lifecycle.shuttingDown,
      system: systemFacts(input),
      config: input.redactedConfig,
    },
  };
  return redactDeep(body, input.secrets);
}

