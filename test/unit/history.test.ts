import { describe, expect, it } from 'vitest';
import { REASONS, type ProbeResult, type Reason, type RunRecord, type Status } from '../../src/core/types.js';
import { HISTORY_SIZE, ResultHistory } from '../../src/runner/history.js';

let clock = 0;
function result(status: Status, reason: Reason = 'refused', message = `m${clock}`): ProbeResult {
  clock += 1_000;
  return {
    status,
    durationMs: clock / 7,
    startedAt: clock,
    finishedAt: clock + 1,
    observations: [{ measurement: 'x', value: 1 }],
    info: { remote: '127.0.0.1:1' },
    ...(status === 'pass' ? {} : { reason, message, hint: 'h' }),
  };
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

/** What a reader is owed of a result: the record the history hands back. */
function recordOf(r: ProbeResult): RunRecord {
  return {
    finishedAt: r.finishedAt,
    status: r.status,
    durationMs: r.durationMs,
    ...(r.reason === undefined ? {} : { reason: r.reason }),
    ...(r.message === undefined ? {} : { message: r.message }),
  };
}

const spell = (results: readonly RunRecord[]): string => results.map((r) => r.status[0]).join('');

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
    ['odd size: the failure ring is the floor of half', 5, `fff${'p'.repeat(10)}`, 'ffppp'],
  ])('%s', (_name, size, input, expected) => {
    const history = new ResultHistory(size);
    fill(history, input);
    const listed = history.list();
    expect(spell(listed)).toBe(expected);
    expect(listed.length).toBeLessThanOrEqual(size);
  });

  it('returns records oldest first, each at most once, with exactly the fields readers use', () => {
    const history = new ResultHistory(50);
    const added = fill(history, 'fwf' + 'p'.repeat(100) + 'f' + 'p'.repeat(60));
    const listed = history.list();
    expect(listed).toHaveLength(50);
    expect(new Set(listed.map((r) => r.finishedAt)).size).toBe(50);
    const times = listed.map((r) => r.finishedAt);
    expect([...times].sort((a, b) => a - b)).toEqual(times);
    // The first three failures and the lone later one survive 160 passes, reason and message intact.
    expect(listed.slice(0, 4)).toEqual([added[0], added[1], added[2], added[103]].map((r) => recordOf(r!)));
    expect(listed.at(-1)).toEqual(recordOf(added.at(-1)!));
    // No observations, info, hint or startedAt: those live only in the snapshot's `last`.
    for (const r of listed) {
      expect(Object.keys(r).sort()).toEqual(Object.keys(recordOf(added.find((a) => a.finishedAt === r.finishedAt)!)).sort());
    }
  });

  it('round-trips every reason, every status and durations exactly', () => {
    const history = new ResultHistory(2 * REASONS.length);
    const added = REASONS.map((reason, i) => result(i % 2 === 0 ? 'fail' : 'warn', reason, `because ${reason}`));
    added[0] = { ...added[0]!, durationMs: 0.1 + 0.2 };
    for (const r of added) history.add(r);
    expect(history.list()).toEqual(added.map(recordOf));
  });

  it('keeps a capacity of size whatever the mix, across many wraps', () => {
    const history = new ResultHistory(7);
    let spelled = '';
    for (let i = 0; i < 500; i += 1) spelled += 'pfpwpppf'[i % 8];
    const added = fill(history, spelled);
    const listed = history.list();
    expect(listed).toHaveLength(7);
    // The newest run is always last, and every listed record is one that was added.
    expect(listed.at(-1)).toEqual(recordOf(added.at(-1)!));
    const byTime = new Map(added.map((r) => [r.finishedAt, recordOf(r)]));
    for (const r of listed) expect(r).toEqual(byTime.get(r.finishedAt));
  });

  it('the list is a copy: callers cannot change the history', () => {
    const history = new ResultHistory(5);
    fill(history, 'pf');
    const first = history.list();
    first.length = 0;
    expect(history.list()).toHaveLength(2);
    (history.list()[1] as { message?: string }).message = 'changed';
    expect(history.list()[1]?.message).not.toBe('changed');
  });

  it('stores a repeated message once, within one probe only', () => {
    const a = new ResultHistory(10);
    const b = new ResultHistory(10);
    // Equal text, distinct string objects, as each run builds its own message.
    const text = (host: string): string => ['connect ECONNREFUSED', host].join(' ');
    for (let i = 0; i < 5; i += 1) {
      a.add(result('fail', 'refused', text('10.0.0.1:5432')));
      b.add(result('fail', 'refused', text('10.0.0.2:5432')));
    }
    a.add(result('fail', 'timeout', 'no answer within 2s'));
    a.add(result('fail', 'refused', text('10.0.0.1:5432')));
    expect(a.list().map((r) => r.message)).toEqual([...Array(5).fill(text('10.0.0.1:5432')), 'no answer within 2s', text('10.0.0.1:5432')]);
    expect(b.list().map((r) => r.message)).toEqual(Array(5).fill(text('10.0.0.2:5432')));
    expect(a.list().map((r) => r.reason)).toEqual([...Array(5).fill('refused'), 'timeout', 'refused']);
  });

  it('a pass after failures carries no reason or message', () => {
    const history = new ResultHistory(4);
    fill(history, 'ffpp');
    fill(history, 'pp');
    for (const r of history.list().filter((x) => x.status === 'pass')) {
      expect(r).not.toHaveProperty('reason');
      expect(r).not.toHaveProperty('message');
    }
  });
});
