import { contribution, groupStatus, maintenanceActive, probeView, type ProbeView } from './read-model.js';
import type { LifecycleState, ProbeSnapshot } from './state.js';
import type { Group, ProbeState, Status } from './types.js';

/** Why readiness is held down for a reason of the service's own (CONTRACT §2). */
export type HoldReason = 'starting' | 'maintenance' | 'shutting down';

export interface CheckEvaluation {
  name: string;
  /**
   * The probe's own status in this group (read-model groupStatus), whether
   * or not it is critical or excluded.
   */
  status: Status;
  excluded: boolean;
  state: ProbeState;
  stale: boolean;
  /** No verdict yet (never ran, not stale): the probe holds readiness at `starting`. */
  starting: boolean;
}

export interface Evaluation {
  status: Status;
  output?: HoldReason;
  checks: CheckEvaluation[];
  /** The last instant (epoch ms) at which this evaluation is still exact for the same inputs. */
  validUntil: number;
}

export interface EvaluateOptions {
  group: Group;
  /**
   * Probe names left out of this one evaluation (still listed, marked
   * excluded). In `ready`, probes a live reload added that have not run yet
   * are left out the same way.
   */
  exclude?: ReadonlySet<string>;
  lifecycle: LifecycleState;
  now: number;
}

function check(view: ProbeView, group: Group, excluded: boolean): CheckEvaluation {
  return { name: view.name, status: groupStatus(view, group), excluded, state: view.state, stale: view.stale, starting: view.verdict === undefined };
}

/**
 * One evaluation of a group (CONTRACT §2, §4). Pure; every probe is read
 * through the read model (core/read-model.ts).
 *
 * - Only probes in `group` take part; excluded ones are listed but ignored.
 * - A critical probe that fails makes the whole fail; a non-critical one makes it warn.
 * - `ready`: a probe that has not run yet holds readiness at fail/`starting`,
 *   except one a live reload added (ProbeView.joining), which is left out until it has run;
 *   maintenance and shutdown hold it at fail too (shutting down > maintenance > starting).
 * - `live`: a probe that has not run yet counts as pass, and maintenance and
 *   shutdown never touch liveness: a draining process must not be killed early.
 */
export function evaluate(probes: readonly ProbeSnapshot[], options: EvaluateOptions): Evaluation {
  const { group, exclude, lifecycle, now } = options;
  const checks: CheckEvaluation[] = [];
  let overall: Status = 'pass';
  let starting = false;
  let validUntil = Number.POSITIVE_INFINITY;

  for (const probe of probes) {
    if (!probe.groups.includes(group)) continue;
    const view = probeView(probe, lifecycle, now);
    // A probe a reload added is left out until its first run (CONTRACT §10: a reload never turns /ready 503).
    const excluded = (exclude?.has(probe.name) ?? false) || (view.joining && group === 'ready');
    const entry = check(view, group, excluded);
    checks.push(entry);
    validUntil = Math.min(validUntil, view.validUntil);
    if (excluded) continue;

    if (view.verdict === undefined && group === 'ready') starting = true;
    const share = contribution(entry.status, probe.critical);
    if (share === 'fail' || (share === 'warn' && overall === 'pass')) overall = share;
  }
  // Maintenance counts while until > now: exact up to until - 1.
  if (lifecycle.maintenance !== undefined) validUntil = Math.min(validUntil, lifecycle.maintenance.until - 1);
  // Already past: still exact for this very millisecond, recomputed after.
  validUntil = Math.max(validUntil, now);

  if (group === 'ready') {
    const output: HoldReason | undefined = lifecycle.shuttingDown
      ? 'shutting down'
      : maintenanceActive(lifecycle.maintenance, now)
        ? 'maintenance'
        : starting
          ? 'starting'
          : undefined;
    if (output !== undefined) return { status: 'fail', output, checks, validUntil };
  }
  return { status: overall, checks, validUntil };
}

/**
 * One dependency's own status (/health/{probe}, /ready/{probe}): its status
 * in the group — fail even for a non-critical probe, `starting` in ready
 * before its first run — and untouched by
 * service-wide maintenance or shutdown, which belong to /ready only.
 */
export function evaluateOne(probe: ProbeSnapshot, group: Group, lifecycle: LifecycleState, now: number): Evaluation {
  const view = probeView(probe, lifecycle, now);
  const entry = check(view, group, false);
  const starting = group === 'ready' && view.verdict === undefined;
  return { status: entry.status, ...(starting ? { output: 'starting' as const } : {}), checks: [entry], validUntil: Math.max(view.validUntil, now) };
}
