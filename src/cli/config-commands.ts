import { stringify } from 'yaml';
import { redactedConfig } from '../config/load.js';
import { loadForCli } from './load.js';

/** `vitals config validate`: 0 and a one-line summary, or (via CliError) every issue and 2. */
export async function runConfigValidate(options: { config?: string }): Promise<number> {
  const config = await loadForCli(options.config);
  const count = config.probes.length;
  process.stdout.write(`${config.source}: valid, ${count} probe${count === 1 ? '' : 's'} (${config.probes.map((p) => `${p.name}:${p.type}`).join(', ')})\n`);
  return 0;
}

/** `vitals config print`: the effective config as YAML, every secret masked. */
export async function runConfigPrint(options: { config?: string; json?: boolean }): Promise<number> {
  const config = await loadForCli(options.config);
  const redacted = redactedConfig(config);
  process.stdout.write(options.json === true ? `${JSON.stringify(redacted, null, 2)}\n` : stringify(redacted));
  return 0;
}
