import type { ProbeDefinition } from './probe.js';
import type { Group, ProbeType } from './types.js';

/**
 * One probe as the runner sees it: config validated, durations in ms,
 * default thresholds merged in. Produced by src/config, consumed by src/runner.
 */
export interface ProbeSettings {
  name: string;
  type: ProbeType;
  /**
   * The definition config resolved `type` to: a built-in from the probe table,
   * or the module a `custom` probe names. The runner builds the probe from it,
   * so it needs no table of its own.
   */
  definition: ProbeDefinition;
  /** For `custom` probes: the module path as written in the config (relative to the config file). */
  module?: string;
  critical: boolean;
  groups: Group[];
  intervalMs: number;
  timeoutMs: number;
  failureThreshold: number;
  successThreshold: number;
  /** Names of probes this one needs (CONTRACT §9); checked to exist and form no cycle. */
  dependsOn: string[];
  /** Effective thresholds per measurement (type defaults overlaid with config). */
  warn: Record<string, number>;
  fail: Record<string, number>;
  /** Type-specific options, as parsed by the type's `options` schema. */
  options: Record<string, unknown>;
}

/** The whole effective configuration. */
export interface VitalsConfig {
  service: { id: string; description: string };
  server: { host: string; port: number };
  auth: { token?: string; protectMetrics: boolean };
  defaults: { intervalMs: number; timeoutMs: number; failureThreshold: number; successThreshold: number };
  shutdown: { drainDelayMs: number; timeoutMs: number };
  probes: ProbeSettings[];
  /** Where it came from: a file path, or 'zero-config'. */
  source: string;
}
