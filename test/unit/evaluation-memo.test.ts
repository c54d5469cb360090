import { describe, expect, it } from 'vitest';
import { evaluate } from '../../src/core/evaluate.js';
import type { LifecycleState, ProbeSnapshot } from '../../src/core/state.js';
import type { ProbeState } from '../../src/core/types.js';
import { EvaluationMemo } from '../../src/http/evaluation-memo.js';
import { snapshot } from '../support/fake-state.js';

const T0 = 1_750_000_000_000;

function ran(name: string, state: ProbeState, lastRun: number, extra: Partial<ProbeSnapshot> = {}): ProbeSnapshot {
  return snapshot({ name, state, lastRun, intervalMs: 10_000, ...extra });
}

describe('EvaluationMemo', () => {
  it('reuses the evaluation while nothing that matters changed', () => {
    const memo = new EvaluationMemo('ready');
    const probes = Object.freeze([ran('db', 'healthy', T0)]);
    const lifecycle: LifecycleState = { shuttingDown: false, startedAt: T0 - 1_000 };
    const first = memo.evaluate(probes, lifecycle, T0 + 10);
    expect(memo.evaluate(probes, { ...lifecycle }, T0 + 20)).toBe(first);
  });

  it('re-evaluates for a new snapshot list, a lifecycle change, staleness and the end of maintenance', () => {
    const memo = new EvaluationMemo('ready');
    const healthy = Object.freeze([ran('db', 'healthy', T0)]);
    const base: LifecycleState = { shuttingDown: false, startedAt: T0 - 1_000 };
    expect(memo.evaluate(healthy, base, T0 + 1).status).toBe('pass');

    const failing = Object.freeze([ran('db', 'unhealthy', T0 + 5)]);
    expect(memo.evaluate(failing, base, T0 + 6).status).toBe('fail');
    expect(memo.evaluate(healthy, base, T0 + 7).status).toBe('pass');

    expect(memo.evaluate(healthy, { ...base, shuttingDown: true }, T0 + 8)).toMatchObject({ status: 'fail', output: 'shutting down' });
    const maintenance = { reason: 'x', since: T0, until: T0 + 100 };
    expect(memo.evaluate(healthy, { ...base, maintenance }, T0 + 9)).toMatchObject({ status: 'fail', output: 'maintenance' });
    // Same inputs, but the window has ended by now: time alone changes the answer.
    expect(memo.evaluate(healthy, { ...base, maintenance }, T0 + 100).status).toBe('pass');

    // Last run at T0, interval 10 s: stale strictly after T0 + 30 s.
    expect(memo.evaluate(healthy, base, T0 + 30_000).status).toBe('pass');
    expect(memo.evaluate(healthy, base, T0 + 30_001).status).toBe('fail');
  });

  it('always agrees with a fresh evaluation over a random walk of states, flags and time', () => {
    let seed = 42;
    const random = (): number => {
      seed = (seed * 1_103_515_245 + 12_345) % 2 ** 31;
      return seed / 2 ** 31;
    };
    const states: ProbeState[] = ['healthy', 'degraded', 'unhealthy', 'recovering', 'unknown'];
    for (const group of ['ready', 'live'] as const) {
      const memo = new EvaluationMemo(group);
      let now = T0;
      let probes: readonly ProbeSnapshot[] = [];
      let lifecycle: LifecycleState = { shuttingDown: false, startedAt: T0 };
      for (let step = 0; step < 2_000; step++) {
        const roll = random();
        if (roll < 0.15) {
          probes = Object.freeze(
            ['a', 'b', 'c'].map((name) => {
              const state = states[Math.floor(random() * states.length)]!;
              return ran(name, state, now - Math.floor(random() * 40_000), {
                critical: random() < 0.7,
                groups: random() < 0.5 ? ['ready'] : ['live'],
                ...(state === 'unknown' ? { lastRun: undefined } : {}),
              });
            }),
          );
        } else if (roll < 0.2) {
          lifecycle = { ...lifecycle, shuttingDown: random() < 0.3 };
        } else if (roll < 0.25) {
          const { maintenance: _old, ...rest } = lifecycle;
          lifecycle = random() < 0.5 ? { ...rest, maintenance: { reason: 'm', since: now, until: now + Math.floor(random() * 5_000) } } : rest;
        }
        now += Math.floor(random() * 3_000);
        const expected = evaluate(probes, { group, lifecycle, now });
        expect(memo.evaluate(probes, lifecycle, now)).toEqual(expected);
      }
    }
  });
});
