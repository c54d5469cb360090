import { formatDuration } from './duration.js';
import { STALE_INTERVALS, isStale } from './hysteresis.js';
import { rootCauses, type DependencyFailure } from './root-cause.js';
import type { LifecycleState, ProbeSnapshot } from './state.js';
import type { Group, ProbeState, Reason, Status } from './types.js';

/**
 * The read model: the one place that says what a probe's snapshot means to a
 * reader at a given instant. Metrics, /health, /ready, /diagnostics, /status,
 * the evaluation memo and `vitals check` all read a ProbeView; none of them
 * looks at state, staleness, maintenance or "never ran" on its own. Pure.
 *
 * Two fields answer two different questions and never contradict each other:
 * - `lastStatus`: how did the latest run go? (CONTRACT §6 vitals_probe_up/status)
 * - `state` / `verdict`: what does hysteresis make of the runs so far? (what
 *   readiness aggregates, CONTRACT §4). A healthy probe whose latest run failed
 *   has lastStatus `fail` and state `healthy` until failureThreshold is reached.
 */
export interface ProbeView {
  readonly name: string;
  readonly critical: boolean;
  readonly state: ProbeState;
  /** No run has finished yet. */
  readonly neverRan: boolean;
  /**
   * Added by a live reload and not run yet: readiness leaves it out until its
   * first verdict instead of turning 503 `starting` (a reload never does).
   */
  readonly joining: boolean;
  /** No run finished for more than 3 × interval: treated as fail with reason timeout (CONTRACT §4). */
  readonly stale: boolean;
  /** The latest run's status; a stale probe counts as fail; undefined before the first run. */
  readonly lastStatus: Status | undefined;
  /** 1 of vitals_probe_up: the latest run was pass or warn and is not stale. */
  readonly up: boolean;
  /** Status after hysteresis and staleness: what groups aggregate. Undefined before the first run. */
  readonly verdict: Status | undefined;
  /**
   * For outputs that must always name a status (the /diagnostics `status`
   * field): the latest run's, and `warn` before the first run — neither fine
   * nor known to be broken.
   */
  readonly shownStatus: Status;
  /**
   * How a person should see it (status page colour): failing when the verdict
   * fails, amber while failed runs pile up below failureThreshold, `unknown`
   * before the first run.
   */
  readonly tone: Status | 'unknown';
  /** Failed runs in a row that hysteresis has not acted on yet ("failing 1 of 2"). */
  readonly failing?: { readonly count: number; readonly of: number };
  /** Probes this one depends on, as configured (CONTRACT §9). */
  readonly dependsOn: readonly string[];
  /**
   * Set while the latest run failed and a probe it depends on is failing too
   * (core/root-cause.ts): then reason is `dependency`, message and hint name
   * the root(s), and the probe's own explanation is `dependency.cause`.
   * Only views built by probeViews() carry it: one probe alone cannot know.
   */
  readonly dependency?: DependencyFailure;
  /**
   * Why the latest run (or the watchdog) was not pass; null when it was.
   * `dependency` when a failing dependency explains it.
   */
  readonly reason: Reason | null;
  readonly message: string | null;
  readonly hint: string | null;
  /**
   * The last instant (epoch ms) at which everything above except the stale
   * message's elapsed time is still exact for this snapshot: time alone can
   * make a fresh probe stale, and nothing else.
   */
  readonly validUntil: number;
}

export const STALE_HINT =
  'no run finished for over 3 intervals: the scheduler may be stuck or the event loop blocked; check the service log and vitals_probe_last_run_timestamp_seconds';

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
export function maintenanceActive(maintenance: LifecycleState['maintenance'], now: number): boolean {
  return maintenance !== undefined && maintenance.until > now;
}

function explanation(snapshot: ProbeSnapshot, stale: boolean, since: number, now: number): Pick<ProbeView, 'reason' | 'message' | 'hint'> {
  if (stale) {
    return {
      reason: 'timeout',
      message: `no result for ${formatDuration(Math.max(0, now - since))} (more than ${STALE_INTERVALS} × the ${formatDuration(snapshot.intervalMs)} interval)`,
      hint: STALE_HINT,
    };
  }
  const last = snapshot.last;
  if (last === undefined) return { reason: null, message: 'not run yet', hint: null };
  if (last.status === 'pass') return { reason: null, message: null, hint: null };
  return { reason: last.reason ?? 'error', message: last.message ?? null, hint: last.hint ?? null };
}

/** One probe as readers see it at `now`. */
export function probeView(snapshot: ProbeSnapshot, lifecycle: Pick<LifecycleState, 'startedAt'>, now: number): ProbeView {
  const joinedAt = snapshot.addedAt ?? lifecycle.startedAt;
  const since = snapshot.lastRun ?? joinedAt;
  const stale = isStale(snapshot, now, joinedAt);
  const neverRan = snapshot.last === undefined;
  const lastStatus: Status | undefined = stale ? 'fail' : snapshot.last?.status;
  const verdict = stale ? 'fail' : stateStatus(snapshot.state);
  const pending =
    !stale && lastStatus === 'fail' && verdict !== 'fail' && verdict !== undefined
      ? { count: snapshot.consecutiveFailures, of: snapshot.failureThreshold }
      : undefined;
  const tone: ProbeView['tone'] = verdict === undefined ? 'unknown' : pending !== undefined ? 'warn' : verdict;
  return {
    name: snapshot.name,
    critical: snapshot.critical,
    state: snapshot.state,
    neverRan,
    joining: neverRan && snapshot.addedAt !== undefined && !stale,
    stale,
    lastStatus,
    up: lastStatus === 'pass' || lastStatus === 'warn',
    verdict,
    shownStatus: lastStatus ?? 'warn',
    tone,
    ...(pending === undefined ? {} : { failing: pending }),
    dependsOn: snapshot.dependsOn ?? [],
    ...explanation(snapshot, stale, since, now),
    // Stale stays stale until the next run hands out a new snapshot.
    validUntil: stale ? Number.POSITIVE_INFINITY : since + STALE_INTERVALS * snapshot.intervalMs,
  };
}

/**
 * Every probe as readers see it at `now`, in the order given, with the
 * root-cause rule applied across them: a failing probe whose dependency is
 * failing reads as reason `dependency`. What readers show per probe comes
 * from here whenever they show more than one probe's explanation.
 */
export function probeViews(
  snapshots: readonly ProbeSnapshot[],
  lifecycle: Pick<LifecycleState, 'startedAt'>,
  now: number,
): ProbeView[] {
  const own = snapshots.map((s) => probeView(s, lifecycle, now));
  const blamed = rootCauses(own.map((v) => ({ ...v, failing: v.lastStatus === 'fail' })));
  // A dependency turning stale changes a failing dependent's explanation: its
  // view holds no longer than the soonest of them (all of them: cheap, and never too long).
  const soonest = Math.min(...own.map((v) => v.validUntil));
  return own.map((view) => {
    const dependency = blamed.get(view.name);
    const validUntil = view.dependsOn.length > 0 && view.lastStatus === 'fail' ? Math.min(view.validUntil, soonest) : view.validUntil;
    if (dependency === undefined) return validUntil === view.validUntil ? view : { ...view, validUntil };
    return { ...view, reason: dependency.reason, message: dependency.message, hint: dependency.hint, dependency, validUntil };
  });
}

/**
 * A probe's own status within a group: its verdict; before the first run
 * fail in `ready` (readiness waits for it) and pass in `live` (the process
 * answering is itself proof of life).
 */
export function groupStatus(view: ProbeView, group: Group): Status {
  return view.verdict ?? (group === 'ready' ? 'fail' : 'pass');
}

/** What one probe's status does to its group: a failing non-critical probe only warns. */
export function contribution(status: Status, critical: boolean): Status {
  return status === 'fail' && !critical ? 'warn' : status;
}

/** The CONTRACT §7 rule for one-shot runs (`vitals check`): fail if a critical probe failed, warn if anything was not pass. */
export function summarizeRuns(runs: ReadonlyArray<{ status: Status; critical: boolean }>): {
  status: Status;
  passed: number;
  warned: number;
  failed: number;
  failedCritical: number;
} {
  const failed = runs.filter((r) => r.status === 'fail').length;
  const warned = runs.filter((r) => r.status === 'warn').length;
  const failedCritical = runs.filter((r) => contribution(r.status, r.critical) === 'fail').length;
  const status: Status = failedCritical > 0 ? 'fail' : failed + warned > 0 ? 'warn' : 'pass';
  return { status, passed: runs.length - failed - warned, warned, failed, failedCritical };
}
