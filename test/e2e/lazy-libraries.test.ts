import { spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';
import { CLI } from '../support/vitals-process.js';

const REGISTER = fileURLToPath(new URL('../fixtures/trace-imports/register.mjs', import.meta.url));
const CLIENT_LIBRARIES = ['pg', 'ioredis', 'nats', 'neo4j-driver', 'undici'] as const;
const dir = mkdtempSync(join(tmpdir(), 'vitals-lazy-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

/** Runs `vitals check --json` under the import tracer; returns the client libraries the process loaded. */
async function librariesLoadedBy(env: NodeJS.ProcessEnv, name: string): Promise<string[]> {
  const trace = join(dir, `${name}.trace`);
  writeFileSync(trace, '');
  const child = spawn(process.execPath, ['--import', REGISTER, CLI, 'check', '--json'], {
    cwd: dir,
    env: { PATH: process.env.PATH, HOME: process.env.HOME, VITALS_TRACE_IMPORTS: trace, ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let stderr = '';
  child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
  const code = await new Promise<number | null>((resolve) => child.once('exit', resolve));
  expect([0, 1], stderr).toContain(code);
  const urls = readFileSync(trace, 'utf8').split('\n');
  expect(urls.some((url) => url.includes('/dist/src/cli/main.js')), 'the tracer saw the CLI itself').toBe(true);
  return CLIENT_LIBRARIES.filter((library) => urls.some((url) => url.includes(`/node_modules/${library}/`)));
}

describe('client libraries load only for the probe types that are configured', () => {
  it('zero-config (eventloop, memory, disk) loads none of pg, ioredis, nats, neo4j-driver, undici', async () => {
    expect(await librariesLoadedBy({}, 'zero')).toEqual([]);
  });

  it('a redis probe loads ioredis and nothing else (the tracer does see lazy imports)', async () => {
    expect(await librariesLoadedBy({ REDIS_URL: 'redis://127.0.0.1:1' }, 'redis')).toEqual(['ioredis']);
  });

  it('postgres and nats probes load pg and nats', async () => {
    const loaded = await librariesLoadedBy({ DATABASE_URL: 'postgres://u:p@127.0.0.1:1/db', NATS_URL: 'nats://127.0.0.1:1' }, 'pg-nats');
    expect(loaded).toEqual(['pg', 'nats']);
  });
});
