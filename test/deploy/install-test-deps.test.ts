import { spawnSync } from 'node:child_process';
import { chmodSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';

/**
 * scripts/install-test-deps.sh with dpkg-query, apt-get, service and id
 * replaced by recorders on PATH: which services does it stop? Only those of
 * packages it installed itself — never a system service that was already there.
 */
const SCRIPT = new URL('../../scripts/install-test-deps.sh', import.meta.url).pathname;
const scratch = mkdtempSync(join(tmpdir(), 'vitals-install-deps-'));
afterAll(() => rmSync(scratch, { recursive: true, force: true }));

function tool(name: string, body: string): void {
  const path = join(scratch, name);
  writeFileSync(path, `#!/bin/sh\n${body}\n`);
  chmodSync(path, 0o755);
}

function runWith(missing: string[]): { status: number | null; calls: string[] } {
  const log = join(scratch, 'calls.log');
  writeFileSync(log, '');
  tool('dpkg-query', `case " ${missing.join(' ')} " in *" $3 "*) exit 1;; esac; printf 'install ok installed'`);
  tool('apt-get', `echo "apt-get $*" >> ${log}`);
  tool('service', `echo "service $*" >> ${log}`);
  tool('id', 'echo 0');
  const run = spawnSync('bash', [SCRIPT], { encoding: 'utf8', env: { ...process.env, PATH: `${scratch}:${process.env.PATH ?? ''}` }, timeout: 30_000 });
  return { status: run.status, calls: readFileSync(log, 'utf8').split('\n').filter((l) => l !== '') };
}

describe('scripts/install-test-deps.sh', () => {
  it('stops no service when every package was already installed', () => {
    const run = runWith([]);
    expect(run.status).toBe(0);
    expect(run.calls).toEqual([]);
  });

  it('stops only the services of the packages it installed', () => {
    const run = runWith(['redis-server', 'openssl']);
    expect(run.status).toBe(0);
    expect(run.calls.filter((c) => c.startsWith('service'))).toEqual(['service redis-server stop']);
    expect(run.calls.some((c) => c.includes('install') && c.includes('redis-server') && c.includes('openssl'))).toBe(true);
  });
});
