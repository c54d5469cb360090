import { statfs } from 'node:fs/promises';
import path from 'node:path';
import { z } from 'zod';
import { ProbeError } from '../src/core/errors.js';
import type { Probe, ProbeDefinition } from '../src/core/probe.js';
import type { CheckReport } from '../src/core/types.js';

const options = z.strictObject({
  path: z.string().min(1).default('/'),
});

type DiskOptions = z.output<typeof options>;

const round = (value: number): number => Number(value.toFixed(4));

/** The figures `df` shows, from statfs numbers. */
export function diskUsage(stats: { bsize: number; blocks: number; bfree: number; bavail: number; files: number; ffree: number }): {
  usedRatio: number | null;
  inodesUsedRatio: number | null;
  freeBytes: number;
} {
  const used = stats.blocks - stats.bfree;
  // Like df: blocks reserved for root are neither used nor available to us, so they are left out.
  const usable = used + stats.bavail;
  return {
    usedRatio: usable > 0 ? round(used / usable) : null,
    // Some filesystems (btrfs, some FUSE) report no inode figures at all.
    inodesUsedRatio: stats.files > 0 ? round((stats.files - stats.ffree) / stats.files) : null,
    freeBytes: stats.bavail * stats.bsize,
  };
}

const CONFIG_ERRORS: Record<string, string> = {
  ENOENT: 'does not exist',
  ENOTDIR: 'is not a directory path (a parent is a file)',
  EACCES: 'is not accessible to vitals (permission denied)',
  ELOOP: 'has a symbolic-link loop',
};

function createDiskProbe(opts: DiskOptions): Probe {
  const target = path.resolve(opts.path);
  return {
    async check(): Promise<CheckReport> {
      let stats;
      try {
        stats = await statfs(target);
      } catch (error) {
        const code = (error as { code?: unknown }).code;
        const problem = typeof code === 'string' ? CONFIG_ERRORS[code] : undefined;
        if (problem !== undefined) throw new ProbeError('config', `disk path ${target} ${problem}`, { cause: error });
        throw error;
      }
      const usage = diskUsage(stats);
      return {
        observations: [
          { measurement: 'usedRatio', value: usage.usedRatio, unit: 'ratio' },
          { measurement: 'inodesUsedRatio', value: usage.inodesUsedRatio, unit: 'ratio' },
          { measurement: 'freeBytes', value: usage.freeBytes, unit: 'bytes' },
        ],
        info: { path: target, sizeBytes: stats.blocks * stats.bsize, inodes: stats.files },
      };
    },
    async close(): Promise<void> {
      // Nothing is held between runs.
    },
  };
}

export const diskProbe: ProbeDefinition<typeof options> = {
  type: 'disk',
  componentType: 'system',
  // Auxiliary: disks fill over minutes, not seconds.
  defaultIntervalMs: 30_000,
  options,
  measurements: {
    usedRatio: { unit: 'ratio', warn: 0.8, fail: 0.9, description: 'used ÷ (used + available) blocks of the filesystem holding path, as df shows' },
    inodesUsedRatio: { unit: 'ratio', warn: 0.8, fail: 0.9, description: 'used ÷ total inodes of that filesystem' },
    freeBytes: { unit: 'bytes', worse: 'lower', description: 'bytes available to unprivileged users (no default threshold; lower is worse)' },
  },
  hints: {
    reasons: {
      config: 'set `path` to an existing directory on the filesystem to watch (mounted into the container if vitals runs in one)',
      threshold: 'the filesystem is filling up: clean up old logs and temporary files, prune unused images and volumes (`docker system prune`), or grow the volume',
    },
    measurements: {
      usedRatio:
        'the disk is filling up: find what grew (`du -xh --max-depth=1 {path} | sort -h`), rotate or delete old logs, prune unused images and volumes (`docker system prune`), or grow the volume',
      inodesUsedRatio:
        'the filesystem is running out of inodes (too many small files): find directories with huge file counts (caches, sessions, mail queues) and clean them up',
      freeBytes: 'free space is below the configured floor: clean up or grow the volume',
    },
  },
  hintTarget: ({ path }) => ({ path }),
  create(parsed) {
    return createDiskProbe(parsed);
  },
};
