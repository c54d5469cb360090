import { pino } from 'pino';
import type { VitalsConfig } from '../core/settings.js';
import { wireProbes } from '../runtime.js';
import { checkExitCode, checkJson, formatCheckTable, type CheckRow } from './check-output.js';
import { CliError, EXIT } from './exit-codes.js';
import { loadForCli } from './load.js';

export interface CheckOptions {
  config?: string;
  json?: boolean;
  probe?: string[];
}

/** How long closing clients may take after the results are printed. */
const CLOSE_DEADLINE_MS = 1_000;

function pick(config: VitalsConfig, names: readonly string[] | undefined): VitalsConfig {
  if (names === undefined || names.length === 0) return config;
  const known = new Set(config.probes.map((p) => p.name));
  const unknown = names.filter((n) => !known.has(n));
  if (unknown.length > 0) {
    const list = config.probes.map((p) => p.name).join(', ') || '(none)';
    throw new CliError(`unknown probe ${unknown.map((n) => `"${n}"`).join(', ')}; configured: ${list}`, EXIT.usage);
  }
  return { ...config, probes: config.probes.filter((p) => names.includes(p.name)) };
}

/**
 * `vitals check`: every selected probe once, in parallel, each bounded by its
 * own timeout — so the whole run takes about the largest timeout, not the sum.
 * Returns the exit code; the caller exits (clients of hung peers may still
 * hold sockets, and a one-shot command must not wait for them).
 */
export async function runCheck(options: CheckOptions): Promise<number> {
  const config = pick(await loadForCli(options.config), options.probe);
  const logger = pino({ level: process.env.VITALS_LOG_LEVEL ?? 'silent' }, process.stderr);
  const { probes, scheduler } = wireProbes(config, logger);
  const results = await Promise.all(probes.map(({ settings }) => scheduler.runNow(settings.name)));
  const rows: CheckRow[] = probes.map(({ settings }, i) => ({ settings, result: results[i]! }));
  if (options.json === true) {
    process.stdout.write(`${JSON.stringify(checkJson(rows), null, 2)}\n`);
  } else {
    const colour = process.stdout.isTTY === true && process.env.NO_COLOR === undefined;
    process.stdout.write(formatCheckTable(rows, { colour }));
  }
  await scheduler.close(CLOSE_DEADLINE_MS);
  return checkExitCode(rows);
}
