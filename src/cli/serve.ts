import { createLogger } from '../logger.js';
import { untilSignalled } from '../runtime.js';
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

  return untilSignalled(logger, config.shutdown.timeoutMs, (signal, budget) => running.shutdown(signal, budget), EXIT);
}
