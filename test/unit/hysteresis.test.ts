import { describe, expect, it } from 'vitest';
import { isStale, nextState, type HysteresisStep } from '../../src/core/hysteresis.js';
import type { ProbeState, Status } from '../../src/core/types.js';

/** Feeds a sequence of statuses from `unknown` and returns the states after each. */
function walk(statuses: Status[], failureThreshold = 2, successThreshold = 1): ProbeState[] {
  let step: HysteresisStep = { state: 'unknown', consecutiveFailures: 0, consecutiveSuccesses: 0 };
  return statuses.map((status) => {
    step = nextState(step.state, step, status, { failureThreshold, successThreshold });
    return step.state;
  });
}

describe('nextState: single transitions', () => {
  const zero = { consecutiveFailures: 0, consecutiveSuccesses: 0 };
  const thresholds = { failureThreshold: 2, successThreshold: 2 };
  it.each<[ProbeState, Status, { consecutiveFailures: number; consecutiveSuccesses: number }, ProbeState]>([
    // the first result decides at once
    ['unknown', 'pass', zero, 'healthy'],
    ['unknown', 'warn', zero, 'degraded'],
    ['unknown', 'fail', zero, 'unhealthy'],
    // good states absorb failures below failureThreshold
    ['healthy', 'fail', zero, 'healthy'],
    ['degraded', 'fail', zero, 'degraded'],
    ['healthy', 'fail', { consecutiveFailures: 1, consecutiveSuccesses: 0 }, 'unhealthy'],
    ['degraded', 'fail', { consecutiveFailures: 1, consecutiveSuccesses: 0 }, 'unhealthy'],
    // warn/pass move between the good states at once
    ['healthy', 'warn', zero, 'degraded'],
    ['degraded', 'pass', zero, 'healthy'],
    // unhealthy needs successThreshold passes
    ['unhealthy', 'pass', zero, 'recovering'],
    ['unhealthy', 'warn', zero, 'recovering'],
    ['unhealthy', 'fail', { consecutiveFailures: 5, consecutiveSuccesses: 0 }, 'unhealthy'],
    ['recovering', 'pass', { consecutiveFailures: 0, consecutiveSuccesses: 1 }, 'healthy'],
    ['recovering', 'warn', { consecutiveFailures: 0, consecutiveSuccesses: 1 }, 'degraded'],
    ['recovering', 'fail', { consecutiveFailures: 0, consecutiveSuccesses: 1 }, 'unhealthy'],
  ])('%s + %s (%o) → %s', (state, status, counters, expected) => {
    expect(nextState(state, counters, status, thresholds).state).toBe(expected);
  });
});

describe('nextState: sequences', () => {
  it.each<[string, Status[], number, number, ProbeState[]]>([
    ['one blip does not flip a healthy probe', ['pass', 'fail', 'pass'], 2, 1, ['healthy', 'healthy', 'healthy']],
    ['two fails in a row do', ['pass', 'fail', 'fail'], 2, 1, ['healthy', 'healthy', 'unhealthy']],
    ['a pass resets the failure count', ['pass', 'fail', 'pass', 'fail'], 2, 1, ['healthy', 'healthy', 'healthy', 'healthy']],
    ['failureThreshold 1 flips at once', ['pass', 'fail'], 1, 1, ['healthy', 'unhealthy']],
    ['successThreshold 1 recovers at once', ['fail', 'pass'], 2, 1, ['unhealthy', 'healthy']],
    ['successThreshold 1 recovers to degraded on warn', ['fail', 'warn'], 2, 1, ['unhealthy', 'degraded']],
    [
      'successThreshold 3 goes through recovering',
      ['fail', 'pass', 'warn', 'pass'],
      2,
      3,
      ['unhealthy', 'recovering', 'recovering', 'healthy'],
    ],
    ['relapse while recovering', ['fail', 'pass', 'fail', 'pass', 'pass'], 2, 2, ['unhealthy', 'recovering', 'unhealthy', 'recovering', 'healthy']],
    ['failureThreshold 3 from degraded', ['warn', 'fail', 'fail', 'fail'], 3, 1, ['degraded', 'degraded', 'degraded', 'unhealthy']],
    ['thresholds below 1 behave as 1', ['pass', 'fail', 'pass'], 0, 0, ['healthy', 'unhealthy', 'healthy']],
  ])('%s', (_name, statuses, failureThreshold, successThreshold, expected) => {
    expect(walk(statuses, failureThreshold, successThreshold)).toEqual(expected);
  });

  it('counts consecutive failures and successes', () => {
    let step: HysteresisStep = { state: 'unknown', consecutiveFailures: 0, consecutiveSuccesses: 0 };
    const t = { failureThreshold: 2, successThreshold: 1 };
    step = nextState(step.state, step, 'fail', t);
    step = nextState(step.state, step, 'fail', t);
    step = nextState(step.state, step, 'fail', t);
    expect(step).toEqual({ state: 'unhealthy', consecutiveFailures: 3, consecutiveSuccesses: 0 });
    step = nextState(step.state, step, 'warn', t);
    step = nextState(step.state, step, 'pass', t);
    expect(step).toEqual({ state: 'healthy', consecutiveFailures: 0, consecutiveSuccesses: 2 });
  });
});

describe('isStale', () => {
  it.each<[string, { lastRun?: number; intervalMs: number }, number, number | undefined, boolean]>([
    ['ran just now', { lastRun: 1_000, intervalMs: 10_000 }, 1_500, undefined, false],
    ['exactly 3 intervals ago is not yet stale', { lastRun: 0, intervalMs: 10_000 }, 30_000, undefined, false],
    ['more than 3 intervals ago', { lastRun: 0, intervalMs: 10_000 }, 30_001, undefined, true],
    ['never ran, started recently', { intervalMs: 10_000 }, 5_000, 0, false],
    ['never ran, started long ago', { intervalMs: 10_000 }, 40_000, 0, true],
    ['never ran, not started', { intervalMs: 10_000 }, 40_000, undefined, false],
  ])('%s', (_name, snapshot, now, startedAt, expected) => {
    expect(isStale(snapshot, now, startedAt)).toBe(expected);
  });
});
