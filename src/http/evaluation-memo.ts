import { evaluate, type Evaluation } from '../core/evaluate.js';
import type { LifecycleState, ProbeSnapshot } from '../core/state.js';
import type { Group } from '../core/types.js';

interface Entry {
  probes: readonly ProbeSnapshot[];
  shuttingDown: boolean;
  maintenanceUntil: number | undefined;
  startedAt: number;
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
 * lifecycle flags are unchanged, and `now` is within the evaluation's own
 * `validUntil` (the read model says when time alone could change it).
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
      now <= entry.evaluation.validUntil
    ) {
      return entry.evaluation;
    }
    const evaluation = evaluate(probes, { group: this.group, lifecycle, now });
    this.entry = {
      probes,
      shuttingDown: lifecycle.shuttingDown,
      maintenanceUntil: lifecycle.maintenance?.until,
      startedAt: lifecycle.startedAt,
      evaluation,
    };
    return evaluation;
  }
}
