import { ConfigError } from '../config/errors.js';
import { formatConfigIssues, loadConfig } from '../config/load.js';
import type { VitalsConfig } from '../core/settings.js';
import { CliError, EXIT } from './exit-codes.js';

/** Loads the config for a command; config problems become a CliError (exit 2) listing every issue. */
export async function loadForCli(configPath: string | undefined): Promise<VitalsConfig> {
  try {
    return await loadConfig({ argvConfigPath: configPath, env: process.env, cwd: process.cwd() });
  } catch (error) {
    if (error instanceof ConfigError) throw new CliError(formatConfigIssues(error), EXIT.usage);
    throw error;
  }
}
