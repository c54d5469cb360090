import type { ComponentType, Group, ProbeResult, ProbeState, ProbeType, RunRecord } from './types.js';

/**
 * The latest known state of one probe: what /health, /ready, /diagnostics,
 * /metrics and the status page read. A read-only copy; never mutated by readers.
 */
export interface ProbeSnapshot {
  readonly name: string;
  readonly type: ProbeType;
  readonly componentType: ComponentType;
  readonly critical: boolean;
  readonly groups: readonly Group[];
  readonly intervalMs: number;
  readonly timeoutMs: number;
  /** Failed runs in a row that turn healthy/degraded into unhealthy (for "failing 1 of 2"). */
  readonly failureThreshold: number;
  /** Probes this one needs (CONTRACT §9); absent means none. */
  readonly dependsOn?: readonly string[];
  readonly state: ProbeState;
  /** The latest finished run, if any. */
  readonly last?: ProbeResult;
  readonly consecutiveFailures: number;
  readonly consecutiveSuccesses: number;
  /** Epoch ms of the latest pass/warn run. */
  readonly lastSuccess?: number;
  /** Epoch ms of the latest state change (including the first one out of `unknown`). */
  readonly lastChange?: number;
  /** Epoch ms when the latest run finished. */
  readonly lastRun?: number;
  /** Count of state changes since start (vitals_probe_transitions_total). */
  readonly transitions: number;
  /**
   * Epoch ms when a live reload (CONTRACT §10) added this probe; absent for
   * probes there from the start. Until its first run such a probe does not
   * hold readiness at `starting`, and its staleness counts from here.
   */
  readonly addedAt?: number;
}

/** Emitted by the scheduler after every finished run. */
export interface RunEvent {
  readonly snapshot: ProbeSnapshot;
  readonly result: ProbeResult;
  readonly previousState: ProbeState;
}

/** What the HTTP layer, metrics and CLI read from the runner. */
export interface StateReader {
  /** All probes, in configuration order. */
  list(): readonly ProbeSnapshot[];
  get(name: string): ProbeSnapshot | undefined;
  /**
   * Last runs, oldest first, as compact records (time, status, duration, reason, message);
   * failures are preserved preferentially (see runner/history). The latest full result is `get(name).last`.
   */
  history(name: string): readonly RunRecord[];
  /** Subscribe to finished runs; returns an unsubscribe function. */
  onRun(listener: (event: RunEvent) => void): () => void;
}

/** Service-level flags that hold readiness down regardless of probes. */
export interface LifecycleState {
  /** Present while planned maintenance is on. */
  maintenance?: { reason: string; since: number; until: number };
  shuttingDown: boolean;
  startedAt: number;
}
