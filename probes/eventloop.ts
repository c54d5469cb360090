import { monitorEventLoopDelay, performance, type EventLoopUtilization, type IntervalHistogram } from 'node:perf_hooks';
import { setTimeout as sleep } from 'node:timers/promises';
import { z } from 'zod';
import type { Probe, ProbeDefinition } from '../src/core/probe.js';
import type { CheckReport } from '../src/core/types.js';

const options = z.strictObject({});

/** Sampling period of the delay histogram: fine enough to see a 200 ms stall, cheap enough to leave on. */
const RESOLUTION_MS = 20;
const NS_PER_MS = 1e6;

const round = (value: number, digits = 3): number => Number(value.toFixed(digits));

/**
 * Measures this process's own event loop: the p99 of how late a 20 ms timer
 * fires (a blocked loop makes every request and every probe late), and the
 * share of time the loop was busy, both since the previous check.
 */
function createEventLoopProbe(): Probe {
  const histogram: IntervalHistogram = monitorEventLoopDelay({ resolution: RESOLUTION_MS });
  histogram.enable();
  let lastUtilization: EventLoopUtilization = performance.eventLoopUtilization();
  let firstCheck = true;

  return {
    async check(signal: AbortSignal): Promise<CheckReport> {
      if (firstCheck) {
        // Whatever was recorded between create() and the first check is the
        // service's own synchronous start-up (module loading, building the app),
        // which on a loaded machine can exceed the fail threshold and would fail
        // liveness for a whole interval. Measure a short fresh window instead.
        firstCheck = false;
        histogram.reset();
        lastUtilization = performance.eventLoopUtilization();
        await sleep(RESOLUTION_MS * 3, undefined, { signal });
      }
      // Still nothing recorded (a very short window): wait for a few samples.
      if (histogram.count === 0) await sleep(RESOLUTION_MS * 3, undefined, { signal });
      const samples = histogram.count;
      const delayP99 = samples > 0 ? round(histogram.percentile(99) / NS_PER_MS) : null;
      const delayMax = samples > 0 ? round(histogram.max / NS_PER_MS) : null;
      const delayMean = samples > 0 ? round(histogram.mean / NS_PER_MS) : null;
      histogram.reset();

      const utilization = performance.eventLoopUtilization(lastUtilization).utilization;
      lastUtilization = performance.eventLoopUtilization();

      return {
        observations: [
          { measurement: 'delayP99', value: delayP99, unit: 'ms' },
          { measurement: 'utilization', value: round(utilization, 4), unit: 'ratio' },
        ],
        info: { delayMaxMs: delayMax, delayMeanMs: delayMean, samples, resolutionMs: RESOLUTION_MS },
      };
    },
    async close(): Promise<void> {
      histogram.disable();
    },
  };
}

export const eventloopProbe: ProbeDefinition<typeof options> = {
  type: 'eventloop',
  componentType: 'system',
  // Core: liveness depends on it.
  defaultIntervalMs: 10_000,
  defaultGroups: ['live'],
  options,
  measurements: {
    delayP99: {
      unit: 'ms',
      warn: 200,
      fail: 1_000,
      description: 'p99 event-loop delay since the previous check (how late a 20 ms timer fired)',
    },
    utilization: { unit: 'ratio', description: 'share of time the event loop was busy since the previous check' },
  },
  hints: {
    reasons: {
      threshold:
        'the event loop is blocked: synchronous or CPU-heavy work on the main thread (big JSON, sync fs/crypto, tight loops) or a saturated CPU; profile with `node --cpu-prof` and move the hot path off the loop',
    },
    measurements: {
      delayP99:
        'the event loop is stalling: look for synchronous or CPU-heavy work on the main thread (profile with `node --cpu-prof`), and check whether the host CPU is saturated or throttled by its cgroup quota',
      utilization:
        'the event loop is busy nearly all the time: the process is CPU-bound; profile the hot path, or add replicas/CPU',
    },
  },
  create() {
    return createEventLoopProbe();
  },
};
