import type { FastifyInstance } from 'fastify';
import { buildApp } from '../../src/http/app.js';
import type { AppDeps } from '../../src/http/deps.js';
import type { LifecycleState, ProbeSnapshot } from '../../src/core/state.js';
import type { VitalsConfig } from '../../src/core/settings.js';
import type { ProbeResult } from '../../src/core/types.js';
import { createMetrics, type VitalsMetrics } from '../../src/metrics/metrics.js';
import { FakeState, configFor } from '../support/fake-state.js';
import { validateResponses } from '../support/openapi-responses.js';

export const NOW = 1_750_000_000_000;

export interface Harness {
  app: FastifyInstance;
  state: FakeState;
  metrics: VitalsMetrics;
  config: VitalsConfig;
  clock: { now: number };
  lifecycle: LifecycleState;
  setLifecycle(changes: Partial<LifecycleState>): void;
  close(): Promise<void>;
}

export interface HarnessOptions {
  histories?: Record<string, ProbeResult[]>;
  config?: Partial<VitalsConfig>;
  deps?: Partial<AppDeps>;
  lifecycle?: Partial<LifecycleState>;
}

const open: Harness[] = [];

/**
 * buildApp over a FakeState and real metrics, on a fixed clock (NOW); started
 * 5 s ago. Every inject is checked against openapi/openapi.yaml.
 */
export async function harness(probes: readonly ProbeSnapshot[], options: HarnessOptions = {}): Promise<Harness> {
  const state = new FakeState(probes, options.histories);
  const config = configFor(probes, options.config);
  const clock = { now: NOW };
  const h = {
    lifecycle: { shuttingDown: false, startedAt: NOW - 5_000, ...options.lifecycle } as LifecycleState,
  } as Harness;
  const metrics = createMetrics({ state, config, lifecycle: () => h.lifecycle, version: '1.4.2', now: () => clock.now });
  const app = buildApp({
    config,
    state,
    lifecycle: () => h.lifecycle,
    metrics,
    version: '1.4.2',
    now: () => clock.now,
    ...options.deps,
  });
  await app.ready();
  validateResponses(app);
  Object.assign(h, {
    app,
    state,
    metrics,
    config,
    clock,
    setLifecycle(changes: Partial<LifecycleState>) {
      h.lifecycle = { ...h.lifecycle, ...changes };
    },
    async close() {
      metrics.close();
      await app.close();
    },
  });
  open.push(h);
  return h;
}

/** For afterEach: close every harness opened since the last call. */
export async function closeAll(): Promise<void> {
  await Promise.all(open.splice(0).map((h) => h.close()));
}
