import { describe, expect, it } from 'vitest';
import { probeViews } from '../../src/core/read-model.js';
import { rootCauses, type RootCauseInput } from '../../src/core/root-cause.js';
import type { Reason } from '../../src/core/types.js';
import { result, snapshot } from '../support/fake-state.js';

/** `name: deps` failing with `reason`, or passing when reason is undefined. */
function probe(name: string, dependsOn: string[], reason?: Reason): RootCauseInput {
  return {
    name,
    dependsOn,
    failing: reason !== undefined,
    reason: reason ?? null,
    message: reason === undefined ? null : `${name} says ${reason}`,
    hint: reason === undefined ? null : `fix ${name}`,
  };
}

/** name → [reason, message, hint, roots] of the blamed ones; absent = keeps its own. */
function blame(probes: RootCauseInput[]): Record<string, [string, string, string | null, string[]]> {
  const out: Record<string, [string, string, string | null, string[]]> = {};
  for (const [name, d] of rootCauses(probes)) out[name] = [d.reason, d.message, d.hint, d.roots.map((r) => r.name)];
  return out;
}

describe('rootCauses: the rule as a table', () => {
  it('direct: dependent fails while its dependency fails → dependency, naming the root, its reason and hint', () => {
    const out = rootCauses([probe('dns-internal', [], 'dns'), probe('db', ['dns-internal'], 'timeout')]);
    expect(out.get('db')).toEqual({
      reason: 'dependency',
      message: 'depends on dns-internal, which fails: dns',
      hint: 'fix dns-internal',
      roots: [{ name: 'dns-internal', reason: 'dns', message: 'dns-internal says dns', hint: 'fix dns-internal' }],
      cause: { reason: 'timeout', message: 'db says timeout' },
    });
    expect(out.has('dns-internal')).toBe(false);
  });

  it('dependency passing → the failing probe keeps its own reason', () => {
    expect(blame([probe('net', []), probe('db', ['net'], 'auth')])).toEqual({});
  });

  it('dependent passing → nothing to explain, even with the dependency failing', () => {
    expect(blame([probe('net', [], 'refused'), probe('db', ['net'])])).toEqual({});
  });

  it('transitive: the deepest failing probe is the root of everything above it', () => {
    expect(blame([probe('net', [], 'refused'), probe('dns', ['net'], 'timeout'), probe('db', ['dns'], 'timeout')])).toEqual({
      dns: ['dependency', 'depends on net, which fails: refused', 'fix net', ['net']],
      db: ['dependency', 'depends on dns (via net, which fails: refused)', 'fix net', ['net']],
    });
  });

  it('transitive through a passing middle: still blamed on the failing probe below', () => {
    expect(blame([probe('net', [], 'refused'), probe('dns', ['net']), probe('db', ['dns'], 'timeout')])).toEqual({
      db: ['dependency', 'depends on dns (via net, which fails: refused)', 'fix net', ['net']],
    });
  });

  it('several roots: every one is named, in config order, with each hint', () => {
    expect(blame([probe('dns', [], 'dns'), probe('vpn', [], 'timeout'), probe('api', ['vpn', 'dns'], 'error')])).toEqual({
      api: ['dependency', 'depends on dns, which fails: dns; vpn, which fails: timeout', 'dns: fix dns | vpn: fix vpn', ['dns', 'vpn']],
    });
  });

  it('diamond: a root reached twice is named once', () => {
    const probes = [probe('net', [], 'refused'), probe('dns', ['net'], 'dns'), probe('tcp', ['net'], 'refused'), probe('db', ['dns', 'tcp'], 'timeout')];
    expect(blame(probes).db).toEqual(['dependency', 'depends on dns (via net, which fails: refused)', 'fix net', ['net']]);
  });

  it('diamond with only one side failing: the failing side is the root', () => {
    const probes = [probe('net', []), probe('dns', ['net'], 'dns'), probe('tcp', ['net']), probe('db', ['dns', 'tcp'], 'timeout')];
    expect(blame(probes)).toEqual({ db: ['dependency', 'depends on dns, which fails: dns', 'fix dns', ['dns']] });
  });

  it('a name not among the probes (a filtered `vitals check --probe`) is ignored; a cycle cannot hang it', () => {
    expect(blame([probe('db', ['gone'], 'timeout')])).toEqual({});
    // Config rejects cycles; handed one anyway, the rule still returns (at most one of the two is blamed).
    expect(rootCauses([probe('a', ['b'], 'timeout'), probe('b', ['a'], 'refused')]).size).toBeLessThanOrEqual(1);
  });
});

describe('probeViews: the rule applied to snapshots', () => {
  const NOW = 1_700_000_000_000;
  const life = { startedAt: NOW - 60_000 };

  it('a failing dependent reads as dependency with its own explanation as cause; readiness inputs unchanged', () => {
    const views = probeViews(
      [
        snapshot({ name: 'net', state: 'unhealthy', last: result('fail', NOW - 1_000), lastRun: NOW - 1_000 }),
        snapshot({ name: 'db', dependsOn: ['net'], state: 'unhealthy', last: result('fail', NOW - 500, { reason: 'timeout', message: 'no answer' }), lastRun: NOW - 500 }),
      ],
      life,
      NOW,
    );
    const db = views[1]!;
    expect([db.reason, db.message, db.hint]).toEqual(['dependency', 'depends on net, which fails: refused', 'start the server']);
    expect(db.dependency?.cause).toEqual({ reason: 'timeout', message: 'no answer' });
    expect([db.verdict, db.lastStatus, db.up, db.critical]).toEqual(['fail', 'fail', false, true]);
    expect(views[0]!.reason).toBe('refused');
  });

  it('a dependency that is merely stale counts as failing (its latest run reads as fail, reason timeout)', () => {
    const views = probeViews(
      [
        snapshot({ name: 'net', state: 'healthy', last: result('pass', NOW - 40_000), lastRun: NOW - 40_000 }),
        snapshot({ name: 'db', dependsOn: ['net'], state: 'healthy', last: result('fail', NOW - 500), lastRun: NOW - 500 }),
      ],
      life,
      NOW,
    );
    expect(views[1]!.message).toBe('depends on net, which fails: timeout');
  });

  it("a failing dependent's view holds no longer than its dependency's (which can turn stale)", () => {
    const snapshots = [
      snapshot({ name: 'net', state: 'healthy', last: result('pass', NOW - 25_000), lastRun: NOW - 25_000 }),
      snapshot({ name: 'db', dependsOn: ['net'], state: 'healthy', last: result('fail', NOW - 500), lastRun: NOW - 500 }),
    ];
    const views = probeViews(snapshots, life, NOW);
    expect(views[1]!.reason).toBe('refused');
    expect(views[1]!.validUntil).toBe(views[0]!.validUntil);
    expect(probeViews(snapshots, life, views[1]!.validUntil + 1)[1]!.reason).toBe('dependency');
  });
});
