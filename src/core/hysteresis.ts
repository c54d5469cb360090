import type { ProbeState, Status } from './types.js';

/**
 * The probe state machine (CONTRACT §4). Pure: the scheduler feeds it one
 * result status at a time and stores what it returns.
 */
export interface HysteresisCounters {
  consecutiveFailures: number;
  consecutiveSuccesses: number;
}

export interface HysteresisStep extends HysteresisCounters {
  state: ProbeState;
}

export interface HysteresisThresholds {
  failureThreshold: number;
  successThreshold: number;
}

/** The state a passing run points to: pass → healthy, warn → degraded. */
function goodState(status: Exclude<Status, 'fail'>): ProbeState {
  return status === 'pass' ? 'healthy' : 'degraded';
}

export function nextState(
  state: ProbeState,
  counters: HysteresisCounters,
  status: Status,
  thresholds: HysteresisThresholds,
): HysteresisStep {
  const failureThreshold = Math.max(1, thresholds.failureThreshold);
  const successThreshold = Math.max(1, thresholds.successThreshold);

  if (status === 'fail') {
    const consecutiveFailures = counters.consecutiveFailures + 1;
    const step = { consecutiveFailures, consecutiveSuccesses: 0 };
    switch (state) {
      // unknown: no earlier good state to protect, and readiness must be decided
      // after the first round. recovering: a relapse means it never recovered.
      case 'unknown':
      case 'unhealthy':
      case 'recovering':
        return { state: 'unhealthy', ...step };
      case 'healthy':
      case 'degraded':
        return { state: consecutiveFailures >= failureThreshold ? 'unhealthy' : state, ...step };
    }
  }

  const consecutiveSuccesses = counters.consecutiveSuccesses + 1;
  const step = { consecutiveFailures: 0, consecutiveSuccesses };
  switch (state) {
    case 'unknown':
    case 'healthy':
    case 'degraded':
      return { state: goodState(status), ...step };
    case 'unhealthy':
    case 'recovering':
      return { state: consecutiveSuccesses >= successThreshold ? goodState(status) : 'recovering', ...step };
  }
}

/** A probe is stale when its latest run is older than this many intervals (CONTRACT §4). */
export const STALE_INTERVALS = 3;

/**
 * Watchdog for a stuck scheduler: the latest run (or, before any run, the
 * start) is more than 3 × interval ago. Readers treat a stale probe as
 * `fail` with reason `timeout`.
 */
export function isStale(
  snapshot: { readonly lastRun?: number; readonly intervalMs: number },
  now: number,
  startedAt?: number,
): boolean {
  const since = snapshot.lastRun ?? startedAt;
  if (since === undefined) return false;
  return now - since > STALE_INTERVALS * snapshot.intervalMs;
}
