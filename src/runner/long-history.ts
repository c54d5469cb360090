import type { RunEvent, StateReader } from '../core/state.js';
import { PROBE_STATES, REASONS, STATUSES, type ProbeState, type Reason, type Status } from '../core/types.js';

/**
 * 24 h of history per probe beyond the last-50-runs ring, bounded and compact:
 * per-minute rollups (runs, fails, worst status, min/avg/max duration) in
 * typed arrays indexed by minute-of-day, and the state changes in a fixed ring.
 * No object per minute: 1,000 probes × 24 h stay under 30 MiB (measured by
 * test/unit/long-history-memory.test.ts). Fed only from the scheduler's
 * onRun events, so it never reaches into the scheduler.
 */
export const MINUTES = 24 * 60;
/** State changes kept per probe; a probe flapping more than this in 24 h loses its oldest (reported as truncated). */
export const MAX_CHANGES = 128;
const DAY_MS = MINUTES * 60_000;

export interface MinuteRollup {
  /** Epoch ms of the minute's start. */
  readonly at: number;
  readonly runs: number;
  readonly fails: number;
  readonly worst: Status;
  readonly minMs: number;
  readonly avgMs: number;
  readonly maxMs: number;
}

export interface StateChange {
  readonly at: number;
  readonly from: ProbeState;
  readonly to: ProbeState;
  readonly reason: Reason | null;
}

class ProbeHistory {
  // Slot i is minute-of-day i of epoch day `day[i]` (Uint16: exact until 2149, two bytes fewer per slot
  // than an epoch-minute stamp, which is what keeps 1,000 probes under 30 MiB); other days are empty.
  private readonly day = new Uint16Array(MINUTES);
  private readonly runs = new Uint16Array(MINUTES);
  private readonly fails = new Uint16Array(MINUTES);
  /** 1 + index into STATUSES (0 = no run). */
  private readonly worst = new Uint8Array(MINUTES);
  private readonly minMs = new Float32Array(MINUTES);
  private readonly sumMs = new Float32Array(MINUTES);
  private readonly maxMs = new Float32Array(MINUTES);
  private readonly changeAt = new Float64Array(MAX_CHANGES);
  /** from, to (indexes into PROBE_STATES) and 1 + index into REASONS (0 = none), three bytes per change. */
  private readonly changeCodes = new Uint8Array(MAX_CHANGES * 3);
  private changeCount = 0;

  record(finishedAt: number, status: Status, durationMs: number): void {
    const m = Math.floor(finishedAt / 60_000);
    const i = m % MINUTES;
    const d = Math.floor(m / MINUTES);
    if (this.day[i] !== d) {
      this.day[i] = d;
      this.runs[i] = 0;
      this.fails[i] = 0;
      this.worst[i] = 0;
      this.minMs[i] = durationMs;
      this.sumMs[i] = 0;
      this.maxMs[i] = durationMs;
    }
    // Saturate rather than wrap: a sub-second interval could exceed 65,535 runs in a minute only in theory.
    if (this.runs[i]! < 0xffff) this.runs[i]! += 1;
    if (status === 'fail' && this.fails[i]! < 0xffff) this.fails[i]! += 1;
    this.worst[i] = Math.max(this.worst[i]!, STATUSES.indexOf(status) + 1);
    this.minMs[i] = Math.min(this.minMs[i]!, durationMs);
    this.maxMs[i] = Math.max(this.maxMs[i]!, durationMs);
    this.sumMs[i]! += durationMs;
  }

  change(at: number, from: ProbeState, to: ProbeState, reason: Reason | null): void {
    const i = this.changeCount % MAX_CHANGES;
    this.changeAt[i] = at;
    this.changeCodes[i * 3] = PROBE_STATES.indexOf(from);
    this.changeCodes[i * 3 + 1] = PROBE_STATES.indexOf(to);
    this.changeCodes[i * 3 + 2] = reason === null ? 0 : REASONS.indexOf(reason) + 1;
    this.changeCount += 1;
  }

  rollups(now: number): MinuteRollup[] {
    const nowMinute = Math.floor(now / 60_000);
    const out: MinuteRollup[] = [];
    for (let m = nowMinute - MINUTES + 1; m <= nowMinute; m += 1) {
      const i = m % MINUTES;
      if (this.day[i] !== Math.floor(m / MINUTES) || this.runs[i] === 0) continue;
      out.push({
        at: m * 60_000,
        runs: this.runs[i]!,
        fails: this.fails[i]!,
        worst: STATUSES[this.worst[i]! - 1]!,
        minMs: this.minMs[i]!,
        avgMs: this.sumMs[i]! / this.runs[i]!,
        maxMs: this.maxMs[i]!,
      });
    }
    return out;
  }

  changes(now: number): { changes: StateChange[]; truncated: boolean } {
    const kept = Math.min(this.changeCount, MAX_CHANGES);
    const out: StateChange[] = [];
    for (let k = this.changeCount - kept; k < this.changeCount; k += 1) {
      const i = k % MAX_CHANGES;
      const at = this.changeAt[i]!;
      if (at < now - DAY_MS) continue;
      const reason = this.changeCodes[i * 3 + 2]!;
      out.push({
        at,
        from: PROBE_STATES[this.changeCodes[i * 3]!]!,
        to: PROBE_STATES[this.changeCodes[i * 3 + 1]!]!,
        reason: reason === 0 ? null : REASONS[reason - 1]!,
      });
    }
    // Dropped changes matter only if the oldest kept one is still inside the window.
    const truncated = this.changeCount > MAX_CHANGES && out.length === MAX_CHANGES;
    return { changes: out, truncated };
  }
}

export class LongHistory {
  private readonly probes = new Map<string, ProbeHistory>();

  /** Subscribes to finished runs; returns the unsubscribe. */
  static follow(state: Pick<StateReader, 'onRun'>): { history: LongHistory; stop: () => void } {
    const history = new LongHistory();
    const stop = state.onRun((event) => history.record(event));
    return { history, stop };
  }

  record(event: RunEvent): void {
    const { snapshot, result, previousState } = event;
    let probe = this.probes.get(snapshot.name);
    if (probe === undefined) {
      probe = new ProbeHistory();
      this.probes.set(snapshot.name, probe);
    }
    probe.record(result.finishedAt, result.status, result.durationMs);
    if (previousState !== snapshot.state) probe.change(result.finishedAt, previousState, snapshot.state, result.reason ?? null);
  }

  rollups(name: string, now: number): MinuteRollup[] {
    return this.probes.get(name)?.rollups(now) ?? [];
  }

  changes(name: string, now: number): { changes: StateChange[]; truncated: boolean } {
    return this.probes.get(name)?.changes(now) ?? { changes: [], truncated: false };
  }
}
