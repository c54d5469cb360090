import { spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { freePort } from '../support/net.js';
import { CLI } from '../support/vitals-process.js';

const REGISTER = fileURLToPath(new URL('../fixtures/trace-imports/register.mjs', import.meta.url));
const CLIENT_LIBRARIES = ['pg', 'ioredis', 'nats', 'neo4j-driver', 'undici'] as const;
/**
 * What a zero-config `vitals serve` must not load until it is asked for
 * (Issue 16: pay only for what is configured): the docs stack (loaded on the
 * first /docs request), yaml (only a config file or the docs need it), the
 * other commands' modules, and the build-time JSON's YAML source.
 */
const SERVE_LAZY = [
  '/node_modules/@fastify/swagger/',
  '/node_modules/@fastify/swagger-ui/',
  '/node_modules/@fastify/static/',
  '/node_modules/yaml/',
  '/dist/src/http/docs-ui.js',
  '/dist/src/cli/check.js',
  '/dist/src/cli/config-commands.js',
  '/dist/src/cli/kube/',
] as const;
const dir = mkdtempSync(join(tmpdir(), 'vitals-lazy-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

/** Every module URL or path the traced process loaded (ESM resolutions, then the CommonJS cache at exit). */
function tracedModules(trace: string): string[] {
  const modules = readFileSync(trace, 'utf8').split('\n');
  expect(modules.some((m) => m.includes('/dist/src/cli/main.js')), 'the tracer saw the CLI itself').toBe(true);
  expect(modules.some((m) => m.includes('/node_modules/commander/index.js')), 'the tracer saw CommonJS modules').toBe(true);
  return modules;
}

function traced(args: string[], env: NodeJS.ProcessEnv, name: string) {
  const trace = join(dir, `${name}.trace`);
  writeFileSync(trace, '');
  const child = spawn(process.execPath, ['--import', REGISTER, CLI, ...args], {
    cwd: dir,
    env: { PATH: process.env.PATH, HOME: process.env.HOME, VITALS_TRACE_IMPORTS: trace, ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
  child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
  const exited = new Promise<number | null>((resolve) => child.once('exit', resolve));
  return { child, trace, exited, stdout: () => stdout, stderr: () => stderr };
}

/** Runs `vitals check --json` under the import tracer; returns the client libraries the process loaded. */
async function librariesLoadedBy(env: NodeJS.ProcessEnv, name: string): Promise<string[]> {
  const run = traced(['check', '--json'], env, name);
  const code = await run.exited;
  expect([0, 1], run.stderr()).toContain(code);
  const modules = tracedModules(run.trace);
  return CLIENT_LIBRARIES.filter((library) => modules.some((m) => m.includes(`/node_modules/${library}/`)));
}

/**
 * A zero-config `vitals serve` under the tracer: what a kubelet, Prometheus
 * and a person at /status ask for, then `extra` paths; returns what was loaded.
 */
async function modulesLoadedByServe(name: string, extra: string[] = []): Promise<{ modules: string[]; bodies: Map<string, { status: number; body: string }> }> {
  const port = await freePort();
  const run = traced(['serve'], { VITALS_PORT: String(port), VITALS_LOG_LEVEL: 'info' }, name);
  const base = `http://127.0.0.1:${port}`;
  const bodies = new Map<string, { status: number; body: string }>();
  try {
    const deadline = Date.now() + 20_000;
    while (!/vitals listening/.test(run.stdout())) {
      if (Date.now() > deadline || run.child.exitCode !== null) throw new Error(`vitals did not start:\n${run.stderr()}`);
      await new Promise((r) => setTimeout(r, 50));
    }
    // The first round of probes first: /ready is 503 `starting` until then.
    while ((await fetch(`${base}/ready`)).status !== 200) {
      if (Date.now() > deadline) throw new Error('/ready never answered 200');
      await new Promise((r) => setTimeout(r, 50));
    }
    for (const path of ['/health', '/ready?verbose', '/metrics', '/status', '/diagnostics', '/openapi.json', ...extra]) {
      const response = await fetch(base + path);
      bodies.set(path, { status: response.status, body: await response.text() });
    }
  } finally {
    run.child.kill('SIGUSR2');
  }
  expect(await run.exited, run.stderr()).toBe(0);
  return { modules: tracedModules(run.trace), bodies };
}

const loadedOf = (modules: string[], names: readonly string[]): string[] => names.filter((n) => modules.some((m) => m.includes(n)));

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

describe('a zero-config vitals serve loads the docs, yaml and the other commands only when asked', () => {
  it('serving every endpoint but /docs loads none of them, and /openapi.json is still the YAML document', async () => {
    const { modules, bodies } = await modulesLoadedByServe('serve');
    expect(loadedOf(modules, SERVE_LAZY)).toEqual([]);
    expect(loadedOf(modules, CLIENT_LIBRARIES.map((l) => `/node_modules/${l}/`))).toEqual([]);
    // /diagnostics is 503 when a probe fails (a starved event loop on a busy machine): still a full answer.
    for (const [path, response] of bodies) expect(path === '/diagnostics' ? [200, 503] : [200], path).toContain(response.status);
    // The built service reads dist/openapi/openapi.json (scripts/openapi-json.mjs), not the YAML: the same document.
    expect(modules.some((m) => m.includes('/dist/src/http/openapi-document.js'))).toBe(true);
    const served = JSON.parse(bodies.get('/openapi.json')?.body ?? '') as { info: { version: string } };
    const source = parse(readFileSync(new URL('../../openapi/openapi.yaml', import.meta.url), 'utf8')) as { info: object };
    expect(served).toEqual({ ...source, info: { ...source.info, version: served.info.version } });
  });

  it('the first /docs request loads Swagger UI (the tracer sees what is loaded late, through require)', async () => {
    const { modules, bodies } = await modulesLoadedByServe('serve-docs', ['/docs', '/docs/static/swagger-ui.css']);
    expect(bodies.get('/docs')?.status).toBe(200);
    expect(bodies.get('/docs')?.body).toContain('swagger-ui');
    expect(bodies.get('/docs/static/swagger-ui.css')?.status).toBe(200);
    expect(loadedOf(modules, SERVE_LAZY)).toEqual([
      '/node_modules/@fastify/swagger/',
      '/node_modules/@fastify/swagger-ui/',
      '/node_modules/@fastify/static/',
      '/node_modules/yaml/',
      '/dist/src/http/docs-ui.js',
    ]);
  });
});
