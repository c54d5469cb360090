import { describe, expect, it } from 'vitest';
import { memoryProbe, parseCgroupLimit, parseMeminfo } from '../../probes/memory.js';
import { runOnce, settingsFor } from '../support/run-once.js';

const find = (result: { observations: Array<{ measurement: string }> }, m: string) =>
  result.observations.find((o) => o.measurement === m) as { value: unknown; unit?: string; status?: string } | undefined;

describe('memory probe', () => {
  it('defines live-group defaults and the contract thresholds', () => {
    const settings = settingsFor('memory', {});
    expect(settings.groups).toEqual(['live']);
    expect(settings.warn).toEqual({ systemUtilization: 0.9, processUtilization: 0.8 });
    expect(settings.fail).toEqual({ systemUtilization: 0.97, processUtilization: 0.95 });
    expect(memoryProbe.defaultIntervalMs).toBe(10_000);
    expect(() => settingsFor('memory', { limit: 1 })).toThrow();
  });

  it('reads real figures from this machine', async () => {
    const result = await runOnce('memory', {});
    const system = find(result, 'systemUtilization')!;
    expect(system.unit).toBe('ratio');
    expect(system.value as number).toBeGreaterThan(0);
    expect(system.value as number).toBeLessThan(1);
    const rss = find(result, 'rss')!;
    expect(rss.unit).toBe('bytes');
    // Within a few MB of what the process itself sees now.
    expect(Math.abs((rss.value as number) - process.memoryUsage().rss)).toBeLessThan(64 * 1024 * 1024);
    expect(find(result, 'heapUsed')!.value as number).toBeGreaterThan(0);
    const limit = result.info?.cgroupLimitBytes;
    // processUtilization appears exactly when a binding cgroup limit was found.
    expect(find(result, 'processUtilization') !== undefined).toBe(limit !== null);
    if (limit !== null) expect(find(result, 'processUtilization')!.value as number).toBeCloseTo((rss.value as number) / (limit as number), 2);
  });

  it('warns with reason threshold and the measurement hint past a warn threshold', async () => {
    const result = await runOnce('memory', {}, { warn: { systemUtilization: 0.000001 } });
    expect(result).toMatchObject({ status: 'warn', reason: 'threshold', hint: memoryProbe.hints.measurements?.systemUtilization });
    expect(result.message).toMatch(/^systemUtilization [\d.]+ ≥ warn 0$/);
    expect(find(result, 'systemUtilization')!.status).toBe('warn');
  });

  it('fails past a fail threshold, also on a bytes measurement', async () => {
    const result = await runOnce('memory', {}, { fail: { systemUtilization: 0.97, rss: 1024 } });
    expect(result).toMatchObject({ status: 'fail', reason: 'threshold', hint: memoryProbe.hints.measurements?.rss });
    expect(result.message).toMatch(/^rss \d+ ≥ fail 1024$/);
  });
});

describe('parseMeminfo', () => {
  it('reads MemTotal and MemAvailable in bytes', () => {
    const text = 'MemTotal:       24684084 kB\nMemFree:        23722632 kB\nMemAvailable:   24103096 kB\n';
    expect(parseMeminfo(text)).toEqual({ total: 24684084 * 1024, available: 24103096 * 1024 });
  });
  it('answers undefined without MemAvailable (very old kernels)', () => {
    expect(parseMeminfo('MemTotal: 100 kB\nMemFree: 50 kB\n')).toBeUndefined();
    expect(parseMeminfo('')).toBeUndefined();
  });
});

describe('parseCgroupLimit', () => {
  const total = 16 * 1024 ** 3;
  it.each<[string, number | undefined]>([
    ['max\n', undefined],
    ['9223372036854771712\n', undefined],
    [`${32 * 1024 ** 3}`, undefined],
    ['536870912\n', 536870912],
    ['0', undefined],
    ['garbage', undefined],
  ])('%j → %s', (text, expected) => {
    expect(parseCgroupLimit(text, total)).toBe(expected);
  });
});
