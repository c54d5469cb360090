import { readFile } from 'node:fs/promises';
import os from 'node:os';
import { z } from 'zod';
import type { Probe, ProbeDefinition } from '../src/core/probe.js';
import type { CheckReport } from '../src/core/types.js';

const options = z.strictObject({});

const round = (value: number): number => Number(value.toFixed(4));

/** MemTotal and MemAvailable in bytes from /proc/meminfo text, when both are there. */
export function parseMeminfo(text: string): { total: number; available: number } | undefined {
  const field = (name: string): number | undefined => {
    const match = new RegExp(`^${name}:\\s+(\\d+)\\s*kB`, 'm').exec(text);
    return match?.[1] === undefined ? undefined : Number(match[1]) * 1024;
  };
  const total = field('MemTotal');
  const available = field('MemAvailable');
  if (total === undefined || available === undefined || total <= 0) return undefined;
  return { total, available };
}

/**
 * A cgroup memory limit in bytes, or undefined when there is none worth
 * reporting: v2 writes `max`, v1 writes a number near 2^63, and a limit above
 * the machine's memory never binds (system pressure comes first).
 */
export function parseCgroupLimit(text: string, totalMemory: number): number | undefined {
  const trimmed = text.trim();
  if (!/^\d+$/.test(trimmed)) return undefined;
  const limit = Number(trimmed);
  if (!Number.isFinite(limit) || limit <= 0 || limit > totalMemory) return undefined;
  return limit;
}

async function readText(path: string): Promise<string | undefined> {
  try {
    return await readFile(path, 'utf8');
  } catch {
    return undefined;
  }
}

/** This process's cgroup path for a controller ('' = v2 unified), from /proc/self/cgroup. */
function cgroupPath(procSelfCgroup: string | undefined, controller: string): string | undefined {
  for (const line of procSelfCgroup?.split('\n') ?? []) {
    const [, controllers, path] = line.split(':');
    if (path === undefined || controllers === undefined) continue;
    if (controller === '' ? controllers === '' : controllers.split(',').includes(controller)) return path;
  }
  return undefined;
}

/** The memory limit of this process's cgroup (v2, then v1), own cgroup first, then the mount root. */
async function cgroupLimit(totalMemory: number): Promise<number | undefined> {
  const self = await readText('/proc/self/cgroup');
  const v2 = cgroupPath(self, '');
  const v1 = cgroupPath(self, 'memory');
  const candidates = [
    ...(v2 !== undefined && v2 !== '/' ? [`/sys/fs/cgroup${v2}/memory.max`] : []),
    '/sys/fs/cgroup/memory.max',
    ...(v1 !== undefined && v1 !== '/' ? [`/sys/fs/cgroup/memory${v1}/memory.limit_in_bytes`] : []),
    '/sys/fs/cgroup/memory/memory.limit_in_bytes',
  ];
  for (const file of candidates) {
    const text = await readText(file);
    // The first file that exists decides, even when it says "no limit".
    if (text !== undefined) return parseCgroupLimit(text, totalMemory);
  }
  return undefined;
}

async function systemMemory(): Promise<{ total: number; available: number; source: string }> {
  const meminfo = parseMeminfo((await readText('/proc/meminfo')) ?? '');
  if (meminfo !== undefined) return { ...meminfo, source: '/proc/meminfo' };
  return { total: os.totalmem(), available: os.freemem(), source: 'os.freemem' };
}

/**
 * Memory pressure on the machine (1 − MemAvailable/MemTotal: page cache that
 * can be dropped does not count as used) and this process's RSS against its
 * container limit, where the OOM killer will strike.
 */
function createMemoryProbe(): Probe {
  return {
    async check(): Promise<CheckReport> {
      const system = await systemMemory();
      const usage = process.memoryUsage();
      const limit = await cgroupLimit(system.total);
      const observations: CheckReport['observations'] = [
        { measurement: 'systemUtilization', value: round(1 - system.available / system.total), unit: 'ratio' },
      ];
      if (limit !== undefined) {
        observations.push({ measurement: 'processUtilization', value: round(usage.rss / limit), unit: 'ratio' });
      }
      observations.push(
        { measurement: 'rss', value: usage.rss, unit: 'bytes' },
        { measurement: 'heapUsed', value: usage.heapUsed, unit: 'bytes' },
      );
      return {
        observations,
        info: {
          memTotalBytes: system.total,
          memAvailableBytes: system.available,
          cgroupLimitBytes: limit ?? null,
          heapTotalBytes: usage.heapTotal,
          source: system.source,
        },
      };
    },
    async close(): Promise<void> {
      // Nothing is held between runs.
    },
  };
}

export const memoryProbe: ProbeDefinition<typeof options> = {
  type: 'memory',
  componentType: 'system',
  defaultIntervalMs: 10_000,
  defaultGroups: ['live'],
  options,
  measurements: {
    systemUtilization: { unit: 'ratio', warn: 0.9, fail: 0.97, description: '1 − MemAvailable / MemTotal of the machine' },
    processUtilization: {
      unit: 'ratio',
      warn: 0.8,
      fail: 0.95,
      description: 'resident set size ÷ cgroup memory limit (absent when there is no limit)',
    },
    rss: { unit: 'bytes', description: 'resident set size of the vitals process' },
    heapUsed: { unit: 'bytes', description: 'V8 heap in use by the vitals process' },
  },
  hints: {
    reasons: {
      threshold:
        'memory is running out: find what grows (a leak shows as RSS climbing steadily), raise the limit, and restart only as a stopgap',
    },
    measurements: {
      systemUtilization:
        'the machine is short of memory: find the biggest consumers (`ps aux --sort=-rss | head`), move or shrink workloads, or add memory before the OOM killer picks a victim',
      processUtilization:
        'this process is close to its container memory limit and will be OOM-killed: look for a leak (RSS rising steadily, heap snapshots), raise the limit; a restart only buys time',
      rss: 'the process uses more memory than expected: look for a leak (RSS rising steadily between checks) and compare heapUsed',
      heapUsed: 'the JavaScript heap is larger than expected: take a heap snapshot to find what is being retained',
    },
  },
  create() {
    return createMemoryProbe();
  },
};
