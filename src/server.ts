import type { FastifyInstance } from 'fastify';
import type { Logger } from 'pino';
import { loadConfig, loadZeroConfig, redactedConfig } from './config/load.js';
import type { VitalsConfig } from './core/settings.js';
import { heartbeatLookup } from '../probes/heartbeat.js';
import { buildApp } from './http/app.js';
import { createMetrics } from './metrics/index.js';
import { Lifecycle } from './runner/lifecycle.js';
import type { Scheduler } from './runner/scheduler.js';
import { Reloader, type ReloadOutcome, type ReloadTrigger } from './reload/reloader.js';
import { ShutdownBudget, wireProbes } from './runtime.js';
import { LongRangeUptime } from './status/prometheus-uptime.js';
import { VERSION } from './version.js';

/** A running vitals: the one place where config, probes, scheduler, metrics and HTTP meet. */
export interface Service {
  readonly app: FastifyInstance;
  readonly scheduler: Scheduler;
  readonly lifecycle: Lifecycle;
  /** The config in effect: the one started with until a live reload applies another. */
  config(): VitalsConfig;
  /** CONTRACT §10: re-read the config and apply it, or change nothing when it is invalid. */
  reload(trigger: ReloadTrigger): Promise<ReloadOutcome>;
  /** http://host:port as bound. */
  readonly url: string;
  /**
   * The CONTRACT §8 drain: readiness fails at once, keep serving for
   * drainDelay, stop the scheduler (aborting runs in flight), close the HTTP
   * server, close every probe client with its own deadline — every step
   * inside one budget (default: shutdown.timeout from now). Idempotent.
   */
  shutdown(signal?: string, budget?: ShutdownBudget): Promise<void>;
}

/** Why listen() failed, as one line naming the fix (CONTRACT §7: never a stack trace). */
export class ListenError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'ListenError';
  }
}

function listenFailure(error: unknown, config: VitalsConfig): ListenError {
  const code = (error as { code?: string } | null)?.code;
  const { host, port } = config.server;
  if (code === 'EADDRINUSE') {
    return new ListenError(
      `port ${port} on ${host} is already in use (see who holds it: lsof -i :${port}); stop that process or choose another port with server.port or VITALS_PORT`,
    );
  }
  if (code === 'EACCES') {
    return new ListenError(`not allowed to listen on port ${port} (ports below 1024 need privileges); choose another with server.port or VITALS_PORT`);
  }
  if (code === 'EADDRNOTAVAIL' || code === 'ENOTFOUND') {
    return new ListenError(`cannot listen on host ${host}: no such local address; set server.host (0.0.0.0 for all interfaces)`);
  }
  return new ListenError(`cannot listen on ${host}:${port}: ${error instanceof Error ? error.message : String(error)}`);
}

/** How long closing probe clients may take when the port could not be bound. */
const LISTEN_FAILURE_CLOSE_MS = 1_000;

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

/**
 * app.close() waits for every open connection that is not idle; a client
 * that never finishes its request (half-sent headers, a stalled upload)
 * would hold the exit until shutdown.timeout and turn a clean drain into
 * exit 1. Requests in flight get `graceMs`, then remaining sockets are cut.
 */
async function closeServer(app: FastifyInstance, graceMs: number): Promise<void> {
  const timer = setTimeout(() => app.server.closeAllConnections(), graceMs);
  try {
    await app.close();
  } finally {
    clearTimeout(timer);
  }
}

export interface StartOptions {
  /**
   * How a reload re-reads the config. Default: the file the config came from
   * (config.source, however it was found at start), or zero-config from the
   * environment again.
   */
  load?: () => Promise<VitalsConfig>;
}

function defaultLoad(config: VitalsConfig): () => Promise<VitalsConfig> {
  if (config.source === 'zero-config') return () => Promise.resolve(loadZeroConfig(process.env));
  return () => loadConfig({ argvConfigPath: config.source, env: process.env });
}

/** Listens at once, then starts the probes (readiness is 503 `starting` until their first round). */
export async function startService(config: VitalsConfig, logger: Logger, options: StartOptions = {}): Promise<Service> {
  const lifecycle = new Lifecycle();
  // One list, appended to by reloads: the scheduler and the HTTP app scrub with whatever it holds now.
  const secrets = [...config.secrets.all];
  const { probes, scheduler } = wireProbes(config, logger, secrets);
  const reloader = new Reloader({
    initial: config,
    scheduler,
    logger,
    load: options.load ?? defaultLoad(config),
    secrets,
    shuttingDown: () => lifecycle.state().shuttingDown,
  });
  const metrics = createMetrics({
    state: scheduler,
    config,
    lifecycle: () => lifecycle.state(),
    version: VERSION,
    skippedRuns: (name) => scheduler.skippedRuns(name),
    configReload: () => reloader.reloadStatus(),
  });
  reloader.onApplied((applied) => metrics.syncProbes(applied.probes));
  // statusPage.prometheus: fetched in the background, started after listen; a reload that changes it restarts the loop.
  const longUptime = new LongRangeUptime({ logger, secrets });
  reloader.onApplied((applied) => void longUptime.configure(applied.statusPage?.prometheus));
  const app = await buildApp({
    config,
    currentConfig: () => reloader.current(),
    secrets,
    reload: () => reloader.reload('admin'),
    state: scheduler,
    lifecycle,
    metrics,
    runProbe: (name: string) => scheduler.runNow(name),
    heartbeat: heartbeatLookup(probes.map((configured) => [configured.settings.name, configured.probe])),
    maintenance: {
      start: (reason: string, ttlMs: number) => lifecycle.startMaintenance(reason, ttlMs),
      end: () => lifecycle.endMaintenance(),
    },
    logger,
    version: VERSION,
    redactedConfig: () => redactedConfig(reloader.current()),
    longUptime: () => longUptime.snapshot(),
  });

  try {
    await app.listen({ host: config.server.host, port: config.server.port });
  } catch (error) {
    metrics.close();
    await app.close().catch(() => undefined);
    // Probes were built (clients, pools) before listen: leave nothing open behind the exit 1.
    await scheduler.close(LISTEN_FAILURE_CLOSE_MS).catch(() => undefined);
    throw listenFailure(error, config);
  }
  scheduler.start();
  void longUptime.configure(reloader.current().statusPage?.prometheus);
  const address = app.server.address();
  const port = typeof address === 'object' && address !== null ? address.port : config.server.port;
  const url = `http://${config.server.host === '0.0.0.0' ? '127.0.0.1' : config.server.host}:${port}`;
  logger.info(
    // `address`, not `url`: the logger censors any `url` field (probe URLs carry passwords).
    { address: url, probes: config.probes.map((p) => `${p.name}:${p.type}`), source: config.source, version: VERSION },
    'vitals listening',
  );

  let shutdownPromise: Promise<void> | undefined;
  // shutdown.* is read when shutdown starts: a live reload's new values apply.
  const shutdown = (signal = 'shutdown', budget = new ShutdownBudget(reloader.current().shutdown.timeoutMs)): Promise<void> => {
    shutdownPromise ??= (async () => {
      lifecycle.beginShutdown();
      const { drainDelayMs } = reloader.current().shutdown;
      logger.info({ signal, drainDelayMs }, 'shutdown started: readiness now failing, still serving while load balancers drain');
      await sleep(drainDelayMs);
      await Promise.all([scheduler.stop(), longUptime.close()]);
      logger.info('probes stopped; closing the HTTP server');
      await closeServer(app, Math.min(1_000, Math.max(100, budget.remainingMs() / 3)));
      metrics.close();
      // Whatever is left of shutdown.timeout goes to the clients, each in parallel with its own deadline.
      await scheduler.close(Math.max(100, Math.min(5_000, budget.remainingMs() - 200)));
      logger.info({ elapsedMs: budget.elapsedMs() }, 'shutdown complete');
    })();
    return shutdownPromise;
  };

  return {
    app,
    scheduler,
    lifecycle,
    config: () => reloader.current(),
    reload: (trigger) => reloader.reload(trigger),
    url,
    shutdown,
  };
}
