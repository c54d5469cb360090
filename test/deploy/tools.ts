import { execFileSync, spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';

/** Repository root, for resolving deploy/ paths. */
export const ROOT = fileURLToPath(new URL('../../', import.meta.url));

/**
 * Where a system tool is, or null. CI installs promtool and prometheus
 * (scripts/install-test-deps.sh), so there a missing tool is an error, never
 * a silent skip; on a developer machine the suite is skipped with a message.
 */
export function findTool(name: string): string | null {
  const found = spawnSync('sh', ['-c', `command -v ${name}`], { encoding: 'utf8' });
  const path = found.status === 0 ? found.stdout.trim() : '';
  if (path !== '') return path;
  if (process.env.CI) {
    throw new Error(`${name} is not installed, but CI must run this suite: run scripts/install-test-deps.sh`);
  }
  console.warn(`skipping: ${name} is not installed (apt-get install prometheus provides it)`);
  return null;
}

export interface ToolRun {
  status: number;
  output: string;
}

/** Runs a tool to completion with a deadline; never throws on a non-zero exit. */
export function runTool(path: string, args: string[], cwd = ROOT, timeoutMs = 60_000): ToolRun {
  try {
    const stdout = execFileSync(path, args, { cwd, encoding: 'utf8', timeout: timeoutMs, stdio: ['ignore', 'pipe', 'pipe'] });
    return { status: 0, output: stdout };
  } catch (error) {
    const failed = error as { status?: number | null; stdout?: string; stderr?: string };
    return { status: failed.status ?? -1, output: `${failed.stdout ?? ''}${failed.stderr ?? ''}` };
  }
}
