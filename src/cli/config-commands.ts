import { stringify } from 'yaml';
import { redactedConfig } from '../config/load.js';
import { BUILTIN_DEFAULTS } from '../config/schema.js';
import type { VitalsConfig } from '../core/settings.js';
import { loadForCli } from './load.js';

/** `vitals config validate`: 0 and a one-line summary, or (via CliError) every issue and 2. */
export async function runConfigValidate(options: { config?: string }): Promise<number> {
  const config = await loadForCli(options.config);
  const count = config.probes.length;
  process.stdout.write(`${config.source}: valid, ${count} probe${count === 1 ? '' : 's'} (${config.probes.map((p) => `${p.name}:${p.type}`).join(', ')})\n`);
  return 0;
}

/**
 * The printed config is itself a valid config file (`config print | config
 * validate`): where it came from is a YAML comment, not a key, and
 * `defaults.interval` appears only when it differs from the built-in one —
 * otherwise each type's own default applies and every probe shows its interval.
 */
function printable(config: VitalsConfig): Record<string, unknown> {
  const { source: _source, ...rest } = redactedConfig(config);
  const defaults = { ...(rest.defaults as Record<string, unknown>) };
  if (config.defaults.intervalMs === BUILTIN_DEFAULTS.intervalMs) delete defaults.interval;
  return { ...rest, defaults };
}

/** `vitals config print`: the effective config as YAML (or JSON), every secret masked. */
export async function runConfigPrint(options: { config?: string; json?: boolean }): Promise<number> {
  const config = await loadForCli(options.config);
  const body = printable(config);
  process.stdout.write(options.json === true ? `${JSON.stringify(body, null, 2)}\n` : `# effective config of ${config.source}\n${stringify(body)}`);
  return 0;
}
