import { Registry, collectDefaultMetrics, type MetricObjectWithValues, type MetricValue } from 'prom-client';
import { afterEach, describe, expect, it } from 'vitest';
import { createMetrics, type VitalsMetrics } from '../../src/metrics/metrics.js';
import { DROPPED_PROCESS_METRICS } from '../../src/metrics/process-metrics.js';
import { FakeState, configFor, snapshot } from '../support/fake-state.js';

/**
 * CONTRACT §6: "plus prom-client's default process metrics". Whatever
 * process-metrics.ts does to make them cheaper, /metrics must show the
 * families prom-client's own collectDefaultMetrics() registers — same names,
 * types, help texts, aggregators and label names — less only the
 * `_total` gauges promtool rejects.
 */

interface Family {
  type: string;
  help: string;
  aggregator: string;
  /** Label names over every sample; null when the family has no sample yet. */
  labels: string[] | null;
}

type Json = MetricObjectWithValues<MetricValue<string>>;

async function families(registry: Registry): Promise<Map<string, Family>> {
  const json = (await registry.getMetricsAsJSON()) as Json[];
  return new Map(
    json.map((m) => {
      const names = new Set(m.values.flatMap((v) => Object.keys(v.labels)));
      return [m.name, { type: String(m.type), help: m.help, aggregator: m.aggregator, labels: m.values.length === 0 ? null : [...names].sort() }];
    }),
  );
}

const opened: VitalsMetrics[] = [];
afterEach(() => {
  for (const m of opened.splice(0)) m.close();
});

describe('process metrics on /metrics', () => {
  it("are prom-client's default metrics, family for family, less the dropped _total gauges", async () => {
    const reference = new Registry();
    collectDefaultMetrics({ register: reference });
    const probes = [snapshot({ name: 'db', type: 'postgres' })];
    const metrics = createMetrics({ state: new FakeState(probes), config: configFor(probes), lifecycle: () => ({ shuttingDown: false, startedAt: 0 }), version: '1.0.0' });
    opened.push(metrics);
    // Two scrapes each: the second has every sample (collect() of some families fills others).
    await reference.metrics();
    await metrics.registry.metrics();
    const expected = await families(reference);
    const actual = new Map([...(await families(metrics.registry))].filter(([name]) => !name.startsWith('vitals_')));

    for (const name of DROPPED_PROCESS_METRICS) {
      // The list names real prom-client families: a rename upstream would make it a silent no-op.
      expect(expected.has(name), name).toBe(true);
      expected.delete(name);
    }
    expect([...actual.keys()].sort()).toEqual([...expected.keys()].sort());
    for (const [name, want] of expected) {
      const got = actual.get(name)!;
      expect({ name, type: got.type, help: got.help, aggregator: got.aggregator }).toEqual({ name, type: want.type, help: want.help, aggregator: want.aggregator });
      // Samples depend on what the process did (a GC kind seen by one observer only): compare label names where both have samples.
      if (want.labels !== null && got.labels !== null) expect({ name, labels: got.labels }).toEqual({ name, labels: want.labels });
    }
    // The event-loop family set the estimator must keep (issue 16): all eight, gauges.
    for (const suffix of ['', '_min', '_max', '_mean', '_stddev', '_p50', '_p90', '_p99']) {
      expect(actual.get(`nodejs_eventloop_lag${suffix}_seconds`)?.type, suffix).toBe('gauge');
    }
  });
});
