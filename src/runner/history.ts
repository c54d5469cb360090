import { REASONS, STATUSES, type Reason, type RunRecord, type Status } from '../core/types.js';

export const HISTORY_SIZE = 50;

/**
 * The last results of one probe, failures preserved (as blackbox_exporter's
 * prober history does): recent runs of any status live in one ring, the
 * non-pass ones also in a second ring, so a long run of passes cannot evict
 * the failure an operator is looking for. Reading merges both by time; the
 * total never exceeds `size`.
 *
 * Compact on purpose (issue 16): it keeps only what its readers show — time,
 * status, duration, reason, message — as numbers in typed arrays and one
 * string reference per non-pass run, not the run's ProbeResult (observations,
 * info, hint: ≈ 330 bytes and 6 objects each, 50 per probe). The latest full
 * result stays in the probe's snapshot (`last`). A message equal to the one
 * before it is stored as that same string, so a probe failing the same way
 * for 50 runs holds one copy; the comparison is within this probe only.
 */
export class ResultHistory {
  /** Runs ever added, and non-pass runs ever added: sequence numbers and ring positions follow from them. */
  private added = 0;
  private failuresAdded = 0;
  private readonly failureSize: number;
  /**
   * recent ring: [finishedAt, durationMs] per slot, `size` slots; then the
   * failure ring: [sequence number, finishedAt, durationMs], `failureSize` slots.
   */
  private readonly numbers: Float64Array;
  /** Per slot of both rings: status index + 4 × (reason index + 1); 0 reason = none. */
  private readonly codes: Uint8Array;
  /** Messages per slot of both rings, created by the first non-pass run (a probe that always passes has none). */
  private messages: Array<string | undefined> | undefined;
  /** The latest message, so an equal one is stored as the same string. */
  private lastMessage: string | undefined;

  constructor(readonly size = HISTORY_SIZE) {
    if (!Number.isInteger(size) || size < 2) throw new RangeError('history size must be an integer ≥ 2');
    this.failureSize = Math.floor(size / 2);
    this.numbers = new Float64Array(2 * size + 3 * this.failureSize);
    this.codes = new Uint8Array(size + this.failureSize);
  }

  add(result: RunRecord): void {
    const code = STATUSES.indexOf(result.status) + 4 * (result.reason === undefined ? 0 : REASONS.indexOf(result.reason) + 1);
    let message = result.message;
    if (message !== undefined) {
      if (message === this.lastMessage) message = this.lastMessage;
      else this.lastMessage = message;
    }
    const seq = this.added;
    const slot = seq % this.size;
    this.numbers[2 * slot] = result.finishedAt;
    this.numbers[2 * slot + 1] = result.durationMs;
    this.codes[slot] = code;
    this.setMessage(slot, message);
    this.added += 1;
    if (result.status === 'pass') return;
    const f = this.failuresAdded % this.failureSize;
    const at = 2 * this.size + 3 * f;
    this.numbers[at] = seq;
    this.numbers[at + 1] = result.finishedAt;
    this.numbers[at + 2] = result.durationMs;
    this.codes[this.size + f] = code;
    this.setMessage(this.size + f, message);
    this.failuresAdded += 1;
  }

  /**
   * Oldest first, each run once, at most `size`, as fresh objects (callers
   * cannot change the history). When the preserved failures and the recent
   * ring together overflow, the oldest recent runs that are not preserved
   * failures make room.
   */
  list(): RunRecord[] {
    const recentCount = Math.min(this.added, this.size);
    const firstRecent = this.added - recentCount;
    const failureCount = Math.min(this.failuresAdded, this.failureSize);
    const out: RunRecord[] = [];
    // Failures that left the recent ring are older than all of it: insertion order is time order.
    let oldestPreserved = Infinity;
    for (let k = this.failuresAdded - failureCount; k < this.failuresAdded; k += 1) {
      const f = k % this.failureSize;
      const at = 2 * this.size + 3 * f;
      const seq = this.numbers[at]!;
      oldestPreserved = Math.min(oldestPreserved, seq);
      if (seq < firstRecent) out.push(this.record(this.size + f, this.numbers[at + 1]!, this.numbers[at + 2]!));
    }
    let excess = out.length + recentCount - this.size;
    for (let seq = firstRecent; seq < this.added; seq += 1) {
      const slot = seq % this.size;
      // A recent non-pass run at or after the oldest failure still in the failure ring is preserved.
      const preserved = this.codes[slot]! % 4 !== 0 && seq >= oldestPreserved;
      if (excess > 0 && !preserved) {
        excess -= 1;
        continue;
      }
      out.push(this.record(slot, this.numbers[2 * slot]!, this.numbers[2 * slot + 1]!));
    }
    return out;
  }

  private setMessage(slot: number, message: string | undefined): void {
    if (message === undefined && this.messages === undefined) return;
    this.messages ??= new Array<string | undefined>(this.size + this.failureSize).fill(undefined);
    this.messages[slot] = message;
  }

  private record(slot: number, finishedAt: number, durationMs: number): RunRecord {
    const code = this.codes[slot]!;
    const status = STATUSES[code % 4] as Status;
    const reasonIndex = code >> 2;
    const message = this.messages?.[slot];
    return {
      finishedAt,
      status,
      durationMs,
      ...(reasonIndex === 0 ? {} : { reason: REASONS[reasonIndex - 1] as Reason }),
      ...(message === undefined ? {} : { message }),
    };
  }
}
