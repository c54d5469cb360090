import { performance } from 'node:perf_hooks';
import { afterEach, describe, expect, it } from 'vitest';
import { eventloopProbe } from '../../probes/eventloop.js';
import { createProbe, runOnce, settingsFor, type ProbeUnderTest } from '../support/run-once.js';

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

/** Blocks this process's event loop, as a runaway synchronous handler would. */
function busyWait(ms: number): void {
  const until = performance.now() + ms;
  while (performance.now() < until) {
    // spin
  }
}

const value = (result: { observations: Array<{ measurement: string; value: unknown }> }, m: string): unknown =>
  result.observations.find((o) => o.measurement === m)?.value;

let instance: ProbeUnderTest | undefined;
afterEach(async () => {
  await instance?.close();
  instance = undefined;
});

describe('eventloop probe', () => {
  it('defines live-group defaults and the contract thresholds', () => {
    const settings = settingsFor('eventloop', {});
    expect(settings.groups).toEqual(['live']);
    expect(settings.warn).toEqual({ delayP99: 200 });
    expect(settings.fail).toEqual({ delayP99: 1_000 });
    expect(eventloopProbe.defaultIntervalMs).toBe(10_000);
    expect(eventloopProbe.componentType).toBe('system');
    expect(() => settingsFor('eventloop', { extra: 1 })).toThrow();
  });

  it('passes on an idle loop, even on the very first check', async () => {
    const result = await runOnce('eventloop', {});
    expect(result.status).toBe('pass');
    const p99 = value(result, 'delayP99');
    expect(typeof p99).toBe('number');
    expect(p99 as number).toBeLessThan(200);
    const utilization = value(result, 'utilization') as number;
    expect(utilization).toBeGreaterThanOrEqual(0);
    expect(utilization).toBeLessThanOrEqual(1);
    expect(result.info?.samples as number).toBeGreaterThan(0);
  });

  it('a blocked loop (300 ms busy-wait) breaches warn with reason threshold, then recovers', async () => {
    instance = createProbe('eventloop', {});
    // The first check measures a fresh window; the stall must fall between checks.
    await instance.run();
    await sleep(100);
    busyWait(300);
    // Let the delayed sampling timer fire and record the stall.
    await sleep(50);
    const blocked = await instance.run();
    expect(blocked.status).toBe('warn');
    expect(blocked.reason).toBe('threshold');
    expect(blocked.message).toMatch(/^delayP99 \d+ms ≥ warn 200ms$/);
    expect(blocked.hint).toBe(eventloopProbe.hints.measurements?.delayP99);
    expect(value(blocked, 'delayP99') as number).toBeGreaterThanOrEqual(200);
    // Busy for 300 of ~450 ms.
    expect(value(blocked, 'utilization') as number).toBeGreaterThan(0.4);

    // The histogram is reset per check: the stall does not haunt the next one.
    await sleep(150);
    const after = await instance.run();
    expect(after.status).toBe('pass');
    expect(value(after, 'delayP99') as number).toBeLessThan(200);
  });

  it('a stall past the fail threshold fails', async () => {
    instance = createProbe('eventloop', {}, { fail: { delayP99: 250 } });
    await instance.run();
    await sleep(60);
    busyWait(350);
    await sleep(50);
    const result = await instance.run();
    expect(result).toMatchObject({ status: 'fail', reason: 'threshold' });
    expect(result.message).toMatch(/^delayP99 \d+ms ≥ fail 250ms$/);
  });

  it('start-up work before the first check does not count against it (liveness must not fail at boot)', async () => {
    instance = createProbe('eventloop', {}, { fail: { delayP99: 250 } });
    // What a loaded machine's synchronous start-up looks like: a long block
    // between creating the probe and its first run.
    busyWait(400);
    await sleep(30);
    const first = await instance.run();
    expect(first.status).toBe('pass');
    expect(value(first, 'delayP99') as number).toBeLessThan(250);
  });

  it('close() stops sampling (runs are still safe after it)', async () => {
    const probe = createProbe('eventloop', {});
    await probe.run();
    await probe.close();
    // A disabled histogram records nothing more; the check waits for samples that never come and reports null.
    const result = await probe.run();
    expect(value(result, 'delayP99')).toBeNull();
    expect(result.status).toBe('pass');
  });
});
