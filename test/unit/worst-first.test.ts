import { describe, expect, it } from 'vitest';
import { probeView } from '../../src/core/read-model.js';
import { runSeverity, viewSeverity, worstFirst } from '../../src/core/worst-first.js';
import { formatCheckTable, type CheckRow } from '../../src/cli/check-output.js';
import { result, snapshot } from '../support/fake-state.js';

const NOW = 1_800_000_000_000;
// Started moments ago: a probe that never ran is unknown, not yet stale.
const lifecycle = { startedAt: NOW - 5_000 };

function view(overrides: Parameters<typeof snapshot>[0]) {
  return probeView(snapshot(overrides), lifecycle, NOW);
}

describe('worst first', () => {
  it('orders failing, recovering, degraded, unknown, healthy, then by name', () => {
    const pass = result('pass', NOW - 1_000);
    const fail = result('fail', NOW - 1_000);
    const views = [
      view({ name: 'a-healthy', state: 'healthy', last: pass, lastRun: pass.finishedAt }),
      view({ name: 'b-unknown' }),
      view({ name: 'c-pending', state: 'healthy', last: fail, lastRun: fail.finishedAt, consecutiveFailures: 1 }),
      view({ name: 'd-recovering', state: 'recovering', last: pass, lastRun: pass.finishedAt }),
      view({ name: 'z-failing', state: 'unhealthy', last: fail, lastRun: fail.finishedAt }),
      view({ name: 'e-failing', state: 'unhealthy', last: fail, lastRun: fail.finishedAt }),
      // No run for far longer than 3 × interval: the read model calls it stale, so it fails.
      view({ name: 'f-stale', state: 'healthy', last: pass, lastRun: NOW - 10 * 60_000 }),
      view({ name: 'g-degraded', state: 'degraded', last: result('warn', NOW - 1_000), lastRun: NOW - 1_000 }),
    ];
    const order = worstFirst(views, (v) => ({ severity: viewSeverity(v), name: v.name })).map((v) => v.name);
    expect(order).toEqual(['e-failing', 'f-stale', 'z-failing', 'd-recovering', 'c-pending', 'g-degraded', 'b-unknown', 'a-healthy']);
  });

  it('sorts vitals check rows with the same rule', () => {
    const row = (name: string, status: 'pass' | 'warn' | 'fail'): CheckRow => ({
      settings: { name, type: 'tcp', critical: true, groups: ['ready'] } as unknown as CheckRow['settings'],
      result: result(status, NOW),
    });
    const table = formatCheckTable([row('alpha', 'pass'), row('beta', 'warn'), row('gamma', 'fail'), row('aardvark', 'fail')], { colour: false });
    const names = table.split('\n').slice(1).map((l) => /^[✓!✗] (\S+)/.exec(l)?.[1]).filter((n) => n !== undefined);
    expect(names).toEqual(['aardvark', 'gamma', 'beta', 'alpha']);
    expect(runSeverity('warn')).toBe('degraded');
  });
});
