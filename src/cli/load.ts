import { ConfigError } from '../config/errors.js';
import { formatConfigIssues, loadConfig } from '../config/load.js';
import type { VitalsConfig } from '../core/settings.js';
import { CliError, EXIT } from './exit-codes.js';

/** Loads the config for a command; config problems become a CliError (exit 2) listing every issue. */
export async function loadForCli(configPath: string | undefined): Promise<VitalsConfig> {
  try {
    return await loadConfig({ argvConfigPath: configPath, env: process.env, cwd: process.cwd() });
  } catch (error) {
    if (error instanceof ConfigError) {
      // A problem with the file as a whole (missing, unreadable) is one line; it names the file itself.
      const only = error.issues.length === 1 ? error.issues[0]! : undefined;
      if (only !== undefined && only.path === '') {
        throw new CliError(only.message.includes(error.source) ? only.message : `${error.source}: ${only.message}`, EXIT.usage);
      }
      throw new CliError(formatConfigIssues(error), EXIT.usage);
    }
    throw error;
  }
}
