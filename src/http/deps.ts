import type { Logger } from 'pino';
import type { VitalsConfig } from '../core/settings.js';
import type { LifecycleState, StateReader } from '../core/state.js';
import type { ProbeResult } from '../core/types.js';
import type { VitalsMetrics } from '../metrics/metrics.js';
import type { ReloadOutcome } from '../reload/reloader.js';
import type { LongUptimeSnapshot } from '../status/prometheus-uptime.js';

/** The lifecycle flags, as a getter or as anything with `state()` (e.g. runner/Lifecycle). */
export type LifecycleSource = (() => LifecycleState) | { state(): LifecycleState };

/** What the admin routes need to switch maintenance; runner/Lifecycle does it (startMaintenance/endMaintenance). */
export interface MaintenanceControl {
  start(reason: string, ttlMs: number): { reason: string; since: number; until: number };
  /** Returns whether maintenance was on. */
  end(): boolean;
}

/** A heartbeat probe's push side (probes/heartbeat.ts), for POST /heartbeat/{name}. */
export interface HeartbeatInbox {
  /** The effective token (the probe's own, else auth.token): config guarantees one. */
  readonly token: string;
  beat(): void;
  /** `text` is already bounded and redacted. */
  fail(text: string): void;
}

export interface AppDeps {
  config: VitalsConfig;
  state: StateReader;
  lifecycle: LifecycleSource;
  metrics: VitalsMetrics;
  /** Runs one probe now (single-flight); for the admin routes. */
  runProbe?: (name: string) => Promise<ProbeResult>;
  /**
   * The config in effect, read per request, when it can change under a
   * running app (live reload, CONTRACT §10). Default: always `config`.
   */
  currentConfig?: () => VitalsConfig;
  /** The secret values to scrub; a live list that a reload appends to. Default: config.secrets.all. */
  secrets?: readonly string[];
  /** Re-reads and applies the config; for POST /admin/reload. */
  reload?: () => Promise<ReloadOutcome>;
  /** Starts/ends planned maintenance (runner/Lifecycle); for the admin routes. */
  maintenance?: MaintenanceControl;
  /** POST /admin/probes/{name}/run limit per client address and probe. Default 10 per 60 000 ms. */
  adminRunRateLimit?: { max: number; timeWindowMs: number };
  /** The heartbeat probe of that name, undefined for any other name; for the heartbeat routes. */
  heartbeat?: (name: string) => HeartbeatInbox | undefined;
  /** POST /heartbeat/{name}[/fail] limit per client address and probe. Default 120 per 60 000 ms. */
  heartbeatRateLimit?: { max: number; timeWindowMs: number };
  /** Fastify logs through it; nothing is logged per request at info level. */
  logger?: Logger;
  version: string;
  /** The effective config with secrets masked, for /diagnostics. Default: redactDeep(config). */
  redactedConfig?: () => unknown;
  /** /diagnostics rate limit per client address. Default config.server.rateLimits.diagnostics, else 5 per 1000 ms. */
  diagnosticsRateLimit?: { max: number; timeWindowMs: number };
  /** /status rate limit per client address. Default config.server.rateLimits.status, else 5 per 1000 ms. */
  statusRateLimit?: { max: number; timeWindowMs: number };
  /** Seconds between the status pages' updates (their script's polls, or the no-script meta refresh). Default 10; tests shorten it. */
  statusRefreshSeconds?: number;
  /** Clock, for tests. Default Date.now. */
  now?: () => number;
  /** 7 d / 30 d uptime from Prometheus as last fetched (status/prometheus-uptime.ts); undefined when not configured. */
  longUptime?: () => LongUptimeSnapshot | undefined;
}

/**
 * What every route plugin reads, resolved once in buildApp (defaults filled
 * in) and handed to each plugin as its options — no global, no service
 * locator: a plugin sees exactly this.
 */
export interface AppContext {
  /** The service logger (silent when none was given); Fastify's own logger is off. */
  readonly logger: Logger;
  /** The config in effect: read it per request (a live reload swaps it), not once at registration. */
  readonly config: VitalsConfig;
  readonly state: StateReader;
  lifecycle(): LifecycleState;
  now(): number;
  /** Every known secret value: config.secrets.all, plus what live reloads added. */
  readonly secrets: readonly string[];
  readonly version: string;
  readonly metrics: VitalsMetrics;
  /** The effective config with secrets masked, for /diagnostics. */
  redactedConfig(): unknown;
  readonly diagnosticsRateLimit: { max: number; timeWindowMs: number };
  readonly adminRunRateLimit: { max: number; timeWindowMs: number };
  readonly statusRateLimit: { max: number; timeWindowMs: number };
  readonly statusRefreshSeconds: number;
  readonly maintenance?: MaintenanceControl;
  readonly runProbe?: (name: string) => Promise<ProbeResult>;
  readonly reload?: () => Promise<ReloadOutcome>;
  readonly heartbeat?: (name: string) => HeartbeatInbox | undefined;
  readonly heartbeatRateLimit: { max: number; timeWindowMs: number };
  /** Read per render, never awaited: undefined when statusPage.prometheus is not configured. */
  longUptime(): LongUptimeSnapshot | undefined;
}
