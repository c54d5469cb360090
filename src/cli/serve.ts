import { createLogger } from '../logger.js';
import { ListenError, startService } from '../server.js';
import { CliError, EXIT } from './exit-codes.js';
import { loadForCli } from './load.js';

/**
 * `vitals serve`: runs until SIGTERM/SIGINT. First signal → the drain sequence
 * (CONTRACT §8), exit 0 when it completes, 1 past shutdown.timeout; a second
 * signal exits at once.
 */
export async function runServe(options: { config?: string }): Promise<number> {
  const config = await loadForCli(options.config);
  const logger = createLogger();
  let service;
  try {
    service = await startService(config, logger);
  } catch (error) {
    if (error instanceof ListenError) throw new CliError(error.message, EXIT.failure);
    throw error;
  }
  const running = service;

  return new Promise<number>((resolve) => {
    let signalled = false;
    const onSignal = (signal: NodeJS.Signals): void => {
      if (signalled) {
        logger.warn({ signal }, 'second signal: exiting now without finishing shutdown');
        process.exit(EXIT.failure);
      }
      signalled = true;
      const deadline = setTimeout(() => {
        logger.error({ timeoutMs: config.shutdown.timeoutMs }, 'shutdown did not finish within shutdown.timeout; exiting');
        resolve(EXIT.failure);
      }, config.shutdown.timeoutMs);
      running.shutdown(signal).then(
        () => {
          clearTimeout(deadline);
          resolve(EXIT.ok);
        },
        (error: unknown) => {
          clearTimeout(deadline);
          logger.error({ err: error instanceof Error ? error.message : String(error) }, 'shutdown failed');
          resolve(EXIT.failure);
        },
      );
    };
    process.on('SIGTERM', onSignal);
    process.on('SIGINT', onSignal);
  });
}
