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

/** Requests allowed per client address within a window. */
export interface RateLimit {
  max: number;
  timeWindowMs: number;
}

/** server.rateLimits: per-route limits for the operator endpoints (defaults in http/). */
export interface RateLimits {
  diagnostics?: RateLimit;
  status?: RateLimit;
  adminRun?: RateLimit;
}

/**
 * statusPage.prometheus: where the status page reads 7 d / 30 d uptime from
 * (status/prometheus-uptime.ts fetches it in the background).
 */
export interface PrometheusUptimeSettings {
  /** Base URL of the Prometheus HTTP API (no trailing slash, no credentials); queries go to `${url}/api/v1/query`. */
  url: string;
  intervalMs: number;
  timeoutMs: number;
  /** Label matchers inside braces, e.g. `{job="vitals"}`; `{}` matches every vitals_probe_up series. */
  selector: string;
  /** Sent with every query; values are secrets (bearerToken and URL credentials end up here as Authorization). */
  headers: Record<string, string>;
}

/** The whole effective configuration. */
export interface VitalsConfig {
  service: { id: string; description: string };
  server: { host: string; port: number; rateLimits?: RateLimits };
  auth: { token?: string; protectMetrics: boolean };
  defaults: { intervalMs: number; timeoutMs: number; failureThreshold: number; successThreshold: number };
  shutdown: { drainDelayMs: number; timeoutMs: number };
  probes: ProbeSettings[];
  /** Absent when the file has no statusPage section. */
  statusPage?: { prometheus?: PrometheusUptimeSettings };
  /** Where it came from: a file path, or 'zero-config'. */
  source: string;
  /** Gathered once at load; read, never recomputed, by every output. */
  secrets: ConfigSecrets;
}
