import { describe, expect, it } from 'vitest';
import { decodeDuration, encodeDuration, LongHistory, MAX_CHANGES, MINUTES } from '../../src/runner/long-history.js';
import type { ProbeState } from '../../src/core/types.js';
import { FakeState, result, snapshot } from '../support/fake-state.js';

const T0 = Date.UTC(2026, 11, 1, 12, 0, 0);

function run(h: LongHistory, at: number, status: 'pass' | 'warn' | 'fail', durationMs: number, from: ProbeState, to: ProbeState, name = 'db') {
  h.record({ snapshot: snapshot({ name, state: to }), result: result(status, at, { durationMs }), previousState: from });
}

describe('LongHistory', () => {
  it('rolls runs up per minute: runs, fails, worst, min/avg/max', () => {
    const h = new LongHistory();
    run(h, T0 + 1_000, 'pass', 10, 'healthy', 'healthy');
    run(h, T0 + 20_000, 'warn', 30, 'healthy', 'healthy');
    run(h, T0 + 40_000, 'fail', 50, 'healthy', 'healthy');
    run(h, T0 + 61_000, 'pass', 4, 'healthy', 'healthy');
    const rollups = h.rollups('db', T0 + 90_000);
    // min/max are log-coded (±0.021 %); the rest is exact.
    expect(rollups[0]!.minMs).toBeCloseTo(10, 2);
    expect(rollups[0]!.maxMs).toBeCloseTo(50, 1);
    expect(rollups).toEqual([
      { at: T0, runs: 3, fails: 1, worst: 'fail', minMs: rollups[0]!.minMs, avgMs: 30, maxMs: rollups[0]!.maxMs },
      { at: T0 + 60_000, runs: 1, fails: 0, worst: 'pass', minMs: 4, avgMs: 4, maxMs: 4 },
    ]);
    expect(h.rollups('other', T0)).toEqual([]);
  });

  it('forgets minutes older than 24 h, also when their slot is reused the next day', () => {
    const h = new LongHistory();
    run(h, T0, 'fail', 5, 'healthy', 'unhealthy');
    run(h, T0 + 60_000, 'pass', 5, 'unhealthy', 'recovering');
    expect(h.rollups('db', T0 + MINUTES * 60_000 - 1)).toHaveLength(2);
    // Same minute-of-day, next day: the slot starts over instead of adding to yesterday's counts.
    run(h, T0 + MINUTES * 60_000 + 5_000, 'pass', 7, 'recovering', 'healthy');
    const later = h.rollups('db', T0 + MINUTES * 60_000 + 10_000);
    expect(later).toEqual([
      { at: T0 + 60_000, runs: 1, fails: 0, worst: 'pass', minMs: 5, avgMs: 5, maxMs: 5 },
      { at: T0 + MINUTES * 60_000, runs: 1, fails: 0, worst: 'pass', minMs: 7, avgMs: 7, maxMs: 7 },
    ]);
  });

  it('keeps state changes with reason for 24 h in a bounded ring, fed by onRun', () => {
    const state = new FakeState([snapshot({ name: 'db' })]);
    const { history, stop } = LongHistory.follow(state);
    const play = (r: ReturnType<typeof result>, from: ProbeState, to: ProbeState) =>
      state.emit({ snapshot: snapshot({ name: 'db', state: to }), result: r, previousState: from });
    play(result('fail', T0, { reason: 'timeout' }), 'unknown', 'unhealthy');
    play(result('pass', T0 + 10_000), 'unhealthy', 'recovering');
    play(result('pass', T0 + 20_000), 'recovering', 'recovering');
    stop();
    play(result('pass', T0 + 30_000), 'recovering', 'healthy');
    expect(history.changes('db', T0 + 60_000)).toEqual({
      changes: [
        { at: T0, from: 'unknown', to: 'unhealthy', reason: 'timeout' },
        { at: T0 + 10_000, from: 'unhealthy', to: 'recovering', reason: null },
      ],
      truncated: false,
    });
    expect(history.changes('db', T0 + 25 * 3_600_000).changes).toEqual([]);

    const flappy = new LongHistory();
    for (let k = 0; k < MAX_CHANGES + 10; k += 1) run(flappy, T0 + k * 1_000, 'pass', 1, k % 2 === 0 ? 'healthy' : 'degraded', k % 2 === 0 ? 'degraded' : 'healthy');
    const kept = flappy.changes('db', T0 + MAX_CHANGES * 1_000);
    expect(kept.changes).toHaveLength(MAX_CHANGES);
    expect(kept.changes[0]!.at).toBe(T0 + 10_000);
    expect(kept.truncated).toBe(true);
  });

  it('empties the minutes skipped by a gap, also one longer than 24 h, and keeps min ≤ avg ≤ max', () => {
    const h = new LongHistory();
    for (let k = 0; k < 10; k += 1) run(h, T0 + k * 60_000, 'pass', 5 + k, 'healthy', 'healthy');
    // 30 h later: every slot held is older than 24 h, whatever its minute of day.
    const later = T0 + 30 * 3_600_000;
    run(h, later, 'warn', 8, 'healthy', 'healthy');
    expect(h.rollups('db', later)).toEqual([{ at: later, runs: 1, fails: 0, worst: 'warn', minMs: 8, avgMs: 8, maxMs: 8 }]);
    // 23 h 55 min on: the minutes between are empty, the one 23 h 55 min ago is still shown.
    const next = later + (MINUTES - 5) * 60_000;
    run(h, next, 'pass', 0.3, 'healthy', 'healthy');
    run(h, next + 1_000, 'fail', 2_500, 'healthy', 'healthy');
    const rollups = h.rollups('db', next + 2_000);
    expect(rollups.map((r) => r.at)).toEqual([later, next]);
    const [, last] = rollups;
    expect(last!.runs).toBe(2);
    expect(last!.minMs).toBeLessThanOrEqual(last!.avgMs);
    expect(last!.avgMs).toBeLessThanOrEqual(last!.maxMs);
    expect(Math.abs(last!.minMs - 0.3) / 0.3).toBeLessThan(0.00021);
    expect(Math.abs(last!.maxMs - 2_500) / 2_500).toBeLessThan(0.00021);
    // Nothing is shown before the first minute written or after the newest one.
    expect(h.rollups('db', next + 5 * 60_000).map((r) => r.at)).toEqual([next]);
  });

  it('adds runs finishing out of order or after the clock stepped back, and starts over after a step back of more than 24 h', () => {
    const h = new LongHistory();
    run(h, T0 + 10 * 60_000, 'pass', 4, 'healthy', 'healthy');
    // Two hours back: the minute is inside the window held, its slot is valid.
    run(h, T0 - 110 * 60_000, 'fail', 6, 'healthy', 'healthy');
    run(h, T0 + 10 * 60_000 + 5_000, 'pass', 4, 'healthy', 'healthy');
    expect(h.rollups('db', T0 + 11 * 60_000).map((r) => [r.at, r.runs, r.fails])).toEqual([
      [T0 - 110 * 60_000, 1, 1],
      [T0 + 10 * 60_000, 2, 0],
    ]);
    // Two days back: what is held is in the future of every read from now on; the new minute stands alone.
    const past = T0 - 2 * MINUTES * 60_000;
    run(h, past, 'warn', 3, 'healthy', 'healthy');
    expect(h.rollups('db', past)).toEqual([{ at: past, runs: 1, fails: 0, worst: 'warn', minMs: 3, avgMs: 3, maxMs: 3 }]);
    expect(h.rollups('db', T0 + 11 * 60_000)).toEqual([]);
  });

  it('codes durations within ±0.021 % from 1 µs on, monotonic, 0 exact', () => {
    expect(decodeDuration(encodeDuration(0))).toBe(0);
    let previous = -1;
    for (const ms of [0.01, 0.3, 1, 3, 12.345, 99.9, 500, 4_999, 30_000, 3_600_000, 86_400_000]) {
      const code = encodeDuration(ms);
      expect(code).toBeGreaterThan(previous);
      previous = code;
      expect(Math.abs(decodeDuration(code) - ms) / ms).toBeLessThan(0.00021);
    }
    // Below 1 µs the scale is linear: an absolute error under 0.25 ns.
    expect(Math.abs(decodeDuration(encodeDuration(0.000_5)) - 0.000_5)).toBeLessThan(0.000_000_25);
    expect(encodeDuration(1e12)).toBe(0xffff);
  });
});
