import { evaluate, type Evaluation } from '../core/evaluate.js';
import { STALE_INTERVALS } from '../core/hysteresis.js';
import type { LifecycleState, ProbeSnapshot } from '../core/state.js';
import type { Group } from '../core/types.js';

interface Entry {
  probes: readonly ProbeSnapshot[];
  shuttingDown: boolean;
  maintenanceUntil: number | undefined;
  startedAt: number;
  /** Last instant (epoch ms) at which the evaluation is still exact. */
  validUntil: number;
  evaluation: Evaluation;
}

/**
 * Remembers the last evaluation of one group, for requests without
 * `?exclude`. /health and /ready are polled by every kubelet and load
 * balancer while the state changes once per probe run, so re-evaluating per
 * request is wasted work (measured in bench/).
 *
 * Exact, not approximate: it is reused only while the snapshot list is the
 * same array (the scheduler hands out a new one after every run), the
 * lifecycle flags are unchanged, and no probe can have become stale and no
 * maintenance window can have ended since — those are the only inputs that
 * change with time alone.
 */
export class EvaluationMemo {
  private entry: Entry | undefined;

  constructor(private readonly group: Group) {}

  evaluate(probes: readonly ProbeSnapshot[], lifecycle: LifecycleState, now: number): Evaluation {
    const entry = this.entry;
    if (
      entry !== undefined &&
      entry.probes === probes &&
      entry.shuttingDown === lifecycle.shuttingDown &&
      entry.maintenanceUntil === lifecycle.maintenance?.until &&
      entry.startedAt === lifecycle.startedAt &&
      now <= entry.validUntil
    ) {
      return entry.evaluation;
    }
    const evaluation = evaluate(probes, { group: this.group, lifecycle, now });
    this.entry = {
      probes,
      shuttingDown: lifecycle.shuttingDown,
      maintenanceUntil: lifecycle.maintenance?.until,
      startedAt: lifecycle.startedAt,
      validUntil: this.validUntil(probes, lifecycle, now),
      evaluation,
    };
    return evaluation;
  }

  /** The earliest instant at which time alone could change the evaluation. */
  private validUntil(probes: readonly ProbeSnapshot[], lifecycle: LifecycleState, now: number): number {
    let until = Number.POSITIVE_INFINITY;
    for (const probe of probes) {
      if (!probe.groups.includes(this.group)) continue;
      const since = probe.lastRun ?? lifecycle.startedAt;
      // isStale: now - since > 3 × interval.
      until = Math.min(until, since + STALE_INTERVALS * probe.intervalMs);
    }
    const maintenance = lifecycle.maintenance;
    // maintenanceActive: until > now.
    if (maintenance !== undefined) until = Math.min(until, maintenance.until - 1);
    // Already stale: still exact for this very millisecond, recomputed after.
    return Math.max(until, now);
  }
}
