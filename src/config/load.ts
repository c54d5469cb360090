import { readFile, stat } from 'node:fs/promises';
import { dirname, resolve } from 'node:path';
import { probeDefinitions } from '../../probes/index.js';
import { collectSecrets, REDACTED } from '../core/redact.js';
import type { VitalsConfig } from '../core/settings.js';
import { buildConfig } from './build.js';
import { loadCustomModules, type CustomModules } from './custom-module.js';
import { ConfigError, type ConfigIssue } from './errors.js';
import { expandEnv } from './expand-env.js';
import type { DefinitionTable } from './probe-settings.js';
import { parseYaml } from './yaml-source.js';
import { attributeToEnvironment, zeroConfigTree } from './zero-config.js';

export { ConfigError, type ConfigIssue } from './errors.js';
export { formatConfigIssues, redactedConfig } from './print.js';

export interface LoadOptions {
  /** `--config FILE`; relative to `cwd`. */
  argvConfigPath?: string;
  env?: NodeJS.ProcessEnv;
  cwd?: string;
  /** The probe types to accept; defaults to probes/index.ts (tests pass their own). */
  definitions?: DefinitionTable;
}

/** A config file is a few KiB; anything this big is a wrong path (a log, /dev/zero…). */
const MAX_FILE_BYTES = 1024 * 1024;

/**
 * The effective config: `--config FILE`, else `$VITALS_CONFIG`, else
 * `./vitals.yaml` if present, else zero-config. Throws a ConfigError holding
 * every problem found, in file order.
 */
export async function loadConfig(options: LoadOptions = {}): Promise<VitalsConfig> {
  const env = options.env ?? process.env;
  const cwd = options.cwd ?? process.cwd();
  const definitions = options.definitions ?? probeDefinitions;
  const located = await locate(options.argvConfigPath, env, cwd);
  if (located === undefined) return loadZeroConfig(env, definitions);

  const text = await readConfigFile(located.path, located.via);
  // Custom probe modules load asynchronously, before the (synchronous) validation that reports on them.
  const parsed = parseYaml(text);
  const customs = parsed.tree === undefined ? new Map() : await loadCustomModules(expandEnv(parsed.tree, env).value, dirname(located.path));
  return parseConfigText(text, located.path, env, definitions, customs);
}

/**
 * Validates config text as if it had been read from `source`. Used by
 * loadConfig; handy for tests and tools. `custom` probes need their modules
 * loaded first (loadCustomModules); loadConfig does that.
 */
export function parseConfigText(
  text: string,
  source: string,
  env: NodeJS.ProcessEnv,
  definitions: DefinitionTable = probeDefinitions,
  customs: CustomModules = new Map(),
): VitalsConfig {
  const parsed = parseYaml(text);
  if (parsed.tree === undefined) throw new ConfigError(source, parsed.issues);

  const expanded = expandEnv(parsed.tree, env);
  const baseDir = source === 'zero-config' ? process.cwd() : dirname(resolve(source));
  const built = buildConfig(expanded.value as Record<string, unknown>, env, source, { definitions, customs, baseDir }, expanded.secrets);
  // A value whose variable is missing also fails its schema (e.g. an empty URL); report the cause only.
  const expansionPaths = new Set(expanded.issues.map((issue) => issue.path));
  const issues = [...expanded.issues, ...built.issues.filter((issue) => !expansionPaths.has(issue.path))];
  if (issues.length > 0 || built.config === undefined) {
    const known = [...expanded.secrets, ...collectSecrets(expanded.value)];
    throw new ConfigError(source, inFileOrder(issues, parsed.offsetOf).map((issue) => scrub(issue, known)));
  }
  return built.config;
}

export function loadZeroConfig(env: NodeJS.ProcessEnv, definitions: DefinitionTable = probeDefinitions): VitalsConfig {
  const { tree, origins } = zeroConfigTree(env, definitions);
  const built = buildConfig(tree, env, 'zero-config', { definitions });
  if (built.config === undefined) {
    const known = collectSecrets(tree);
    throw new ConfigError('zero-config', attributeToEnvironment(built.issues, origins).map((issue) => scrub(issue, known)));
  }
  return built.config;
}

interface Located {
  path: string;
  via: string;
}

async function locate(argvConfigPath: string | undefined, env: NodeJS.ProcessEnv, cwd: string): Promise<Located | undefined> {
  if (argvConfigPath !== undefined && argvConfigPath !== '') return { path: resolve(cwd, argvConfigPath), via: '--config' };
  const fromEnv = env.VITALS_CONFIG;
  if (fromEnv !== undefined && fromEnv !== '') return { path: resolve(cwd, fromEnv), via: '$VITALS_CONFIG' };
  const local = resolve(cwd, 'vitals.yaml');
  try {
    await stat(local);
    return { path: local, via: './vitals.yaml' };
  } catch (error) {
    // Absent → zero-config. Present but unreadable is reported by readConfigFile.
    if (errnoCode(error) === 'ENOENT' || errnoCode(error) === 'ENOTDIR') return undefined;
    return { path: local, via: './vitals.yaml' };
  }
}

async function readConfigFile(path: string, via: string): Promise<string> {
  const fail = (reason: string): never => {
    throw new ConfigError(path, [{ path: '', message: `cannot read ${path} (from ${via}): ${reason}` }]);
  };
  try {
    const info = await stat(path);
    if (info.isDirectory()) return fail('is a directory, not a file');
    if (!info.isFile()) return fail('not a regular file');
    if (info.size > MAX_FILE_BYTES) return fail(`file is ${info.size} bytes; a config file is at most 1 MiB (is this the right path?)`);
    return await readFile(path, 'utf8');
  } catch (error) {
    if (error instanceof ConfigError) throw error;
    return fail(osReason(error));
  }
}

function errnoCode(error: unknown): string | undefined {
  return error !== null && typeof error === 'object' && 'code' in error && typeof error.code === 'string' ? error.code : undefined;
}

function osReason(error: unknown): string {
  switch (errnoCode(error)) {
    case 'ENOENT':
      return 'file not found';
    case 'EACCES':
    case 'EPERM':
      return 'permission denied (check the file mode and the user vitals runs as)';
    case 'ENOTDIR':
      return 'a parent of this path is not a directory';
    case 'ELOOP':
      return 'too many symbolic links';
    default: {
      const code = errnoCode(error);
      const message = error instanceof Error ? error.message.split('\n')[0] ?? '' : String(error);
      return code === undefined ? message : `${code}`;
    }
  }
}

function inFileOrder(issues: ConfigIssue[], offsetOf: (path: string) => number): ConfigIssue[] {
  return issues
    .map((issue, index) => ({ issue, index, offset: offsetOf(issue.path) }))
    .sort((a, b) => a.offset - b.offset || a.index - b.index)
    .map(({ issue }) => issue);
}

/**
 * Belt and braces: a message must never echo a secret, even one quoted back.
 * Only known values are removed; redactText's patterns would mangle messages
 * that merely talk about tokens ("needs auth.token: …").
 */
function scrub(issue: ConfigIssue, known: readonly string[]): ConfigIssue {
  let message = issue.message;
  for (const secret of known) if (secret.length >= 3) message = message.split(secret).join(REDACTED);
  return { path: issue.path, message };
}
