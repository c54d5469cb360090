import { mkdtemp, rename, rm, symlink, utimes, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { pino } from 'pino';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { contentHash, watchConfig, type ConfigWatcher } from '../../src/reload/watch.js';

/** `serve --watch` on a real file system, with a 30 ms check interval instead of 5 s. */

let dir: string;
let watcher: ConfigWatcher | undefined;
const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

beforeEach(async () => {
  dir = await mkdtemp(path.join(tmpdir(), 'vitals-watch-'));
});
afterEach(async () => {
  watcher?.stop();
  await rm(dir, { recursive: true, force: true });
});

async function watch(file: string): Promise<{ changes: () => number }> {
  let changes = 0;
  watcher = watchConfig(file, await contentHash(file), async () => void (changes += 1), pino({ level: 'silent' }), 30);
  return { changes: () => changes };
}

describe('watchConfig', () => {
  it('reacts to a change of content, once per change', async () => {
    const file = path.join(dir, 'vitals.yaml');
    await writeFile(file, 'probes: []\n');
    const seen = await watch(file);
    await writeFile(file, 'probes: [] # edited\n');
    await sleep(400);
    expect(seen.changes()).toBe(1);
  });

  it('ignores a new mtime with the same content (content decides, not mtime)', async () => {
    const file = path.join(dir, 'vitals.yaml');
    await writeFile(file, 'probes: []\n');
    const seen = await watch(file);
    const later = new Date(Date.now() + 60_000);
    await utimes(file, later, later);
    await writeFile(file, 'probes: []\n');
    await sleep(400);
    expect(seen.changes()).toBe(0);
  });

  it('follows a symlink that is swapped to a new target, and waits out a moment without the file', async () => {
    await writeFile(path.join(dir, 'v1.yaml'), 'probes: []\n');
    await writeFile(path.join(dir, 'v2.yaml'), 'probes: [] # v2\n');
    const link = path.join(dir, 'vitals.yaml');
    await symlink('v1.yaml', link);
    const seen = await watch(link);
    await rm(link);
    await sleep(200);
    expect(seen.changes()).toBe(0);
    await symlink('v2.yaml', path.join(dir, 'next'));
    await rename(path.join(dir, 'next'), link);
    await sleep(400);
    expect(seen.changes()).toBe(1);
  });

  it('stop() ends the checks', async () => {
    const file = path.join(dir, 'vitals.yaml');
    await writeFile(file, 'a\n');
    const seen = await watch(file);
    watcher?.stop();
    await writeFile(file, 'b\n');
    await sleep(300);
    expect(seen.changes()).toBe(0);
  });
});
