import { isStale } from './hysteresis.js';
import type { LifecycleState, ProbeSnapshot } from './state.js';
import type { Group, ProbeState, Status } from './types.js';

/** Why readiness is held down for a reason of the service's own (CONTRACT §2). */
export type HoldReason = 'starting' | 'maintenance' | 'shutting down';

export interface CheckEvaluation {
  name: string;
  /**
   * The probe's own status after hysteresis and staleness, whether or not it
   * is critical or excluded. A probe that has not run yet is fail in `ready`
   * and pass in `live`.
   */
  status: Status;
  excluded: boolean;
  state: ProbeState;
  stale: boolean;
}

export interface Evaluation {
  status: Status;
  output?: HoldReason;
  checks: CheckEvaluation[];
}

export interface EvaluateOptions {
  group: Group;
  /** Probe names left out of this one evaluation (still listed, marked excluded). */
  exclude?: ReadonlySet<string>;
  lifecycle: LifecycleState;
  now: number;
}

/**
 * A probe's status as readers see it, or undefined while it has never run.
 * Hysteresis decides (a single failed run of a healthy probe is still pass);
 * recovering counts as unhealthy; a stale probe is fail whatever it last said.
 */
export function probeStatus(snapshot: ProbeSnapshot, now: number, startedAt: number): Status | undefined {
  if (isStale(snapshot, now, startedAt)) return 'fail';
  return stateStatus(snapshot.state);
}

/** What a hysteresis state means for readers: recovering still fails; unknown has no status yet. */
export function stateStatus(state: ProbeState): Status | undefined {
  switch (state) {
    case 'healthy':
      return 'pass';
    case 'degraded':
      return 'warn';
    case 'unhealthy':
    case 'recovering':
      return 'fail';
    case 'unknown':
      return undefined;
  }
}

/** Maintenance counts only until its `until`, even if nobody has cleared it yet. */
export function maintenanceActive(lifecycle: LifecycleState, now: number): boolean {
  return lifecycle.maintenance !== undefined && lifecycle.maintenance.until > now;
}

/**
 * One evaluation of a group (CONTRACT §2, §4). Pure.
 *
 * - Only probes in `group` take part; excluded ones are listed but ignored.
 * - A critical probe that fails makes the whole fail; a non-critical one makes it warn.
 * - `ready`: a probe that has not run yet holds readiness at fail/`starting`;
 *   maintenance and shutdown hold it at fail too (shutting down > maintenance > starting).
 * - `live`: a probe that has not run yet counts as pass — the process answering
 *   is itself proof of life, and failing liveness at boot would make the
 *   kubelet restart a healthy process. Maintenance and shutdown never touch
 *   liveness: a draining process must not be killed early.
 */
export function evaluate(probes: readonly ProbeSnapshot[], options: EvaluateOptions): Evaluation {
  const { group, exclude, lifecycle, now } = options;
  const checks: CheckEvaluation[] = [];
  let overall: Status = 'pass';
  let starting = false;

  for (const probe of probes) {
    if (!probe.groups.includes(group)) continue;
    const excluded = exclude?.has(probe.name) ?? false;
    const stale = isStale(probe, now, lifecycle.startedAt);
    const own = probeStatus(probe, now, lifecycle.startedAt);
    const status: Status = own ?? (group === 'ready' ? 'fail' : 'pass');
    checks.push({ name: probe.name, status, excluded, state: probe.state, stale });
    if (excluded) continue;

    if (own === undefined && group === 'ready') starting = true;
    const contribution: Status = status === 'fail' && !probe.critical ? 'warn' : status;
    if (contribution === 'fail' || (contribution === 'warn' && overall === 'pass')) overall = contribution;
  }

  if (group === 'ready') {
    const output: HoldReason | undefined = lifecycle.shuttingDown
      ? 'shutting down'
      : maintenanceActive(lifecycle, now)
        ? 'maintenance'
        : starting
          ? 'starting'
          : undefined;
    if (output !== undefined) return { status: 'fail', output, checks };
  }
  return { status: overall, checks };
}
