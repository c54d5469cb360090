import { createHash } from 'node:crypto';
import { readFile, realpath } from 'node:fs/promises';
import type { Logger } from 'pino';

/** CONTRACT §10: `vitals serve --watch` checks the config file's content this often. */
export const WATCH_INTERVAL_MS = 5_000;

export interface ConfigWatcher {
  stop(): void;
}

export async function contentHash(path: string): Promise<string | undefined> {
  try {
    // realpath each time: a Kubernetes ConfigMap volume swaps `..data` to a
    // new directory, so the file behind the path changes without the path
    // (or, often, the mtime of what it points to) changing.
    const target = await realpath(path);
    return createHash('sha256').update(await readFile(target)).digest('hex');
  } catch {
    // Missing for a moment (mid-swap, an editor's rename): no opinion; the next check decides.
    return undefined;
  }
}

/**
 * Calls `onChange` when the content at `path` differs from `initialHash`
 * (contentHash taken right after the config was loaded, so an edit made
 * while the service starts is not missed) or from the last change. Content,
 * not mtime, decides. The timer is unref'd (never keeps the process alive)
 * and re-armed only after a check and its reload finish, so checks never overlap.
 */
export function watchConfig(
  path: string,
  initialHash: string | undefined,
  onChange: () => Promise<unknown>,
  logger: Logger,
  intervalMs: number = WATCH_INTERVAL_MS,
): ConfigWatcher {
  let last = initialHash;
  let timer: NodeJS.Timeout | undefined;
  let stopped = false;
  const arm = (): void => {
    if (stopped) return;
    timer = setTimeout(() => void check(), intervalMs);
    timer.unref();
  };
  const check = async (): Promise<void> => {
    const hash = await contentHash(path);
    if (hash !== undefined && hash !== last) {
      last = hash;
      logger.info({ source: path }, 'config file changed; reloading');
      await onChange().catch((error: unknown) => {
        logger.error({ source: path, err: error instanceof Error ? error.message : String(error) }, 'reload after a config change failed');
      });
    }
    arm();
  };
  arm();
  return {
    stop: () => {
      stopped = true;
      clearTimeout(timer);
    },
  };
}
