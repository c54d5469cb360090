/**
 * The vocabulary every layer shares. Pure types and constant tables: no I/O,
 * no fastify, no prom-client. See CONTRACT.md §3–§4.
 */

/** Result of one probe run, and of any aggregation of runs. Ordered best → worst. */
export const STATUSES = ['pass', 'warn', 'fail'] as const;
export type Status = (typeof STATUSES)[number];

/** Why a run was not `pass` (CONTRACT §3). */
export const REASONS = [
  'timeout',
  'refused',
  'dns',
  'tls',
  'auth',
  'unavailable',
  'threshold',
  'config',
  /** A probe it depends on (directly or transitively) is failing (CONTRACT §9). */
  'dependency',
  'error',
] as const;
export type Reason = (typeof REASONS)[number];

/** Hysteresis state of a probe (CONTRACT §4). */
export const PROBE_STATES = ['healthy', 'degraded', 'unhealthy', 'recovering', 'unknown'] as const;
export type ProbeState = (typeof PROBE_STATES)[number];

/**
 * The name of a probe type: a key of the probe table in probes/index.ts (the
 * one list of built-in types), or `custom` for a probe loaded from a user's
 * module. Core never lists the types itself, so adding one cannot be forgotten here.
 */
export type ProbeType = string;

export type ComponentType = 'datastore' | 'component' | 'system';

export const GROUPS = ['live', 'ready'] as const;
export type Group = (typeof GROUPS)[number];

/** Units used in observations; they become the `unit` label of vitals_probe_observed_value. */
export type Unit = 'ms' | 'seconds' | 'ratio' | 'count' | 'bytes' | 'days' | 'percent' | 'code' | 'info';

/**
 * One reading a probe made. Numeric values are checked against warn/fail
 * thresholds by the runner and exported as metrics; non-numeric values
 * (versions, roles, address lists) appear only in /diagnostics.
 */
export interface Observation {
  measurement: string;
  value: number | string | boolean | string[] | null;
  unit?: Unit;
  /**
   * A probe may set this itself when the judgement is not a plain threshold
   * (e.g. Redis `noeviction` near full → warn, migration mismatch → fail).
   * The runner fills it in from thresholds otherwise; the worse one wins.
   */
  status?: Status;
  /** Why the status is not pass; already free of secrets. */
  output?: string;
}

/** Non-threshold degradations a check reports without failing (e.g. HTTP 429 → warn `unavailable`). */
export interface CheckWarning {
  reason: Reason;
  message: string;
  hint?: string;
}

/** What `Probe.check` resolves with. A thrown error means the run failed. */
export interface CheckReport {
  observations: Observation[];
  /** Descriptive facts for /diagnostics only: server version, role, issuer… No secrets. */
  info?: Record<string, string | number | boolean | null>;
  warnings?: CheckWarning[];
  /** Earliest certificate expiry seen (epoch seconds), for vitals_tls_cert_expiry_timestamp_seconds. */
  certExpiry?: number;
}

/**
 * What the last-runs history keeps of one run (runner/history): what its
 * readers show — /diagnostics `history`, the status page's sparkline and last
 * runs. A ProbeResult is one; the history hands back only these fields.
 */
export interface RunRecord {
  readonly status: Status;
  readonly reason?: Reason;
  readonly message?: string;
  readonly durationMs: number;
  /** Epoch milliseconds. */
  readonly finishedAt: number;
}

/** The outcome of one run, as kept in state (the latest run in full) and fed to the history. Never holds a secret or a stack. */
export interface ProbeResult {
  status: Status;
  /** Present on every non-pass result. */
  reason?: Reason;
  /** Redacted, one line. Present on every non-pass result. */
  message?: string;
  /** One-line remediation. Present on every non-pass result. */
  hint?: string;
  durationMs: number;
  /** Epoch milliseconds. */
  startedAt: number;
  finishedAt: number;
  observations: Observation[];
  info?: Record<string, string | number | boolean | null>;
  certExpiry?: number;
}
