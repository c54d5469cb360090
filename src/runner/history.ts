import type { ProbeResult } from '../core/types.js';

export const HISTORY_SIZE = 50;

/**
 * The last results of one probe, failures preserved (as blackbox_exporter's
 * prober history does): recent results of any status live in one ring, the
 * non-pass ones also in a second ring, so a long run of passes cannot evict
 * the failure an operator is looking for. Reading merges both by time; the
 * total never exceeds `size`.
 */
export class ResultHistory {
  /** Every result, newest last, up to `size`. */
  private readonly recent: ProbeResult[] = [];
  /** Non-pass results, newest last, up to half of `size`: the preserved ones. */
  private readonly failures: ProbeResult[] = [];
  private readonly failureSize: number;

  constructor(readonly size = HISTORY_SIZE) {
    if (!Number.isInteger(size) || size < 2) throw new RangeError('history size must be an integer ≥ 2');
    this.failureSize = Math.floor(size / 2);
  }

  add(result: ProbeResult): void {
    push(this.recent, result, this.size);
    if (result.status !== 'pass') push(this.failures, result, this.failureSize);
  }

  /**
   * Oldest first, each result once, at most `size`. When the preserved
   * failures and the recent ring together overflow, the oldest recent results
   * that are not preserved failures make room.
   */
  list(): ProbeResult[] {
    const preserved = new Set(this.failures);
    const older = this.failures.filter((f) => !this.recent.includes(f));
    let excess = older.length + this.recent.length - this.size;
    const kept: ProbeResult[] = [];
    for (const result of this.recent) {
      if (excess > 0 && !preserved.has(result)) {
        excess -= 1;
        continue;
      }
      kept.push(result);
    }
    // Failures that left the recent ring are older than all of it: insertion order is time order.
    return [...older, ...kept];
  }
}

function push(ring: ProbeResult[], item: ProbeResult, max: number): void {
  ring.push(item);
  if (ring.length > max) ring.splice(0, ring.length - max);
}
