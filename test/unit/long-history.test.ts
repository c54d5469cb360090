import { describe, expect, it } from 'vitest';
import { LongHistory, MAX_CHANGES, MINUTES } from '../../src/runner/long-history.js';
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
    expect(rollups).toEqual([
      { at: T0, runs: 3, fails: 1, worst: 'fail', minMs: 10, avgMs: 30, maxMs: 50 },
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
});
