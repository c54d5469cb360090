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
  /** Effective thresholds per measurement (type defaults overlaid with config). */
  warn: Record<string, number>;
  fail: Record<string, number>;
  /** Type-specific options, as parsed by the type's `options` schema. */
  options: Record<string, unknown>;
}

/**
 * Secret values found in a config, gathered once at load (config/secrets.ts).
 * Every output that leaves the process (responses, logs, CLI, errors) scrubs
 * `all` through core/redact.
 */
export interface ConfigSecrets {
  /** Every exact value to remove from outgoing text. */
  readonly all: readonly string[];
  /**
   * The same without URL passwords: `vitals config print` masks those by URL
   * structure instead, since replacing a password like "postgres" as plain
   * text would also mask the scheme, user and database name.
   */
  readonly declared: readonly string[];
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
  /** Gathered once at load; read, never recomputed, by every output. */
  secrets: ConfigSecrets;
}
