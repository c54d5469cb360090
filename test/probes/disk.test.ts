import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync, statfsSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { diskProbe, diskUsage } from '../../probes/disk.js';
import { runOnce, settingsFor } from '../support/run-once.js';

const find = (result: { observations: Array<{ measurement: string }> }, m: string) =>
  result.observations.find((o) => o.measurement === m) as { value: unknown; unit?: string; status?: string } | undefined;

const dir = mkdtempSync(path.join(tmpdir(), 'vitals-disk-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));
// Some filesystems (btrfs, some FUSE) report no inode figures, so there is nothing to breach.
const hasInodeFigures = statfsSync(dir).files > 0;

describe('disk probe', () => {
  it('defaults path to / and has the contract thresholds', () => {
    const settings = settingsFor('disk', {});
    expect(settings.options).toEqual({ path: '/' });
    expect(settings.groups).toEqual(['ready']);
    expect(settings.warn).toEqual({ usedRatio: 0.8, inodesUsedRatio: 0.8 });
    expect(settings.fail).toEqual({ usedRatio: 0.9, inodesUsedRatio: 0.9 });
    expect(diskProbe.defaultIntervalMs).toBe(30_000);
    expect(() => settingsFor('disk', { path: '' })).toThrow();
    expect(() => settingsFor('disk', { path: '/', mount: '/x' })).toThrow();
  });

  it('measures the real filesystem like df does', async () => {
    const result = await runOnce('disk', { path: dir }, { warn: {}, fail: {} });
    expect(result.status).toBe('pass');
    const used = find(result, 'usedRatio')!.value as number;
    expect(used).toBeGreaterThanOrEqual(0);
    expect(used).toBeLessThanOrEqual(1);
    // df rounds its Use% up to the next whole percent.
    const df = execFileSync('df', ['-P', dir], { encoding: 'utf8' }).trim().split('\n').at(-1)!.split(/\s+/);
    const dfPercent = Number(df[4]!.replace('%', ''));
    expect(Math.abs(used * 100 - dfPercent)).toBeLessThanOrEqual(1.5);
    const dfAvailableBytes = Number(df[3]) * 1024;
    const free = find(result, 'freeBytes')!.value as number;
    expect(Math.abs(free - dfAvailableBytes) / Math.max(dfAvailableBytes, 1)).toBeLessThan(0.05);
    expect(result.info?.path).toBe(dir);
  });

  it('warns past warn thresholds (forced low) with reason threshold and the usage hint', async () => {
    const result = await runOnce('disk', { path: dir }, { warn: { usedRatio: 0 }, fail: { usedRatio: null, inodesUsedRatio: null } });
    expect(result).toMatchObject({ status: 'warn', reason: 'threshold' });
    // The hint names this probe's path in the command it suggests.
    expect(result.hint).toBe(diskProbe.hints.measurements?.usedRatio?.replace('{path}', dir));
    expect(result.hint).toContain(`du -xh --max-depth=1 ${dir} | sort -h`);
    expect(result.message).toMatch(/^usedRatio [\d.]+ ≥ warn 0/);
  });

  it('fails past a fail threshold on usedRatio', async () => {
    const result = await runOnce('disk', { path: dir }, { warn: { usedRatio: 0 }, fail: { usedRatio: 0 } });
    expect(result).toMatchObject({ status: 'fail', reason: 'threshold' });
    expect(result.hint).toContain(`du -xh --max-depth=1 ${dir} | sort -h`);
    expect(find(result, 'usedRatio')!.status).toBe('fail');
  });

  it.skipIf(!hasInodeFigures)('fails past a fail threshold on inodesUsedRatio', async () => {
    const result = await runOnce('disk', { path: dir }, { warn: { inodesUsedRatio: 0 }, fail: { inodesUsedRatio: 0 } });
    expect(result).toMatchObject({ status: 'fail', reason: 'threshold', hint: diskProbe.hints.measurements?.inodesUsedRatio });
    expect(result.message).toMatch(/inodesUsedRatio [\d.]+ ≥ fail 0/);
  });

  it('a missing path is a config failure with a clear message', async () => {
    const missing = path.join(dir, 'no', 'such', 'dir');
    const result = await runOnce('disk', { path: missing });
    expect(result).toMatchObject({
      status: 'fail',
      reason: 'config',
      message: `disk path ${missing} does not exist`,
      hint: diskProbe.hints.reasons.config,
    });
  });

  it('a path under a file is a config failure too', async () => {
    const file = path.join(dir, 'plain-file');
    writeFileSync(file, 'x');
    const result = await runOnce('disk', { path: path.join(file, 'sub') });
    expect(result).toMatchObject({ status: 'fail', reason: 'config' });
    expect(result.message).toMatch(/not a directory/);
  });
});

describe('diskUsage', () => {
  it.each([
    // 100 blocks, 30 free of which 20 available (10 reserved for root): used 70 / (70 + 20)
    [{ bsize: 4096, blocks: 100, bfree: 30, bavail: 20, files: 1000, ffree: 250 }, { usedRatio: 0.7778, inodesUsedRatio: 0.75, freeBytes: 20 * 4096 }],
    [{ bsize: 512, blocks: 0, bfree: 0, bavail: 0, files: 0, ffree: 0 }, { usedRatio: null, inodesUsedRatio: null, freeBytes: 0 }],
  ])('%o', (stats, expected) => {
    expect(diskUsage(stats)).toEqual(expected);
  });
});
