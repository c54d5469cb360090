import { spawnSync } from 'node:child_process';
import { Writable } from 'node:stream';
import { performance } from 'node:perf_hooks';
import { pino } from 'pino';
import { z } from 'zod';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { ProbeError } from '../../src/core/errors.js';
import type { Probe, ProbeDefinition } from '../../src/core/probe.js';
import type { ProbeSettings } from '../../src/core/settings.js';
import type { RunEvent } from '../../src/core/state.js';
import type { CheckReport, Group } from '../../src/core/types.js';
import { Scheduler, type ScheduledProbe } from '../../src/runner/scheduler.js';

const definition: ProbeDefinition = {
  type: 'tcp',
  componentType: 'component',
  defaultIntervalMs: 10_000,
  options: z.strictObject({}),
  measurements: {},
  hints: { reasons: {} },
  create: () => {
    throw new Error('not used here');
  },
};

function settings(name: string, overrides: Partial<ProbeSettings> = {}): ProbeSettings {
  return {
    name,
    type: 'tcp',
    definition,
    critical: true,
    groups: ['ready'],
    intervalMs: 60_000,
    timeoutMs: 2_000,
    failureThreshold: 2,
    successThreshold: 1,
    dependsOn: [],
    warn: {},
    fail: {},
    options: {},
    ...overrides,
  };
}

/** A probe whose behaviour per call is scripted, counting calls and concurrency. */
class ScriptedProbe implements Probe {
  calls = 0;
  active = 0;
  maxActive = 0;
  closed = 0;
  aborted = 0;
  callTimes: number[] = [];
  constructor(private readonly behaviour: (call: number, signal: AbortSignal) => Promise<CheckReport>) {}
  async check(signal: AbortSignal): Promise<CheckReport> {
    this.calls += 1;
    this.callTimes.push(performance.now());
    this.active += 1;
    this.maxActive = Math.max(this.maxActive, this.active);
    signal.addEventListener('abort', () => (this.aborted += 1));
    try {
      return await this.behaviour(this.calls, signal);
    } finally {
      this.active -= 1;
    }
  }
  async close(): Promise<void> {
    this.closed += 1;
  }
}

const pass = async (): Promise<CheckReport> => ({ observations: [] });
const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));
/** Resolves after ms, or rejects when the signal aborts (a well-behaved probe). */
const slow = (ms: number, signal: AbortSignal): Promise<CheckReport> =>
  new Promise((resolve, reject) => {
    const timer = setTimeout(() => resolve({ observations: [] }), ms);
    signal.addEventListener('abort', () => {
      clearTimeout(timer);
      reject(new Error('aborted'));
    });
  });

function logCapture(): { logger: pino.Logger; lines: () => Array<Record<string, unknown>> } {
  const chunks: string[] = [];
  const stream = new Writable({
    write(chunk: Buffer, _enc, done) {
      chunks.push(chunk.toString());
      done();
    },
  });
  const logger = pino({ level: 'debug' }, stream);
  return {
    logger,
    lines: () =>
      chunks
        .join('')
        .split('\n')
        .filter((l) => l !== '')
        .map((l) => JSON.parse(l) as Record<string, unknown>),
  };
}

const schedulers: Scheduler[] = [];
function make(probes: ScheduledProbe[], extra: { now?: () => number; monotonic?: () => number; random?: () => number } = {}) {
  const log = logCapture();
  const scheduler = new Scheduler({ probes, logger: log.logger, ...extra });
  schedulers.push(scheduler);
  return { scheduler, log };
}
const entry = (probe: Probe, s: ProbeSettings): ScheduledProbe => ({ definition, probe, settings: s });

afterEach(async () => {
  await Promise.all(schedulers.splice(0).map((s) => s.stop()));
});

describe('Scheduler: reading state', () => {
  it('lists probes in configuration order, unknown before any run', () => {
    const { scheduler } = make([
      entry(new ScriptedProbe(pass), settings('b')),
      entry(new ScriptedProbe(pass), settings('a', { critical: false, groups: ['live'] })),
    ]);
    expect(scheduler.list().map((s) => s.name)).toEqual(['b', 'a']);
    expect(scheduler.get('a')).toMatchObject({
      name: 'a',
      type: 'tcp',
      componentType: 'component',
      critical: false,
      groups: ['live'],
      state: 'unknown',
      consecutiveFailures: 0,
      transitions: 0,
    });
    expect(scheduler.get('a')?.last).toBeUndefined();
    expect(scheduler.get('nope')).toBeUndefined();
    expect(scheduler.history('nope')).toEqual([]);
  });

  it('refuses duplicate names', () => {
    expect(() => make([entry(new ScriptedProbe(pass), settings('a')), entry(new ScriptedProbe(pass), settings('a'))])).toThrow(/duplicate/);
  });

  it('swaps immutable snapshots on each run', async () => {
    const { scheduler } = make([entry(new ScriptedProbe(pass), settings('a'))]);
    const before = scheduler.get('a')!;
    await scheduler.runNow('a');
    const after = scheduler.get('a')!;
    expect(after).not.toBe(before);
    expect(before.state).toBe('unknown');
    expect(after.state).toBe('healthy');
    expect(Object.isFrozen(after)).toBe(true);
    expect(Object.isFrozen(after.last)).toBe(true);
    expect(() => {
      (after as { state: string }).state = 'unhealthy';
    }).toThrow(TypeError);
  });
});

describe('Scheduler: running', () => {
  it('start() runs every probe at once, in parallel', async () => {
    const a = new ScriptedProbe((_n, signal) => slow(300, signal));
    const b = new ScriptedProbe((_n, signal) => slow(300, signal));
    const { scheduler } = make([entry(a, settings('a')), entry(b, settings('b'))]);
    expect(scheduler.firstRoundDone()).toBe(false);
    const started = performance.now();
    scheduler.start();
    expect(a.calls + b.calls).toBe(2);
    await scheduler.whenFirstRoundDone();
    expect(performance.now() - started).toBeLessThan(550);
    expect(scheduler.firstRoundDone()).toBe(true);
    expect(scheduler.startedAt).toBeTypeOf('number');
  });

  it('firstRoundDone(group) looks only at that group', async () => {
    const live = new ScriptedProbe((_n, signal) => slow(5_000, signal));
    const ready = new ScriptedProbe(pass);
    const { scheduler } = make([
      entry(live, settings('loop', { groups: ['live'] as Group[], timeoutMs: 10_000 })),
      entry(ready, settings('db')),
    ]);
    scheduler.start();
    await scheduler.whenFirstRoundDone('ready');
    expect(scheduler.firstRoundDone('ready')).toBe(true);
    expect(scheduler.firstRoundDone('live')).toBe(false);
    expect(scheduler.firstRoundDone()).toBe(false);
  });

  it('runNow is single-flight: two calls during one slow check make one check call', async () => {
    let release!: () => void;
    const gate = new Promise<void>((r) => (release = r));
    const probe = new ScriptedProbe(async () => {
      await gate;
      return { observations: [{ measurement: 'x', value: 1 }] };
    });
    const { scheduler } = make([entry(probe, settings('a'))]);
    const first = scheduler.runNow('a');
    const second = scheduler.runNow('a');
    await sleep(20);
    release();
    const [r1, r2] = await Promise.all([first, second]);
    expect(probe.calls).toBe(1);
    expect(r1).toBe(r2);
    expect(scheduler.history('a')).toHaveLength(1);
    // Once settled, the next call starts a fresh run.
    await scheduler.runNow('a');
    expect(probe.calls).toBe(2);
  });

  it('runNow joins a scheduled run in progress', async () => {
    const probe = new ScriptedProbe((_n, signal) => slow(200, signal));
    const { scheduler } = make([entry(probe, settings('a'))]);
    scheduler.start();
    const result = await scheduler.runNow('a');
    expect(probe.calls).toBe(1);
    expect(scheduler.get('a')?.last).toBe(result);
  });

  it('runNow rejects for an unknown name and after stop', async () => {
    const { scheduler } = make([entry(new ScriptedProbe(pass), settings('a'))]);
    await expect(scheduler.runNow('nope')).rejects.toThrow(RangeError);
    await scheduler.stop();
    await expect(scheduler.runNow('a')).rejects.toThrow(/stopped/);
  });

  it('never overlaps runs of one probe, even with runNow in between', async () => {
    const probe = new ScriptedProbe((_n, signal) => slow(60, signal));
    const { scheduler } = make([entry(probe, settings('a', { intervalMs: 30, timeoutMs: 25_000 }))]);
    scheduler.start();
    for (let i = 0; i < 10; i += 1) {
      await sleep(25);
      void scheduler.runNow('a');
    }
    await sleep(100);
    expect(probe.calls).toBeGreaterThanOrEqual(4);
    expect(probe.maxActive).toBe(1);
  });

  it('keeps history', async () => {
    let n = 0;
    const probe = new ScriptedProbe(async () => {
      n += 1;
      if (n % 3 === 0) throw new ProbeError('refused', 'down');
      return { observations: [] };
    });
    const { scheduler } = make([entry(probe, settings('a'))]);
    for (let i = 0; i < 60; i += 1) await scheduler.runNow('a');
    const history = scheduler.history('a');
    expect(history).toHaveLength(50);
    const last = scheduler.get('a')?.last;
    // The history keeps the fields its readers show; the full result is the snapshot's `last`.
    expect(history.at(-1)).toEqual({
      finishedAt: last?.finishedAt,
      status: last?.status,
      durationMs: last?.durationMs,
      ...(last?.reason === undefined ? {} : { reason: last.reason, message: last.message }),
    });
    expect(history.filter((r) => r.status === 'fail').length).toBeGreaterThanOrEqual(16);
  });
});

describe('Scheduler: the fixed grid (fake clock)', () => {
  afterEach(() => {
    vi.useRealTimers();
  });

  /** Fake timers and a clock that both follow them; `jump` moves the clock without firing timers (a blocked loop). */
  function fakeClock(): { now: () => number; monotonic: () => number; jump: (ms: number) => void } {
    vi.useFakeTimers({ now: 0 });
    let jumped = 0;
    return {
      now: () => Date.now() + jumped,
      monotonic: () => Date.now() + jumped,
      jump: (ms) => {
        jumped += ms;
      },
    };
  }

  it('starts runs on start + phase + k × interval whatever each run takes', async () => {
    const clock = fakeClock();
    const starts: number[] = [];
    const probe = new ScriptedProbe(async (n, signal) => {
      starts.push(clock.now());
      return slow(n % 2 === 0 ? 700 : 100, signal);
    });
    const { scheduler } = make([entry(probe, settings('a', { intervalMs: 1_000, timeoutMs: 900 }))], { ...clock, random: () => 0.25 });
    scheduler.start();
    await vi.advanceTimersByTimeAsync(6_100);
    // First run at once; then the grid 1250, 2250, … — never 1100 + interval, the re-arm-after-run drift.
    expect(starts).toEqual([0, 1_250, 2_250, 3_250, 4_250, 5_250]);
    expect(scheduler.skippedRuns('a')).toBe(0);
  });

  it('draws the phase once per probe, in [0, interval), so equal intervals do not fire together', async () => {
    const clock = fakeClock();
    const draws = [0, 0.5, 0.999];
    const probes = draws.map(() => new ScriptedProbe(pass));
    const starts = new Map<string, number[]>();
    const { scheduler } = make(
      probes.map((p, i) =>
        entry(
          new ScriptedProbe(async () => {
            starts.set(`p${i}`, [...(starts.get(`p${i}`) ?? []), clock.now()]);
            return p.check(new AbortController().signal);
          }),
          settings(`p${i}`, { intervalMs: 2_000, timeoutMs: 500 }),
        ),
      ),
      { ...clock, random: () => draws.shift() ?? 0 },
    );
    scheduler.start();
    await vi.advanceTimersByTimeAsync(8_500);
    expect(starts.get('p0')).toEqual([0, 2_000, 4_000, 6_000, 8_000]);
    expect(starts.get('p1')).toEqual([0, 3_000, 5_000, 7_000]);
    expect(starts.get('p2')).toEqual([0, 3_998, 5_998, 7_998]);
  });

  it('a run that overruns skips the slots it covered, counts them, and the grid resumes; runs never overlap', async () => {
    const clock = fakeClock();
    const starts: number[] = [];
    // Run 2 takes 2.5 intervals (timeout above the interval is only possible here, not from config).
    const probe = new ScriptedProbe(async (n, signal) => {
      starts.push(clock.now());
      return slow(n === 2 ? 2_500 : 100, signal);
    });
    const { scheduler, log } = make([entry(probe, settings('a', { intervalMs: 1_000, timeoutMs: 5_000 }))], { ...clock, random: () => 0 });
    scheduler.start();
    await vi.advanceTimersByTimeAsync(5_500);
    // Slot 1000 starts the long run (ends 3500); slots 2000 and 3000 are skipped; 4000 and 5000 run.
    expect(starts).toEqual([0, 1_000, 4_000, 5_000]);
    expect(scheduler.skippedRuns('a')).toBe(2);
    expect(probe.maxActive).toBe(1);
    expect(log.lines().filter((l) => l.msg === 'probe slots skipped')).toHaveLength(2);
    expect(scheduler.skippedRuns('nope')).toBe(0);
  });

  it('slots that pass while the event loop is blocked are skipped, not run in a burst', async () => {
    const clock = fakeClock();
    const starts: number[] = [];
    const probe = new ScriptedProbe(async () => {
      starts.push(clock.now());
      return { observations: [] };
    });
    const { scheduler } = make([entry(probe, settings('a', { intervalMs: 1_000, timeoutMs: 500 }))], { ...clock, random: () => 0 });
    scheduler.start();
    await vi.advanceTimersByTimeAsync(1_500);
    // The loop is blocked for 2.3 s: the timer for slot 2000 fires only at 4300.
    clock.jump(2_300);
    await vi.advanceTimersByTimeAsync(500);
    // One late run at 4300, not three back to back; slots 3000 and 4000 are counted as skipped.
    expect(starts).toEqual([0, 1_000, 4_300]);
    expect(scheduler.skippedRuns('a')).toBe(2);
    await vi.advanceTimersByTimeAsync(1_000);
    expect(starts).toEqual([0, 1_000, 4_300, 5_000]);
  });

  it('runNow stays off the grid: the grid does not move, and a slot landing in it is skipped', async () => {
    const clock = fakeClock();
    const starts: number[] = [];
    const probe = new ScriptedProbe(async (_n, signal) => {
      starts.push(clock.now());
      return slow(300, signal);
    });
    const { scheduler } = make([entry(probe, settings('a', { intervalMs: 1_000, timeoutMs: 500 }))], { ...clock, random: () => 0 });
    scheduler.start();
    await vi.advanceTimersByTimeAsync(1_850);
    void scheduler.runNow('a'); // 1850 → 2150 covers slot 2000
    await vi.advanceTimersByTimeAsync(1_200);
    expect(starts).toEqual([0, 1_000, 1_850, 3_000]);
    expect(scheduler.skippedRuns('a')).toBe(1);
  });

  /**
   * Worst case over fault onsets spread across the grid: a dependency that
   * hangs (every check runs into the timeout) turns the probe unhealthy within
   * failureThreshold × interval + timeout of the onset, and one that comes back
   * turns it healthy within successThreshold × interval + timeout.
   */
  it.each([
    { failureThreshold: 2, successThreshold: 1 },
    { failureThreshold: 3, successThreshold: 2 },
  ])('bounds detection and recovery on the grid ($failureThreshold/$successThreshold)', async ({ failureThreshold, successThreshold }) => {
    const interval = 1_000;
    const timeout = 500;
    let worstDetection = 0;
    let worstRecovery = 0;
    for (let onset = 3_000; onset < 4_000; onset += 37) {
      const clock = fakeClock();
      const recoverAt = onset + 6_000;
      const probe = new ScriptedProbe((_n, signal) => {
        const t = clock.now();
        const hung = t >= onset && t < recoverAt;
        // A hang never answers: the runner's timeout ends it. Healthy answers take 20 ms.
        return hung ? new Promise<CheckReport>(() => undefined) : slow(20, signal);
      });
      const { scheduler } = make(
        [entry(probe, settings('db', { intervalMs: interval, timeoutMs: timeout, failureThreshold, successThreshold }))],
        { ...clock, random: () => 0.37 },
      );
      let unhealthyAt: number | undefined;
      let healthyAt: number | undefined;
      scheduler.onRun(({ snapshot }) => {
        if (snapshot.state === 'unhealthy' && unhealthyAt === undefined) unhealthyAt = clock.now();
        if (snapshot.state === 'healthy' && unhealthyAt !== undefined && healthyAt === undefined) healthyAt = clock.now();
      });
      scheduler.start();
      await vi.advanceTimersByTimeAsync(recoverAt + 5_000);
      await scheduler.stop();
      vi.useRealTimers();
      expect(unhealthyAt, `onset ${onset}`).toBeDefined();
      expect(healthyAt, `onset ${onset}`).toBeDefined();
      worstDetection = Math.max(worstDetection, unhealthyAt! - onset);
      worstRecovery = Math.max(worstRecovery, healthyAt! - recoverAt);
    }
    expect(worstDetection).toBeLessThanOrEqual(failureThreshold * interval + timeout);
    expect(worstRecovery).toBeLessThanOrEqual(successThreshold * interval + timeout);
    // And the bound is tight: some onset comes close to it (the test would notice a grid that runs too often).
    expect(worstDetection).toBeGreaterThan((failureThreshold - 1) * interval + timeout);
  });
});

describe('Scheduler: stop', () => {
  it('aborts runs in flight, resolves once they settled, records nothing, runs nothing more', async () => {
    const probe = new ScriptedProbe((_n, signal) => slow(20_000, signal));
    const { scheduler } = make([entry(probe, settings('a', { intervalMs: 100, timeoutMs: 30_000 }))]);
    scheduler.start();
    await sleep(50);
    const started = performance.now();
    await scheduler.stop();
    expect(performance.now() - started).toBeLessThan(1_000);
    expect(probe.aborted).toBe(1);
    expect(probe.active).toBe(0);
    expect(scheduler.get('a')?.state).toBe('unknown');
    expect(scheduler.history('a')).toHaveLength(0);
    await sleep(250);
    expect(probe.calls).toBe(1);
  });

  it('stop() ends a check that ignores its signal too', async () => {
    const probe = new ScriptedProbe(() => new Promise(() => undefined));
    const { scheduler } = make([entry(probe, settings('a', { timeoutMs: 30_000 }))]);
    scheduler.start();
    const started = performance.now();
    await scheduler.stop();
    expect(performance.now() - started).toBeLessThan(1_000);
  });

  it('clears pending timers', async () => {
    const probe = new ScriptedProbe(pass);
    const { scheduler } = make([entry(probe, settings('a', { intervalMs: 50 }))]);
    scheduler.start();
    await sleep(20);
    await scheduler.stop();
    const calls = probe.calls;
    await sleep(200);
    expect(probe.calls).toBe(calls);
  });

  it('close() stops and closes every probe', async () => {
    const a = new ScriptedProbe(pass);
    const hanging: Probe = { check: pass, close: () => new Promise(() => undefined) };
    const { scheduler } = make([entry(a, settings('a')), entry(hanging, settings('b'))]);
    const started = performance.now();
    await scheduler.close(200);
    expect(performance.now() - started).toBeLessThan(2_000);
    expect(a.closed).toBe(1);
  });
});

describe('Scheduler: state, events and logs', () => {
  it('applies hysteresis and logs one info line per transition, none per run', async () => {
    const script = ['pass', 'fail', 'fail', 'fail', 'pass', 'pass'];
    const probe = new ScriptedProbe(async (n) => {
      if (script[n - 1] === 'fail') {
        throw Object.assign(new Error('connect ECONNREFUSED 127.0.0.1:5432 for postgres://app:hunter2secret@127.0.0.1/db'), { code: 'ECONNREFUSED' });
      }
      return { observations: [] };
    });
    const { scheduler, log } = make([entry(probe, settings('db'))]);
    const states: string[] = [];
    for (let i = 0; i < script.length; i += 1) {
      await scheduler.runNow('db');
      states.push(scheduler.get('db')!.state);
    }
    expect(states).toEqual(['healthy', 'healthy', 'unhealthy', 'unhealthy', 'healthy', 'healthy']);
    const snapshot = scheduler.get('db')!;
    expect(snapshot.transitions).toBe(3);
    expect(snapshot.consecutiveSuccesses).toBe(2);
    expect(snapshot.lastSuccess).toBe(snapshot.last?.finishedAt);

    const info = log.lines().filter((l) => l.level === 30);
    expect(info.map((l) => [l.msg, l.probe, l.type, l.from, l.to, l.reason])).toEqual([
      ['probe state changed', 'db', 'tcp', 'unknown', 'healthy', undefined],
      ['probe state changed', 'db', 'tcp', 'healthy', 'unhealthy', 'refused'],
      ['probe state changed', 'db', 'tcp', 'unhealthy', 'healthy', undefined],
    ]);
    expect(log.lines().filter((l) => l.level === 20 && l.msg === 'probe run')).toHaveLength(script.length);
    expect(JSON.stringify(log.lines())).not.toContain('hunter2secret');
  });

  it('tracks lastChange and lastRun from the injected clock', async () => {
    let t = 1_000;
    const probe = new ScriptedProbe(async (n) => {
      if (n === 2) throw new ProbeError('timeout', 'slow');
      return { observations: [] };
    });
    const { scheduler } = make([entry(probe, settings('a', { failureThreshold: 1, intervalMs: 10_000 }))], { now: () => (t += 10) });
    await scheduler.runNow('a');
    const first = scheduler.get('a')!;
    expect(first.lastChange).toBe(first.lastRun);
    await scheduler.runNow('a');
    const second = scheduler.get('a')!;
    expect(second.state).toBe('unhealthy');
    expect(second.lastChange).toBe(second.lastRun);
    expect(second.lastSuccess).toBe(first.lastRun);
  });

  it('notifies listeners after the state update; a throwing listener breaks nothing', async () => {
    const probe = new ScriptedProbe(pass);
    const { scheduler, log } = make([entry(probe, settings('a'))]);
    const events: RunEvent[] = [];
    scheduler.onRun(() => {
      throw new Error('listener bug');
    });
    scheduler.onRun((event) => {
      expect(scheduler.get('a')).toBe(event.snapshot);
      events.push(event);
    });
    const unsubscribe = scheduler.onRun(async () => {
      throw new Error('async listener bug');
    });
    await scheduler.runNow('a');
    unsubscribe();
    await scheduler.runNow('a');
    expect(events.map((e) => [e.previousState, e.snapshot.state])).toEqual([
      ['unknown', 'healthy'],
      ['healthy', 'healthy'],
    ]);
    expect(events[1]!.result).toBe(scheduler.get('a')?.last);
    await sleep(10);
    const warnings = log.lines().filter((l) => l.msg === 'run listener threw');
    expect(warnings.map((w) => w.err)).toEqual(['listener bug', 'async listener bug', 'listener bug']);
  });

  it('reports staleness from the last run', async () => {
    let t = 0;
    const { scheduler } = make([entry(new ScriptedProbe(pass), settings('a', { intervalMs: 1_000 }))], { now: () => t });
    expect(scheduler.isStale('a')).toBe(false);
    scheduler.start();
    await scheduler.whenFirstRoundDone();
    t = 2_500;
    expect(scheduler.isStale('a')).toBe(false);
    t = 3_001;
    expect(scheduler.isStale('a')).toBe(true);
    expect(scheduler.isStale('nope')).toBe(false);
  });
});

describe('Scheduler: timers', () => {
  it('never keep the process alive (unref): a started scheduler with a 60 s interval lets node exit', () => {
    const script = `
      const { Scheduler } = await import('./src/runner/scheduler.js');
      const { pino } = await import('pino');
      const settings = { name: 'a', type: 'tcp', critical: true, groups: ['ready'], intervalMs: 60000, timeoutMs: 1000,
        failureThreshold: 2, successThreshold: 1, dependsOn: [], warn: {}, fail: {}, options: {} };
      const definition = { componentType: 'system', hints: { reasons: {} }, measurements: {} };
      const probe = { check: async () => ({ observations: [] }), close: async () => {} };
      const s = new Scheduler({ logger: pino({ level: 'silent' }), probes: [{ definition, probe, settings }] });
      s.start();
      await s.whenFirstRoundDone();
      console.log('first round', s.get('a').state);
    `;
    const started = performance.now();
    const child = spawnSync(process.execPath, ['--import', 'tsx', '--input-type=module', '-e', script], {
      cwd: process.cwd(),
      encoding: 'utf8',
      timeout: 15_000,
    });
    expect(child.stderr).toBe('');
    expect(child.stdout.trim()).toBe('first round healthy');
    expect(child.status).toBe(0);
    expect(performance.now() - started).toBeLessThan(15_000);
  });
});

describe('Scheduler: live reconfiguration (add / replace / remove / reorder)', () => {
  it('add() runs a new probe at once and marks it addedAt', async () => {
    const { scheduler } = make([entry(new ScriptedProbe(pass), settings('a'))]);
    scheduler.start();
    await scheduler.whenFirstRoundDone();
    const added = new ScriptedProbe(pass);
    scheduler.add(entry(added, settings('b')));
    expect(scheduler.get('b')?.addedAt).toBeTypeOf('number');
    expect(scheduler.list().map((p) => p.name)).toEqual(['a', 'b']);
    expect(() => scheduler.add(entry(new ScriptedProbe(pass), settings('b')))).toThrow(/duplicate probe name b/);
    await sleep(20);
    expect(added.calls).toBe(1);
    expect(scheduler.get('b')?.state).toBe('healthy');
  });

  /** Waits (bounded) until the probe's next run has started: grid slots fall anywhere in [interval, 2 × interval). */
  async function runInFlight(probe: ScriptedProbe): Promise<void> {
    for (let waited = 0; probe.active === 0 && waited < 1_000; waited += 5) await sleep(5);
  }

  it('replace() keeps state, last result and history, aborts the old run without recording it, and runs the new client at once', async () => {
    const old = new ScriptedProbe((call, signal) => (call === 1 ? pass() : slow(5_000, signal)));
    const { scheduler } = make([entry(old, settings('a', { intervalMs: 50 }))]);
    scheduler.start();
    await scheduler.whenFirstRoundDone();
    const before = scheduler.get('a')!;
    await runInFlight(old); // the second, slow run (its grid slot is 50–100 ms after the first)
    expect(old.active).toBe(1);
    const fresh = new ScriptedProbe((_call, signal) => slow(100, signal));
    const returned = await scheduler.replace(entry(fresh, settings('a', { intervalMs: 60_000, critical: false })));
    expect(returned.probe).toBe(old);
    expect(old.aborted).toBe(1);
    const after = scheduler.get('a')!;
    expect(after.last).toBe(before.last);
    expect(after.state).toBe('healthy');
    expect(after.critical).toBe(false);
    expect(after.intervalMs).toBe(60_000);
    expect(scheduler.history('a')).toHaveLength(1);
    expect(fresh.calls).toBe(1);
    await sleep(150);
    expect(scheduler.history('a')).toHaveLength(2);
    expect(old.closed).toBe(0); // closing is the caller's job
    await expect(scheduler.replace(entry(fresh, settings('nope')))).rejects.toThrow(RangeError);
  });

  it('remove() aborts the run in flight, never re-arms it, and forgets the probe', async () => {
    const probe = new ScriptedProbe((call, signal) => (call === 1 ? pass() : slow(5_000, signal)));
    const { scheduler } = make([entry(probe, settings('a', { intervalMs: 50 })), entry(new ScriptedProbe(pass), settings('b'))]);
    scheduler.start();
    await scheduler.whenFirstRoundDone();
    await runInFlight(probe);
    const removed = await scheduler.remove('a');
    expect(removed?.probe).toBe(probe);
    expect(probe.aborted).toBe(1);
    expect(scheduler.get('a')).toBeUndefined();
    expect(scheduler.list().map((p) => p.name)).toEqual(['b']);
    expect(scheduler.history('a')).toEqual([]);
    await sleep(150);
    expect(probe.calls).toBe(2);
    expect(await scheduler.remove('a')).toBeUndefined();
    await expect(scheduler.runNow('a')).rejects.toThrow(RangeError);
  });

  it('reorder() lists probes in the given order', () => {
    const { scheduler } = make(['a', 'b', 'c'].map((name) => entry(new ScriptedProbe(pass), settings(name))));
    scheduler.reorder(['c', 'a']);
    expect(scheduler.list().map((p) => p.name)).toEqual(['c', 'a', 'b']);
  });
});
