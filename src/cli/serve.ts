import { createLogger } from '../logger.js';
import { contentHash, watchConfig, type ConfigWatcher } from '../reload/watch.js';
import { untilSignalled } from '../runtime.js';
import { ListenError, startService } from '../server.js';
import { CliError, EXIT } from './exit-codes.js';
import { loadForCli } from './load.js';
import { releaseYoungGeneration } from './young-generation.js';

export interface ServeOptions {
  config?: string;
  /** CONTRACT §10: re-read the config when its file's content changes (checked every 5 s). */
  watch?: boolean;
}

/**
 * `vitals serve`: runs until SIGTERM/SIGINT. First signal → the drain sequence
 * (CONTRACT §8), exit 0 when it completes, 1 past shutdown.timeout; a second
 * signal exits at once. SIGHUP (and, with --watch, a changed config file)
 * re-reads the config without a restart (CONTRACT §10).
 */
export async function runServe(options: ServeOptions): Promise<number> {
  const config = await loadForCli(options.config);
  if (options.watch === true && config.source === 'zero-config') {
    throw new CliError('--watch needs a config file (--config, $VITALS_CONFIG or ./vitals.yaml); zero-config has none to watch', EXIT.usage);
  }
  // Taken before the service starts: an edit made during startup is then seen as a change.
  const initialHash = options.watch === true ? await contentHash(config.source) : undefined;
  const logger = createLogger();
  // Handling SIGHUP also replaces Node's default for it, which is to exit. Installed
  // before the service listens: a SIGHUP sent as soon as "vitals listening" is logged
  // must reload, and until the handler exists the kernel's default would kill the
  // process (seen on a loaded machine). One that arrives during start-up is kept and
  // acted on once the service runs.
  const sighup: { reload?: () => void; duringStart: boolean } = { duringStart: false };
  process.on('SIGHUP', () => {
    if (sighup.reload === undefined) sighup.duringStart = true;
    else sighup.reload();
  });
  let service;
  try {
    service = await startService(config, logger);
  } catch (error) {
    if (error instanceof ListenError) throw new CliError(error.message, EXIT.failure);
    throw error;
  }
  const running = service;
  releaseYoungGeneration();
  sighup.reload = () => {
    logger.info({ signal: 'SIGHUP' }, 'SIGHUP: reloading the config');
    running.reload('SIGHUP').catch((error: unknown) => {
      logger.error({ signal: 'SIGHUP', err: error instanceof Error ? error.message : String(error) }, 'config reload failed');
    });
  };
  if (sighup.duringStart) sighup.reload();
  let watcher: ConfigWatcher | undefined;
  if (options.watch === true) {
    watcher = watchConfig(config.source, initialHash, () => running.reload('watch'), logger);
    logger.info({ source: config.source }, 'watching the config file for changes (checked every 5 s)');
  }

  return untilSignalled(
    logger,
    () => running.config().shutdown.timeoutMs,
    (signal, budget) => {
      watcher?.stop();
      return running.shutdown(signal, budget);
    },
    EXIT,
  );
}
