import { availableParallelism, loadavg } from 'node:os';
import { evaluate } from '../core/evaluate.js';
import { maintenanceActive, probeViews, type ProbeView } from '../core/read-model.js';
import { redactText } from '../core/redact.js';
import type { VitalsConfig } from '../core/settings.js';
import type { LifecycleState, ProbeSnapshot } from '../core/state.js';
import { worstStatus } from '../core/status.js';
import type { ComponentType, Observation, ProbeResult, Reason, RunRecord, Status } from '../core/types.js';
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
  /** Probes this one depends on, as configured (CONTRACT §9). */
  dependsOn: string[];
  /** With reason `dependency`: the probe's own reason and message for the same run. */
  cause?: { reason: Reason; message: string | null };
  /** With reason `dependency`: the failing probes it is blamed on, each with its own explanation. */
  roots?: Array<{ name: string; reason: Reason; message: string | null; hint: string | null }>;
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
  history: (name: string) => readonly RunRecord[];
  lifecycle: LifecycleState;
  now: number;
  version: string;
  redactedConfig: unknown;
  secrets: readonly string[];
}

export const HISTORY_LIMIT = 50;

const iso = (ms: number | undefined): string | null => (ms === undefined ? null : new Date(ms).toISOString());

/**
 * Free text a probe produced (messages, hints, outputs, info strings) is
 * redacted when the run is recorded (runner/run-probe); it is scrubbed once
 * more here, field by field, because a StateReader is an interface and the
 * cost is small: per probe per run, not per request (diagnostics-render
 * caches each probe's part until its next run). The whole body is not walked.
 */
type Clean = (text: string) => string;

function cleanInfo(info: NonNullable<ProbeResult['info']>, clean: Clean): ProbeDetails['info'] {
  const out: NonNullable<ProbeDetails['info']> = {};
  for (const [key, value] of Object.entries(info)) out[key] = typeof value === 'string' ? clean(value) : value;
  return out;
}

function cleanValue(value: Observation['value'], clean: Clean): Observation['value'] {
  if (typeof value === 'string') return clean(value);
  if (Array.isArray(value)) return value.map(clean);
  return value;
}

/**
 * One probe's entry in `vitals.probes` and its `checks` entries. `view` comes
 * from probeViews over every probe: a dependent's reason depends on its roots.
 */
export function details(p: ProbeSnapshot, view: ProbeView, input: DiagnosticsInput): { probe: ProbeDetails; checks: Array<[string, CheckEntry]> } {
  const clean: Clean = (text) => redactText(text, input.secrets);
  const maybe = (text: string | null): string | null => (text === null ? null : clean(text));
  // The latest run's status (stale → fail, warn before the first run); `state` says what hysteresis made of it.
  const status = view.shownStatus;
  const why = { reason: view.reason, message: maybe(view.message), hint: maybe(view.hint) };
  const history = input.history(p.name).slice(-HISTORY_LIMIT).map((r) => ({
    time: new Date(r.finishedAt).toISOString(),
    status: r.status,
    durationMs: r.durationMs,
    ...(r.reason === undefined ? {} : { reason: r.reason }),
    ...(r.message === undefined ? {} : { message: clean(r.message) }),
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
    dependsOn: [...view.dependsOn],
    ...(view.dependency === undefined
      ? {}
      : { cause: { ...view.dependency.cause }, roots: view.dependency.roots.map((r) => ({ ...r })) }),
    consecutiveFailures: p.consecutiveFailures,
    consecutiveSuccesses: p.consecutiveSuccesses,
    transitions: p.transitions,
    lastRun: iso(p.lastRun),
    lastSuccess: iso(p.lastSuccess),
    lastChange: iso(p.lastChange),
    durationMs: p.last?.durationMs ?? null,
    info: p.last?.info === undefined ? null : cleanInfo(p.last.info, clean),
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
        ...(o.unit === undefined ? {} : { observedValue: cleanValue(o.value, clean), observedUnit: o.unit }),
        status: observationStatus,
        ...(time === undefined ? {} : { time }),
        ...(observationStatus !== 'pass' && o.output !== undefined ? { output: clean(o.output) } : {}),
      },
    ]);
  }
  return { probe, checks };
}

export function systemFacts(input: DiagnosticsInput): Record<string, unknown> {
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

type Envelope = Omit<DiagnosticsBody, 'checks' | 'vitals'>;
type VitalsRest = Omit<DiagnosticsBody['vitals'], 'probes'>;

/** Everything but the per-probe parts: the head fields before `checks`, the `vitals` fields after `probes`. */
export function diagnosticsFrame(input: DiagnosticsInput): { head: Envelope; rest: VitalsRest } {
  const { probes, lifecycle, now, config } = input;
  const ready = evaluate(probes, { group: 'ready', lifecycle, now });
  const live = evaluate(probes, { group: 'live', lifecycle, now });
  const status = worstStatus([ready.status, live.status]);
  const maintenance = maintenanceActive(lifecycle.maintenance, now) ? lifecycle.maintenance : undefined;
  const clean: Clean = (text) => redactText(text, input.secrets);
  return {
    head: {
      status,
      ...(ready.output === undefined ? {} : { output: ready.output }),
      version: input.version.split('.')[0] ?? input.version,
      releaseId: input.version,
      serviceId: config.service.id,
      description: config.service.description,
    },
    rest: {
      ready: healthBody(ready.status, ready.output),
      live: healthBody(live.status, live.output),
      maintenance:
        maintenance === undefined
          ? null
          : {
              reason: clean(maintenance.reason),
              since: new Date(maintenance.since).toISOString(),
              until: new Date(maintenance.until).toISOString(),
            },
      shuttingDown: lifecycle.shuttingDown,
      system: systemFacts(input),
      // Already masked by whoever supplied it (config/print redactedConfig).
      config: input.redactedConfig,
    },
  };
}

/**
 * The /diagnostics body as an object: the IETF draft health-check format plus
 * a `vitals` object with everything known. Free text is scrubbed field by
 * field (see `details`); the config comes masked. The route serves the same
 * shape as text through diagnostics-render, which caches per probe.
 */
export function buildDiagnostics(input: DiagnosticsInput): DiagnosticsBody {
  const checks: Record<string, CheckEntry[]> = {};
  const detailed: Record<string, ProbeDetails> = {};
  // All probes, even when filtered: a detailed probe's root may be one that is not.
  const views = probeViews(input.probes, input.lifecycle, input.now);
  input.probes.forEach((p, i) => {
    if (input.only !== undefined && !input.only.has(p.name)) return;
    const { probe, checks: entries } = details(p, views[i] as ProbeView, input);
    detailed[p.name] = probe;
    for (const [key, entry] of entries) (checks[key] ??= []).push(entry);
  });
  const { head, rest } = diagnosticsFrame(input);
  return { ...head, checks, vitals: { probes: detailed, ...rest } };
}
