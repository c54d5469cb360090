import type { z } from 'zod';
import type { Logger } from 'pino';
import type { ClassifiedError } from './errors.js';
import type { CheckReport, ComponentType, Group, ProbeType, Reason, Unit } from './types.js';

/**
 * A live probe instance: created once per configured probe, checked on every
 * run, closed at shutdown. It holds its own client (pool, connection, driver).
 */
export interface Probe {
  /**
   * One check. Resolve with observations, or throw (preferably a ProbeError).
   * Honour `signal`: the runner races this promise against the probe timeout
   * and aborts the signal when it fires, so pass it to every I/O call that
   * accepts one and free what the run was holding.
   */
  check(signal: AbortSignal): Promise<CheckReport>;
  /**
   * Optional one-off preparation (loading the client library) that the runner
   * awaits before a run's clock starts: vitals' own start-up is not the
   * dependency's latency and must not eat a short timeout on a busy machine.
   */
  prepare?(): Promise<void>;
  /** Release clients. Must settle within `deadlineMs` even when the peer hangs. */
  close(deadlineMs: number): Promise<void>;
}

/** What a measurement means, for thresholds and metric labels. */
export interface MeasurementSpec {
  unit: Unit;
  /** `lower` when a smaller value is worse (e.g. daysUntilExpiry, hitRatio). Default `higher`. */
  worse?: 'higher' | 'lower';
  /** Default thresholds; CONTRACT §5 lists them. Latency measurements have none. */
  warn?: number;
  fail?: number;
  description: string;
}

/**
 * Remediation hints by reason, plus per-measurement hints for `threshold`.
 * A hint may name this probe's target with `{key}` placeholders
 * (`pg_isready -h {host} -p {port}`): the runner fills them from the type's
 * hintTarget(options), so an operator can paste the command as it stands.
 */
export interface HintTable {
  reasons: Partial<Record<Reason, string>>;
  /** Hint for a threshold breach on this measurement; falls back to reasons.threshold. */
  measurements?: Record<string, string>;
}

export interface ProbeContext {
  /** The configured probe name (for log lines). */
  name: string;
  logger: Logger;
}

/**
 * One probe type. Lives in probes/<type>.ts; probes/index.ts lists them all.
 * `options` is a zod object of the type-specific keys only: config/schema merges
 * it with the common keys (name, type, interval, timeout, critical, groups,
 * warn, fail, thresholds) and makes the result strict.
 */
export interface ProbeDefinition<O extends z.ZodObject = z.ZodObject> {
  type: ProbeType;
  componentType: ComponentType;
  /** Interval when the config gives none: core 10s, auxiliary 30s, external 60s. */
  defaultIntervalMs: number;
  /** Interval derived from the probe's own options (e.g. a heartbeat's expectEvery); wins over defaultIntervalMs. */
  intervalFor?(options: z.output<O>): number;
  /**
   * An option holding the secret callers present to push to this probe. When
   * the config leaves it out, config fills it with auth.token; with neither,
   * the config is rejected.
   */
  tokenOption?: string;
  /** Groups when the config gives none. Default ['ready']. */
  defaultGroups?: Group[];
  /**
   * `critical` when the config gives none. Default true. tls sets false: a
   * certificate close to expiry is an alert, not a reason to pull every replica.
   */
  defaultCritical?: boolean;
  options: O;
  measurements: Record<string, MeasurementSpec>;
  hints: HintTable;
  /**
   * Library-specific error → reason (pg SQLSTATE, redis replies…), the one
   * classification path of a probe type: checks throw, the runner calls this.
   * `options` lets the message name the target (host, servers, URL).
   * Undefined → generic rules.
   */
  classifyError?(error: unknown, options: z.output<O>): ClassifiedError | undefined;
  /**
   * What this probe points at, for the `{key}` placeholders of its hints:
   * `{ host: 'db.internal', port: 5432, database: 'app' }`. URLs must come
   * redacted (every filled hint is scrubbed of secrets again). Undefined → no
   * placeholders are filled.
   */
  hintTarget?(options: z.output<O>): Readonly<Record<string, string | number>>;
  /** Option keys whose values are secrets (redacted in config print and diagnostics). */
  secretOptions?: string[];
  create(options: z.output<O>, ctx: ProbeContext): Probe;
}
