import { describe, expect, it } from 'vitest';
import { probeView, summarizeRuns } from '../../src/core/read-model.js';
import type { LifecycleState } from '../../src/core/state.js';
import { PROBE_STATES, type ProbeState, type Status } from '../../src/core/types.js';
import { result, snapshot } from '../support/fake-state.js';

const NOW = 1_700_000_000_000;
const INTERVAL = 10_000;
const LIFECYCLES: Array<[string, LifecycleState]> = [
  ['running', { shuttingDown: false, startedAt: NOW - 60_000 }],
  ['maintenance', { shuttingDown: false, startedAt: NOW - 60_000, maintenance: { reason: 'r', since: NOW - 1, until: NOW + 60_000 } }],
  ['shutting down', { shuttingDown: true, startedAt: NOW - 60_000 }],
];
const LAST: Array<Status | undefined> = ['pass', 'warn', 'fail', undefined];

/** What the read model must answer, written out independently of its code. */
function expected(state: ProbeState, last: Status | undefined, stale: boolean, failures: number) {
  const verdict: Status | undefined = stale
    ? 'fail'
    : ({ healthy: 'pass', degraded: 'warn', unhealthy: 'fail', recovering: 'fail', unknown: undefined } as const)[state];
  const lastStatus = stale ? 'fail' : last;
  const pending = !stale && last === 'fail' && (state === 'healthy' || state === 'degraded');
  return {
    stale,
    neverRan: last === undefined,
    lastStatus,
    up: lastStatus === 'pass' || lastStatus === 'warn',
    verdict,
    shownStatus: lastStatus ?? 'warn',
    tone: verdict === undefined ? 'unknown' : pending ? 'warn' : verdict,
    failing: pending ? { count: failures, of: 3 } : undefined,
    reason: stale ? 'timeout' : last === undefined || last === 'pass' ? null : 'refused',
  };
}

describe('probeView: every state × last result × stale × lifecycle', () => {
  const rows: Array<[ProbeState, Status | undefined, boolean, string, LifecycleState]> = [];
  for (const state of PROBE_STATES)
    for (const last of LAST) for (const stale of [false, true]) for (const [label, lifecycle] of LIFECYCLES) rows.push([state, last, stale, label, lifecycle]);

  it.each(rows)('%s, last %s, stale %s, %s', (state, last, stale, _label, lifecycle) => {
    const lastRun = last === undefined ? undefined : stale ? NOW - 3 * INTERVAL - 1 : NOW - 1_000;
    const failures = last === 'fail' ? 1 : 0;
    const snap = snapshot({
      name: 'p',
      state,
      intervalMs: INTERVAL,
      consecutiveFailures: failures,
      ...(last === undefined ? {} : { last: result(last, lastRun!, last === 'pass' ? {} : { reason: 'refused', message: 'm', hint: 'h' }), lastRun }),
    });
    // A probe that never ran is stale only once 3 intervals passed since start.
    const life = last === undefined && !stale ? { ...lifecycle, startedAt: NOW - 1_000 } : lifecycle;
    const view = probeView(snap, life, NOW);
    const want = expected(state, last, stale, failures);
    expect({
      stale: view.stale,
      neverRan: view.neverRan,
      lastStatus: view.lastStatus,
      up: view.up,
      verdict: view.verdict,
      shownStatus: view.shownStatus,
      tone: view.tone,
      failing: view.failing,
      reason: view.reason,
    }).toEqual(want);
    // The view holds exactly until the probe turns stale, and forever once it is.
    expect(view.validUntil).toBe(stale ? Number.POSITIVE_INFINITY : (lastRun ?? life.startedAt) + 3 * INTERVAL);
    if (!stale) expect(probeView(snap, life, view.validUntil + 1).stale).toBe(true);
  });

  it('a recovering probe whose last run passed is up, with its state still recovering (CONTRACT §6)', () => {
    const view = probeView(snapshot({ name: 'p', state: 'recovering', last: result('pass', NOW - 1), lastRun: NOW - 1 }), LIFECYCLES[0]![1], NOW);
    expect([view.up, view.lastStatus, view.verdict, view.tone]).toEqual([true, 'pass', 'fail', 'fail']);
  });
});

describe('summarizeRuns (vitals check)', () => {
  it.each<[string, Array<[Status, boolean]>, Status, number]>([
    ['none', [], 'pass', 0],
    ['all pass', [['pass', true], ['pass', false]], 'pass', 0],
    ['non-critical fail', [['fail', false], ['pass', true]], 'warn', 0],
    ['warn', [['warn', true]], 'warn', 0],
    ['critical fail', [['fail', true], ['fail', false], ['warn', true]], 'fail', 1],
  ])('%s', (_label, runs, status, failedCritical) => {
    const summary = summarizeRuns(runs.map(([s, critical]) => ({ status: s, critical })));
    expect([summary.status, summary.failedCritical, summary.passed + summary.warned + summary.failed]).toEqual([status, failedCritical, runs.length]);
  });
});
