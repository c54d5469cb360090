import type { Logger } from 'pino';
import type { VitalsConfig } from './core/settings.js';
import { buildProbes, type ConfiguredProbe } from './runner/build-probes.js';
import { Scheduler } from './runner/scheduler.js';

/**
 * The runtime owner shared by `vitals serve` and `vitals check`: how probes
 * are wired to a scheduler, how signals end a process, and the one shutdown
 * budget every shutdown step draws from. server.ts and cli/check.ts add only
 * what is theirs (HTTP; one round and a table).
 */

/** Probes built from config, on a scheduler that scrubs the config's secrets. */
export function wireProbes(config: VitalsConfig, logger: Logger): { probes: ConfiguredProbe[]; scheduler: Scheduler } {
  const probes = buildProbes(config, logger);
  return { probes, scheduler: new Scheduler({ probes, logger, secrets: config.secrets.all }) };
}

/**
 * shutdown.timeout, counted once from the moment shutdown starts. The exit
 * deadline, the HTTP grace and the probes' close deadline are all read from
 * this one clock, so their sum can never exceed it.
 */
export class ShutdownBudget {
  private readonly startedAt: number;

  constructor(
    readonly totalMs: number,
    private readonly now: () => number = Date.now,
  ) {
    this.startedAt = now();
  }

  elapsedMs(): number {
    return this.now() - this.startedAt;
  }

  remainingMs(): number {
    return Math.max(0, this.totalMs - this.elapsedMs());
  }
}

/** Exit codes as runtime hands them back (CONTRACT §7). */
export interface ExitCodes {
  ok: number;
  failure: number;
}

/**
 * Runs until SIGTERM/SIGINT. The first signal starts `shutdown` with a fresh
 * budget; it resolves `ok` when shutdown completes, `failure` when it throws or
 * the budget runs out first. A second signal exits at once.
 */
export function untilSignalled(
  logger: Logger,
  shutdownTimeoutMs: number,
  shutdown: (signal: NodeJS.Signals, budget: ShutdownBudget) => Promise<void>,
  exit: ExitCodes,
): Promise<number> {
  return new Promise<number>((resolve) => {
    let signalled = false;
    const onSignal = (signal: NodeJS.Signals): void => {
      if (signalled) {
        logger.warn({ signal }, 'second signal: exiting now without finishing shutdown');
        process.exit(exit.failure);
      }
      signalled = true;
      const budget = new ShutdownBudget(shutdownTimeoutMs);
      const deadline = setTimeout(() => {
        logger.error({ timeoutMs: shutdownTimeoutMs }, 'shutdown did not finish within shutdown.timeout; exiting');
        resolve(exit.failure);
      }, budget.remainingMs());
      shutdown(signal, budget).then(
        () => {
          clearTimeout(deadline);
          resolve(exit.ok);
        },
        (error: unknown) => {
          clearTimeout(deadline);
          logger.error({ err: error instanceof Error ? error.message : String(error) }, 'shutdown failed');
          resolve(exit.failure);
        },
      );
    };
    process.on('SIGTERM', onSignal);
    process.on('SIGINT', onSignal);
  });
}
