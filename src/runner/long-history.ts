import type { RunEvent, StateReader } from '../core/state.js';
import { PROBE_STATES, REASONS, STATUSES, type ProbeState, type Reason, type Status } from '../core/types.js';

/**
 * 24 h of history per probe beyond the last-50-runs ring, bounded and compact:
 * per-minute rollups (runs, fails, worst status, min/avg/max duration) in
 * typed arrays indexed by minute-of-day, and the state changes in a fixed ring,
 * all views on one ArrayBuffer per probe (one allocation, one backing store).
 * No object per minute: 13 bytes per minute slot and 11 per change, ≈ 20 KiB per
 * probe, 1,000 probes × 24 h under 20 MiB (measured by
 * test/unit/long-history-memory.test.ts). Fed only from the scheduler's
 * onRun events, so it never reaches into the scheduler.
 */
export const MINUTES = 24 * 60;
/** State changes kept per probe; a probe flapping more than this in 24 h loses its oldest (reported as truncated). */
export const MAX_CHANGES = 128;
const DAY_MS = MINUTES * 60_000;

/**
 * Min and max durations are stored as Uint16 codes on a log scale,
 * code = round(ln(1 + ms / 1 µs) × SCALE), which spans 0 to 10⁹ ms (11.6 days;
 * longer saturates) with a relative error of at most ±0.021 % from 1 µs on (half
 * a step of e^(1/SCALE)), under 0.25 ns absolute below; 0 is exact. Codes are monotonic, so the min/max of codes is the
 * code of the min/max. The sum (for the average) stays a Float32.
 */
const CODE_UNIT_MS = 0.001;
const CODE_MAX = 0xffff;
const CODE_SCALE = CODE_MAX / Math.log1p(1e9 / CODE_UNIT_MS);

export function encodeDuration(ms: number): number {
  if (!(ms > 0)) return 0;
  return Math.min(CODE_MAX, Math.round(Math.log1p(ms / CODE_UNIT_MS) * CODE_SCALE));
}

export function decodeDuration(code: number): number {
  return Math.expm1(code / CODE_SCALE) * CODE_UNIT_MS;
}

/** Bytes of one probe's buffer; the widest views first so every view is aligned to its element size. */
const BYTES = MAX_CHANGES * 8 + MINUTES * 4 + MINUTES * 2 * 4 + MINUTES + MAX_CHANGES * 3;

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
  // Slot i holds minute m with m % MINUTES === i for m in (newest − MINUTES, newest], newest being the
  // latest minute written; slots skipped when time moves on are emptied then (runs = 0), so no per-slot
  // day stamp is needed. A slot with runs === 0 is empty and its other fields are stale until written.
  private newest = Number.NEGATIVE_INFINITY;
  private readonly changeAt: Float64Array;
  private readonly sumMs: Float32Array;
  private readonly runs: Uint16Array;
  private readonly fails: Uint16Array;
  private readonly minCode: Uint16Array;
  private readonly maxCode: Uint16Array;
  /** 1 + index into STATUSES (0 = no run). */
  private readonly worst: Uint8Array;
  /** from, to (indexes into PROBE_STATES) and 1 + index into REASONS (0 = none), three bytes per change. */
  private readonly changeCodes: Uint8Array;
  private changeCount = 0;

  constructor() {
    const buffer = new ArrayBuffer(BYTES);
    let offset = 0;
    this.changeAt = new Float64Array(buffer, offset, MAX_CHANGES);
    offset += MAX_CHANGES * 8;
    this.sumMs = new Float32Array(buffer, offset, MINUTES);
    offset += MINUTES * 4;
    this.runs = new Uint16Array(buffer, offset, MINUTES);
    offset += MINUTES * 2;
    this.fails = new Uint16Array(buffer, offset, MINUTES);
    offset += MINUTES * 2;
    this.minCode = new Uint16Array(buffer, offset, MINUTES);
    offset += MINUTES * 2;
    this.maxCode = new Uint16Array(buffer, offset, MINUTES);
    offset += MINUTES * 2;
    this.worst = new Uint8Array(buffer, offset, MINUTES);
    offset += MINUTES;
    this.changeCodes = new Uint8Array(buffer, offset, MAX_CHANGES * 3);
  }

  /** Moves the window so that minute m is inside it. */
  private advance(m: number): void {
    if (m > this.newest) {
      const gap = m - this.newest;
      if (gap >= MINUTES) this.runs.fill(0);
      else {
        // Empty the slots of the minutes skipped (newest, m], wrapping around the ring.
        const from = (this.newest + 1) % MINUTES;
        const to = m % MINUTES;
        if (from <= to) this.runs.fill(0, from, to + 1);
        else {
          this.runs.fill(0, from);
          this.runs.fill(0, 0, to + 1);
        }
      }
      this.newest = m;
      return;
    }
    // Within the window (a run finishing out of order, or the clock stepped back less than 24 h): its slot is valid.
    if (m > this.newest - MINUTES) return;
    // The clock went back more than 24 h: what is held lies in the future of every later read, so start
    // over (as the day-stamped slots did, slot by slot) rather than refusing runs until the clock catches up.
    this.runs.fill(0);
    this.newest = m;
  }

  record(finishedAt: number, status: Status, durationMs: number): void {
    const m = Math.floor(finishedAt / 60_000);
    this.advance(m);
    const i = m % MINUTES;
    const code = encodeDuration(durationMs);
    if (this.runs[i] === 0) {
      this.fails[i] = 0;
      this.worst[i] = 0;
      this.minCode[i] = code;
      this.maxCode[i] = code;
      this.sumMs[i] = 0;
    }
    // Saturate rather than wrap: a sub-second interval could exceed 65,535 runs in a minute only in theory.
    if (this.runs[i]! < 0xffff) this.runs[i]! += 1;
    if (status === 'fail' && this.fails[i]! < 0xffff) this.fails[i]! += 1;
    this.worst[i] = Math.max(this.worst[i]!, STATUSES.indexOf(status) + 1);
    if (code < this.minCode[i]!) this.minCode[i] = code;
    if (code > this.maxCode[i]!) this.maxCode[i] = code;
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
    // Only minutes inside both the asked window and the held one; later minutes than `newest` are empty.
    const first = Math.max(nowMinute, this.newest) - MINUTES + 1;
    const last = Math.min(nowMinute, this.newest);
    for (let m = first; m <= last; m += 1) {
      const i = m % MINUTES;
      const runs = this.runs[i]!;
      if (runs === 0) continue;
      const avgMs = this.sumMs[i]! / runs;
      // The coded min/max are within ±0.021 % of the truth; clamping to the average keeps min ≤ avg ≤ max,
      // and a single run reports its exact duration three times.
      out.push({
        at: m * 60_000,
        runs,
        fails: this.fails[i]!,
        worst: STATUSES[this.worst[i]! - 1]!,
        minMs: runs === 1 ? avgMs : Math.min(decodeDuration(this.minCode[i]!), avgMs),
        avgMs,
        maxMs: runs === 1 ? avgMs : Math.max(decodeDuration(this.maxCode[i]!), avgMs),
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
