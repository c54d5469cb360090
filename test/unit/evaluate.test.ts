import { describe, expect, it } from 'vitest';
import { evaluate } from '../../src/core/evaluate.js';
import { probeView } from '../../src/core/read-model.js';
import type { LifecycleState, ProbeSnapshot } from '../../src/core/state.js';
import type { Group, ProbeState, Status } from '../../src/core/types.js';
import { result, snapshot } from '../support/fake-state.js';

const NOW = 1_700_000_000_000;
const STARTED = NOW - 5_000; // well inside 3 × the default 10 s interval
const running: LifecycleState = { shuttingDown: false, startedAt: STARTED };

/** A probe that ran 1 s ago (fresh) in the given state. */
function probe(name: string, state: ProbeState, extra: Partial<ProbeSnapshot> = {}): ProbeSnapshot {
  return snapshot({ name, state, ...(state === 'unknown' ? {} : { lastRun: NOW - 1_000 }), ...extra });
}

describe('probeView verdict', () => {
  it.each<[ProbeState, Status | undefined]>([
    ['healthy', 'pass'],
    ['degraded', 'warn'],
    ['unhealthy', 'fail'],
    ['recovering', 'fail'],
    ['unknown', undefined],
  ])('%s → %s', (state, expected) => {
    expect(probeView(probe('p', state), running, NOW).verdict).toBe(expected);
  });

  it('is fail when the last run is older than 3 × interval, whatever the state', () => {
    const stale = probe('p', 'healthy', { intervalMs: 10_000, lastRun: NOW - 30_001 });
    expect(probeView(stale, running, NOW).verdict).toBe('fail');
    const fresh = probe('p', 'healthy', { intervalMs: 10_000, lastRun: NOW - 29_999 });
    expect(probeView(fresh, running, NOW).verdict).toBe('pass');
  });
});

describe('evaluate: aggregation table', () => {
  type Row = [string, Array<[ProbeState, boolean]>, Status];
  // [label, probes as (state, critical), expected overall status for `ready`]
  const rows: Row[] = [
    ['no probes', [], 'pass'],
    ['all healthy', [['healthy', true], ['healthy', false]], 'pass'],
    ['critical degraded', [['degraded', true]], 'warn'],
    ['non-critical degraded', [['degraded', false]], 'warn'],
    ['critical unhealthy', [['unhealthy', true], ['healthy', true]], 'fail'],
    ['critical recovering', [['recovering', true]], 'fail'],
    ['non-critical unhealthy', [['unhealthy', false], ['healthy', true]], 'warn'],
    ['non-critical recovering', [['recovering', false]], 'warn'],
    ['non-critical fail and critical fail', [['unhealthy', false], ['unhealthy', true]], 'fail'],
    ['warn then critical fail', [['degraded', true], ['unhealthy', true]], 'fail'],
    ['critical fail then warn', [['unhealthy', true], ['degraded', true]], 'fail'],
  ];
  it.each(rows)('%s', (_label, specs, expected) => {
    const probes = specs.map(([state, critical], i) => probe(`p${i}`, state, { critical }));
    const ready = evaluate(probes, { group: 'ready', lifecycle: running, now: NOW });
    expect(ready.status).toBe(expected);
    expect(ready.output).toBeUndefined();
    // The same probes in `live` aggregate the same way once they have run.
    const live = evaluate(
      probes.map((p) => ({ ...p, groups: ['live'] as Group[] })),
      { group: 'live', lifecycle: running, now: NOW },
    );
    expect(live.status).toBe(expected);
  });
});

describe('evaluate: groups, exclusion, staleness', () => {
  it('takes only probes of the group, in order, with their own status', () => {
    const probes = [
      probe('db', 'unhealthy', { groups: ['ready'] }),
      probe('loop', 'healthy', { groups: ['live'] }),
      probe('both', 'degraded', { groups: ['live', 'ready'], critical: false }),
    ];
    const live = evaluate(probes, { group: 'live', lifecycle: running, now: NOW });
    expect(live).toEqual({
      validUntil: expect.any(Number),
      status: 'warn',
      checks: [
        { name: 'loop', status: 'pass', excluded: false, state: 'healthy', stale: false, starting: false },
        { name: 'both', status: 'warn', excluded: false, state: 'degraded', stale: false, starting: false },
      ],
    });
    const ready = evaluate(probes, { group: 'ready', lifecycle: running, now: NOW });
    expect(ready.status).toBe('fail');
    expect(ready.checks.map((c) => c.name)).toEqual(['db', 'both']);
  });

  it('lists excluded probes but ignores them', () => {
    const probes = [probe('db', 'unhealthy'), probe('cache', 'healthy')];
    const result = evaluate(probes, { group: 'ready', exclude: new Set(['db']), lifecycle: running, now: NOW });
    expect(result.status).toBe('pass');
    expect(result.checks[0]).toEqual({ name: 'db', status: 'fail', excluded: true, state: 'unhealthy', stale: false, starting: false });
  });

  it('an excluded unknown probe does not hold readiness at starting', () => {
    const probes = [probe('db', 'unknown'), probe('cache', 'healthy')];
    const result = evaluate(probes, { group: 'ready', exclude: new Set(['db']), lifecycle: running, now: NOW });
    expect(result.status).toBe('pass');
    expect(result).not.toHaveProperty('output');
  });

  it('a stale critical probe fails readiness even though its state is healthy', () => {
    const probes = [probe('db', 'healthy', { intervalMs: 1_000, lastRun: NOW - 5_000 })];
    const result = evaluate(probes, { group: 'ready', lifecycle: running, now: NOW });
    expect(result.status).toBe('fail');
    expect(result.checks[0]).toMatchObject({ status: 'fail', stale: true, state: 'healthy' });
  });

  it('a stale non-critical probe only warns', () => {
    const probes = [probe('db', 'healthy', { critical: false, intervalMs: 1_000, lastRun: NOW - 5_000 })];
    expect(evaluate(probes, { group: 'ready', lifecycle: running, now: NOW }).status).toBe('warn');
  });

  it('a probe that never ran within 3 intervals of start is stale, not starting', () => {
    const probes = [probe('db', 'unknown', { intervalMs: 10_000 })];
    const lifecycle = { ...running, startedAt: NOW - 31_000 };
    const result = evaluate(probes, { group: 'ready', lifecycle, now: NOW });
    expect(result.status).toBe('fail');
    expect(result).not.toHaveProperty('output');
    expect(result.checks[0]).toMatchObject({ stale: true, status: 'fail' });
    // In live it is no longer given the benefit of the doubt either.
    const live = evaluate([{ ...probes[0]!, groups: ['live'] }], { group: 'live', lifecycle, now: NOW });
    expect(live.status).toBe('fail');
  });
});

describe('evaluate: readiness held by the service itself', () => {
  const healthy = [probe('db', 'healthy')];
  const maintenance = { reason: 'upgrade', since: NOW - 1_000, until: NOW + 60_000 };

  it.each<[string, Partial<LifecycleState>, ProbeSnapshot[], string | undefined]>([
    ['running, all healthy', {}, healthy, undefined],
    ['a critical probe not yet run', {}, [probe('db', 'unknown')], 'starting'],
    ['a non-critical probe not yet run', {}, [probe('db', 'healthy'), probe('x', 'unknown', { critical: false })], 'starting'],
    ['maintenance', { maintenance }, healthy, 'maintenance'],
    ['maintenance while starting', { maintenance }, [probe('db', 'unknown')], 'maintenance'],
    ['shutting down', { shuttingDown: true }, healthy, 'shutting down'],
    ['shutting down during maintenance while starting', { shuttingDown: true, maintenance }, [probe('db', 'unknown')], 'shutting down'],
  ])('%s → %s', (_label, lifecycle, probes, output) => {
    const result = evaluate(probes, { group: 'ready', lifecycle: { ...running, ...lifecycle }, now: NOW });
    expect(result.output).toBe(output);
    expect(result.status).toBe(output === undefined ? 'pass' : 'fail');
  });

  it('expired maintenance no longer holds readiness', () => {
    const expired = { reason: 'upgrade', since: NOW - 10_000, until: NOW - 1 };
    const result = evaluate(healthy, { group: 'ready', lifecycle: { ...running, maintenance: expired }, now: NOW });
    expect(result).toEqual({ status: 'pass', checks: [expect.objectContaining({ name: 'db' })], validUntil: expect.any(Number) });
  });

  it('liveness ignores maintenance, shutdown and probes that have not run', () => {
    const probes = [probe('loop', 'healthy', { groups: ['live'] }), probe('mem', 'unknown', { groups: ['live'] })];
    const lifecycle: LifecycleState = { ...running, shuttingDown: true, maintenance };
    const result = evaluate(probes, { group: 'live', lifecycle, now: NOW });
    expect(result.status).toBe('pass');
    expect(result.output).toBeUndefined();
    expect(result.checks[1]).toMatchObject({ name: 'mem', status: 'pass', state: 'unknown' });
  });

  it('liveness is unaffected by a failing ready-only probe', () => {
    const probes = [probe('loop', 'healthy', { groups: ['live'] }), probe('db', 'unhealthy')];
    expect(evaluate(probes, { group: 'live', lifecycle: running, now: NOW }).status).toBe('pass');
    expect(evaluate(probes, { group: 'ready', lifecycle: running, now: NOW }).status).toBe('fail');
  });
});

describe('evaluate: a probe a live reload added (addedAt)', () => {
  it('holds no readiness before its first run: no `starting`, listed as not run yet', () => {
    const probes = [probe('db', 'healthy'), probe('new', 'unknown', { addedAt: NOW - 500 })];
    const ready = evaluate(probes, { group: 'ready', lifecycle: running, now: NOW });
    expect(ready.status).toBe('pass');
    expect(ready.output).toBeUndefined();
    expect(ready.checks.find((c) => c.name === 'new')).toMatchObject({ starting: true, excluded: true });
    expect(probeView(probes[1]!, running, NOW)).toMatchObject({ joining: true, neverRan: true, stale: false });
  });

  it('counts like any probe once it has run', () => {
    const failed = probe('new', 'unhealthy', { addedAt: NOW - 2_000, last: result('fail', NOW - 1_000) });
    expect(probeView(failed, running, NOW).joining).toBe(false);
    expect(evaluate([probe('db', 'healthy'), failed], { group: 'ready', lifecycle: running, now: NOW }).status).toBe('fail');
  });

  it('goes stale 3 intervals after it was added, not after the service started', () => {
    const longAgo: LifecycleState = { shuttingDown: false, startedAt: NOW - 3_600_000 };
    const fresh = probe('new', 'unknown', { intervalMs: 10_000, addedAt: NOW - 1_000 });
    expect(probeView(fresh, longAgo, NOW)).toMatchObject({ stale: false, joining: true });
    const stuck = probe('new', 'unknown', { intervalMs: 10_000, addedAt: NOW - 30_001 });
    expect(probeView(stuck, longAgo, NOW)).toMatchObject({ stale: true, joining: false, verdict: 'fail' });
    expect(evaluate([stuck], { group: 'ready', lifecycle: longAgo, now: NOW }).status).toBe('fail');
  });
});
