import type { Logger } from 'pino';
import { ConfigError, type ConfigIssue } from '../config/errors.js';
import { redactText } from '../core/redact.js';
import type { VitalsConfig } from '../core/settings.js';
import type { ConfigReloadStatus } from '../metrics/metrics.js';
import { buildProbes } from '../runner/build-probes.js';
import { closeProbe, type Scheduler, type ScheduledProbe } from '../runner/scheduler.js';
import { planReload } from './plan.js';

/** What started a reload; it goes into the log lines. */
export type ReloadTrigger = 'SIGHUP' | 'admin' | 'watch';

export type ReloadOutcome =
  | {
      outcome: 'applied';
      source: string;
      added: string[];
      changed: string[];
      removed: string[];
      unchanged: number;
      /** Settings that changed but need a restart (server.host/port, adding or removing auth.token). */
      notApplied: string[];
      durationMs: number;
    }
  | { outcome: 'invalid'; source: string; issues: ConfigIssue[] }
  /** Shutdown has begun: nothing is re-read any more. */
  | { outcome: 'refused'; message: string };

export interface ReloaderOptions {
  initial: VitalsConfig;
  scheduler: Scheduler;
  logger: Logger;
  /** Reads and validates the config from where the first one came from (throws ConfigError). */
  load: () => Promise<VitalsConfig>;
  /**
   * The service's secret list, shared with the scheduler and the HTTP app:
   * values are appended in place, never removed, so every reader sees a new
   * config's secrets from the moment its probes exist.
   */
  secrets: string[];
  shuttingDown: () => boolean;
  /** How long a removed or replaced probe's client may take to close. */
  closeDeadlineMs?: number;
  now?: () => number;
}

const DEFAULT_CLOSE_DEADLINE_MS = 2_000;

/**
 * Live reconfiguration (CONTRACT §10): re-reads the config, and either
 * changes nothing (invalid: every issue logged with its path) or applies it
 * probe by probe through the scheduler. One reload at a time; a trigger
 * during a reload runs after it, on whatever the file holds then.
 */
export class Reloader {
  private config: VitalsConfig;
  private status: ConfigReloadStatus;
  private queue: Promise<unknown> = Promise.resolve();
  private readonly applied = new Set<(config: VitalsConfig) => void>();
  private readonly now: () => number;

  constructor(private readonly options: ReloaderOptions) {
    this.config = options.initial;
    this.now = options.now ?? Date.now;
    this.status = { successful: true, lastSuccessAt: this.now() };
  }

  /** The config in effect. */
  current(): VitalsConfig {
    return this.config;
  }

  /** For the vitals_config_last_reload_* gauges. */
  reloadStatus(): ConfigReloadStatus {
    return this.status;
  }

  /** Called with the config in effect after each applied reload (metrics forget removed probes here). */
  onApplied(listener: (config: VitalsConfig) => void): void {
    this.applied.add(listener);
  }

  reload(trigger: ReloadTrigger): Promise<ReloadOutcome> {
    const run = this.queue.then(() => this.reloadNow(trigger));
    this.queue = run.catch(() => undefined);
    return run;
  }

  private async reloadNow(trigger: ReloadTrigger): Promise<ReloadOutcome> {
    const { logger } = this.options;
    if (this.options.shuttingDown()) return { outcome: 'refused', message: 'shutting down: the config is not re-read any more' };
    const started = performance.now();
    let next: VitalsConfig;
    try {
      next = await this.options.load();
    } catch (error) {
      return this.reject(trigger, error);
    }
    if (this.options.shuttingDown()) return { outcome: 'refused', message: 'shutting down: the config is not re-read any more' };

    const plan = planReload(this.config, next);
    for (const secret of plan.config.secrets.all) if (!this.options.secrets.includes(secret)) this.options.secrets.push(secret);
    const built = new Map(
      buildProbes({ ...plan.config, probes: [...plan.changed, ...plan.added] }, logger).map((probe) => [probe.settings.name, probe]),
    );
    const { scheduler } = this.options;
    const closing: Promise<void>[] = [];
    const close = (old: ScheduledProbe | undefined): void => {
      if (old !== undefined) closing.push(closeProbe(old, this.options.closeDeadlineMs ?? DEFAULT_CLOSE_DEADLINE_MS, logger));
    };
    // Removals first: a probe whose type changed comes back under the same name.
    for (const probe of plan.removed) close(await scheduler.remove(probe.name));
    for (const probe of plan.changed) close(await scheduler.replace(built.get(probe.name)!));
    for (const probe of plan.added) scheduler.add(built.get(probe.name)!);
    scheduler.reorder(plan.config.probes.map((p) => p.name));
    this.config = plan.config;
    this.status = { successful: true, lastSuccessAt: this.now() };
    for (const listener of this.applied) listener(plan.config);
    // The reload resolves once old clients are closed (each bounded): "no connection left behind" holds when it answers.
    await Promise.all(closing);

    const names = (list: readonly { name: string }[]): string[] => list.map((p) => p.name);
    const outcome: ReloadOutcome = {
      outcome: 'applied',
      source: next.source,
      added: names(plan.added),
      changed: names(plan.changed),
      removed: names(plan.removed),
      unchanged: plan.unchanged.length,
      notApplied: plan.notApplied,
      durationMs: Math.round(performance.now() - started),
    };
    for (const line of plan.notApplied) logger.warn({ trigger, source: next.source }, `config reload: ${line}`);
    logger.info(
      { trigger, source: next.source, added: outcome.added, changed: outcome.changed, removed: outcome.removed, unchanged: outcome.unchanged, durationMs: outcome.durationMs },
      'config reloaded',
    );
    return outcome;
  }

  private reject(trigger: ReloadTrigger, error: unknown): ReloadOutcome {
    const { logger } = this.options;
    const source = error instanceof ConfigError ? error.source : this.config.source;
    // Anything else the loader throws (a custom module that fails to import) is one issue about the file.
    const issues =
      error instanceof ConfigError
        ? error.issues
        : [{ path: '', message: redactText(error instanceof Error ? error.message : String(error), this.options.secrets) }];
    this.status = { ...this.status, successful: false };
    for (const issue of issues) {
      logger.error({ trigger, source, path: issue.path }, `config reload rejected: ${issue.path === '' ? source : issue.path}: ${issue.message}`);
    }
    logger.warn(
      { trigger, source, problems: issues.length },
      `config reload rejected (${issues.length === 1 ? '1 problem' : `${issues.length} problems`}): nothing changed, the previous config keeps running`,
    );
    return { outcome: 'invalid', source, issues };
  }
}
