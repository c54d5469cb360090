import { describe, expect, it } from 'vitest';
import type { ProbeResult, Status } from '../../src/core/types.js';
import { HISTORY_SIZE, ResultHistory } from '../../src/runner/history.js';

let clock = 0;
function result(status: Status): ProbeResult {
  clock += 1_000;
  return { status, durationMs: 1, startedAt: clock, finishedAt: clock + 1, observations: [], ...(status === 'pass' ? {} : { reason: 'refused', message: 'm', hint: 'h' }) };
}

/** Adds results spelled as a string: p = pass, w = warn, f = fail. */
function fill(history: ResultHistory, spelled: string): ProbeResult[] {
  const map: Record<string, Status> = { p: 'pass', w: 'warn', f: 'fail' };
  return [...spelled].map((c) => {
    const r = result(map[c]!);
    history.add(r);
    return r;
  });
}

const spell = (results: readonly ProbeResult[]): string => results.map((r) => r.status[0]).join('');

describe('ResultHistory', () => {
  it('defaults to 50', () => {
    expect(HISTORY_SIZE).toBe(50);
    expect(new ResultHistory().size).toBe(50);
  });

  it('rejects silly sizes', () => {
    expect(() => new ResultHistory(1)).toThrow(RangeError);
    expect(() => new ResultHistory(2.5)).toThrow(RangeError);
  });

  it.each<[string, number, string, string]>([
    ['empty', 10, '', ''],
    ['fewer than size: everything, oldest first', 10, 'pfpw', 'pfpw'],
    ['only passes: the last size of them', 10, 'p'.repeat(25), 'p'.repeat(10)],
    ['only failures: the last size of them', 10, 'f'.repeat(25), 'f'.repeat(10)],
    ['a burst of passes keeps the failures (up to half)', 10, `ff${'p'.repeat(30)}`, `ff${'p'.repeat(8)}`],
    ['old failures beyond half are dropped, newest kept', 10, `fwfwfwf${'p'.repeat(30)}`, `fwfwf${'p'.repeat(5)}`],
    ['failures in the recent window are not duplicated', 10, `f${'p'.repeat(5)}f${'p'.repeat(2)}`, `f${'p'.repeat(5)}f${'p'.repeat(2)}`],
    ['mixed, within size', 6, 'fpppppppfp', 'fppp' + 'fp'],
  ])('%s', (_name, size, input, expected) => {
    const history = new ResultHistory(size);
    fill(history, input);
    const listed = history.list();
    expect(spell(listed)).toBe(expected);
    expect(listed.length).toBeLessThanOrEqual(size);
  });

  it('returns results oldest first and each at most once', () => {
    const history = new ResultHistory(50);
    const added = fill(history, 'fwf' + 'p'.repeat(100) + 'f' + 'p'.repeat(60));
    const listed = history.list();
    expect(listed).toHaveLength(50);
    expect(new Set(listed).size).toBe(50);
    const times = listed.map((r) => r.startedAt);
    expect([...times].sort((a, b) => a - b)).toEqual(times);
    // The first three failures and the lone later one survive 160 passes.
    expect(listed.slice(0, 4)).toEqual([added[0], added[1], added[2], added[103]]);
    expect(listed.at(-1)).toBe(added.at(-1));
  });

  it('the list is a copy: callers cannot change the history', () => {
    const history = new ResultHistory(5);
    fill(history, 'pp');
    history.list().length = 0;
    expect(history.list()).toHaveLength(2);
  });
});
