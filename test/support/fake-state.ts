import { probeDefinitions } from '../../probes/index.js';
import { gatherSecrets } from '../../src/config/secrets.js';
import type { ProbeDefinition } from '../../src/core/probe.js';
import type { VitalsConfig } from '../../src/core/settings.js';
import type { ProbeSnapshot, RunEvent, StateReader } from '../../src/core/state.js';
import type { ProbeResult } from '../../src/core/types.js';

/**
 * An in-memory StateReader built from literal snapshots, for HTTP and metrics
 * tests. It does no hysteresis of its own: a test states exactly what the
 * scheduler would have recorded, and `emit` plays a finished run.
 */
export class FakeState implements StateReader {
  private readonly snapshots = new Map<string, ProbeSnapshot>();
  private readonly histories = new Map<string, ProbeResult[]>();
  private readonly listeners = new Set<(event: RunEvent) => void>();

  constructor(snapshots: readonly ProbeSnapshot[] = [], histories: Record<string, ProbeResult[]> = {}) {
    for (const snapshot of snapshots) this.snapshots.set(snapshot.name, snapshot);
    for (const [name, results] of Object.entries(histories)) this.histories.set(name, [...results]);
  }

  list(): readonly ProbeSnapshot[] {
    return [...this.snapshots.values()];
  }

  get(name: string): ProbeSnapshot | undefined {
    return this.snapshots.get(name);
  }

  history(name: string): readonly ProbeResult[] {
    return this.histories.get(name) ?? [];
  }

  onRun(listener: (event: RunEvent) => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  /** Replace fields of one probe's snapshot (the probe must exist). */
  update(name: string, changes: Partial<ProbeSnapshot>): void {
    const current = this.snapshots.get(name);
    if (current === undefined) throw new Error(`fake state: no probe ${name}`);
    this.snapshots.set(name, { ...current, ...changes });
  }

  /** Play one finished run: store its snapshot and result, then notify subscribers. */
  emit(event: RunEvent): void {
    this.snapshots.set(event.snapshot.name, event.snapshot);
    const history = this.histories.get(event.snapshot.name) ?? [];
    history.push(event.result);
    this.histories.set(event.snapshot.name, history);
    for (const listener of this.listeners) listener(event);
  }

  get listenerCount(): number {
    return this.listeners.size;
  }
}

/** A snapshot with plain defaults: a critical ready-group tcp probe that has not run. */
export function snapshot(overrides: Partial<ProbeSnapshot> & { name: string }): ProbeSnapshot {
  return {
    type: 'tcp',
    componentType: 'component',
    critical: true,
    groups: ['ready'],
    intervalMs: 10_000,
    timeoutMs: 2_000,
    failureThreshold: 3,
    state: 'unknown',
    consecutiveFailures: 0,
    consecutiveSuccesses: 0,
    transitions: 0,
    ...overrides,
  };
}

/** A finished run result; `at` is when it finished. */
export function result(status: ProbeResult['status'], at: number, overrides: Partial<ProbeResult> = {}): ProbeResult {
  const durationMs = overrides.durationMs ?? 12;
  return {
    status,
    durationMs,
    startedAt: at - durationMs,
    finishedAt: at,
    observations: [],
    ...(status === 'pass' ? {} : { reason: 'refused', message: 'connection refused', hint: 'start the server' }),
    ...overrides,
  };
}

/** The real definition of a built-in type; a bare tcp-shaped stand-in for names the table does not have. */
function definitionFor(type: string): ProbeDefinition {
  const table: Readonly<Record<string, ProbeDefinition>> = probeDefinitions;
  return table[type] ?? { ...probeDefinitions.tcp, type };
}

/** A VitalsConfig whose probes match the given snapshots; `overrides` replace top-level keys. */
export function configFor(snapshots: readonly ProbeSnapshot[], overrides: Partial<VitalsConfig> = {}): VitalsConfig {
  const config: Omit<VitalsConfig, 'secrets'> = {
    service: { id: 'test-service', description: 'vitals under test' },
    server: { host: '127.0.0.1', port: 0 },
    auth: { protectMetrics: false },
    defaults: { intervalMs: 10_000, timeoutMs: 2_000, failureThreshold: 2, successThreshold: 1 },
    shutdown: { drainDelayMs: 0, timeoutMs: 5_000 },
    probes: snapshots.map((s) => ({
      name: s.name,
      type: s.type,
      definition: definitionFor(s.type),
      critical: s.critical,
      groups: [...s.groups],
      intervalMs: s.intervalMs,
      timeoutMs: s.timeoutMs,
      failureThreshold: 2,
      successThreshold: 1,
      warn: {},
      fail: {},
      options: {},
    })),
    source: 'test',
    ...overrides,
  };
  // As config load does: secrets are part of the loaded config.
  return { ...config, secrets: overrides.secrets ?? gatherSecrets(config) };
}
