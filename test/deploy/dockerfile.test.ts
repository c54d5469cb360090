import { createServer, type Server } from 'node:http';
import { spawn } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { freePort } from '../support/net.js';
import { execForm, flagsOf, parseDockerfile, stagesOf, type Instruction } from './dockerfile.js';
import { ROOT } from './tools.js';

// These fast checks read the Dockerfile the way hadolint would, check the
// properties the image promises, and run its HEALTHCHECK command against a
// live vitals; scripts/ci-container.sh (its own CI step) builds and runs the
// image itself with podman.
const instructions = parseDockerfile(readFileSync(join(ROOT, 'Dockerfile'), 'utf8'));
const stages = stagesOf(instructions);
const runtime = stages.at(-1);
const globalArgs = new Map(
  instructions
    .slice(0, instructions.findIndex((i) => i.keyword === 'FROM'))
    .filter((i) => i.keyword === 'ARG')
    .map((i) => {
      const [name = '', value = ''] = i.args.split('=');
      return [name, value] as const;
    }),
);
const pkg = JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')) as { bin: Record<string, string> };
const ignorePatterns = readFileSync(join(ROOT, '.dockerignore'), 'utf8')
  .split('\n')
  .map((line) => line.trim())
  .filter((line) => line !== '' && !line.startsWith('#'));

function only(list: Instruction[] | undefined, keyword: string): Instruction[] {
  return (list ?? []).filter((i) => i.keyword === keyword);
}

function resolveImage(image: string): string {
  return image.replace(/\$\{(\w+)\}/g, (_m, name: string) => globalArgs.get(name) ?? '');
}

/** Whether .dockerignore (an exclude-all with ! exceptions, last match wins) lets `path` into the context. */
function inContext(path: string): boolean {
  let included = true;
  for (const pattern of ignorePatterns) {
    const negated = pattern.startsWith('!');
    const body = (negated ? pattern.slice(1) : pattern).replace(/\/$/, '');
    const matches = body === '*' || path === body || path.startsWith(`${body}/`);
    if (matches) included = negated;
  }
  return included;
}

describe('Dockerfile', () => {
  it('is multi-stage: a build stage with dev dependencies, a runtime stage with production ones only', () => {
    expect(stages.length).toBeGreaterThanOrEqual(2);
    const build = stages.find((s) => only(s.instructions, 'RUN').some((r) => /npm run build|tsc/.test(r.args)));
    expect(build?.name, 'a named build stage runs the TypeScript build').toBeDefined();
    expect(only(build?.instructions, 'RUN').some((r) => /npm ci(?!.*--omit=dev)/.test(r.args))).toBe(true);
    const runtimeRuns = only(runtime?.instructions, 'RUN').map((r) => r.args);
    expect(runtimeRuns.join('\n'), 'the runtime stage installs nothing itself').not.toMatch(/npm (ci|install)/);
    const fromStages = only(runtime?.instructions, 'COPY').map((c) => flagsOf(c.args).flags.from).filter(Boolean);
    expect(fromStages).toContain(build?.name);
    const modulesFrom = only(runtime?.instructions, 'COPY').find((c) => /node_modules/.test(c.args));
    const depsStage = stages.find((s) => s.name === flagsOf(modulesFrom?.args ?? '').flags.from);
    expect(only(depsStage?.instructions, 'RUN').some((r) => /npm ci .*--omit=dev/.test(r.args)), 'node_modules come from an --omit=dev install').toBe(true);
  });

  it('installs dependencies before copying sources, so a source change reuses the npm ci layer', () => {
    for (const stage of stages.filter((s) => only(s.instructions, 'RUN').some((r) => /npm ci/.test(r.args)))) {
      const steps = stage.instructions.filter((i) => i.keyword === 'COPY' || i.keyword === 'RUN');
      const install = steps.findIndex((i) => i.keyword === 'RUN' && /npm ci/.test(i.args));
      const copiedBefore = steps.slice(0, install).filter((i) => i.keyword === 'COPY').flatMap((i) => flagsOf(i.args).rest.split(/\s+/).slice(0, -1));
      expect(copiedBefore, `stage ${stage.name ?? stage.image}: only the manifests before npm ci`).toEqual(['package.json', 'package-lock.json']);
    }
  });

  it('pins its base image to a Node 20 tag, never latest', () => {
    for (const stage of stages) {
      const image = resolveImage(stage.image);
      expect(image).toMatch(/^node:20[.\w-]*$/);
    }
  });

  it('runs as a non-root numeric user with NODE_ENV=production', () => {
    const users = only(runtime?.instructions, 'USER');
    expect(users.length).toBeGreaterThan(0);
    const user = users.at(-1)?.args ?? '';
    expect(user).toMatch(/^\d+(:\d+)?$/);
    expect(Number(user.split(':')[0])).toBeGreaterThan(0);
    const userIndex = runtime?.instructions.indexOf(users.at(-1) as Instruction) ?? -1;
    const entryIndex = runtime?.instructions.findIndex((i) => i.keyword === 'ENTRYPOINT') ?? -1;
    expect(userIndex).toBeLessThan(entryIndex);
    expect(only(runtime?.instructions, 'ENV').map((e) => e.args).join(' ')).toMatch(/\bNODE_ENV=production\b/);
  });

  it('exposes the default port and stops with SIGTERM', () => {
    expect(only(runtime?.instructions, 'EXPOSE').map((e) => e.args.trim())).toContain('8080');
    expect(only(runtime?.instructions, 'STOPSIGNAL').map((e) => e.args.trim())).toEqual(['SIGTERM']);
  });

  it('starts node directly as PID 1 (exec form, no shell) on the package bin', () => {
    const entrypoint = execForm(only(runtime?.instructions, 'ENTRYPOINT').at(-1)?.args ?? '');
    const cmd = execForm(only(runtime?.instructions, 'CMD').at(-1)?.args ?? '');
    expect(entrypoint, 'ENTRYPOINT in exec (JSON) form').not.toBeNull();
    expect(cmd, 'CMD in exec (JSON) form').not.toBeNull();
    expect(entrypoint?.[0]).toBe('node');
    expect(entrypoint?.[1]).toBe(pkg.bin.vitals);
    expect(cmd).toEqual(['serve']);
  });

  it('has a HEALTHCHECK on /health that needs no curl or wget, with a timeout', () => {
    const healthchecks = only(runtime?.instructions, 'HEALTHCHECK');
    expect(healthchecks).toHaveLength(1);
    const { flags, rest } = flagsOf(healthchecks[0]?.args ?? '');
    expect(flags.timeout).toMatch(/^\d+s$/);
    expect(flags.interval).toMatch(/^\d+s$/);
    expect(rest.startsWith('CMD ')).toBe(true);
    const command = execForm(rest.slice(4));
    expect(command?.[0]).toBe('node');
    expect(command?.join(' ')).not.toMatch(/curl|wget/);
    expect(command?.join(' ')).toContain('/health');
  });

  it('copies only paths that exist and that .dockerignore lets into the build context', () => {
    const sources = instructions
      .filter((i) => i.keyword === 'COPY' && flagsOf(i.args).flags.from === undefined)
      .flatMap((i) => flagsOf(i.args).rest.split(/\s+/).slice(0, -1));
    expect(sources.length).toBeGreaterThan(3);
    for (const source of sources) {
      expect(existsSync(join(ROOT, source)), `${source} exists`).toBe(true);
      expect(inContext(source), `${source} is in the build context`).toBe(true);
    }
    for (const kept of ['.env', 'node_modules', 'dist', '.git', 'test']) expect(inContext(kept), `${kept} stays out`).toBe(false);
  });

  it('bakes no secret into the image', () => {
    for (const i of instructions.filter((x) => x.keyword === 'ENV' || x.keyword === 'ARG')) {
      expect(i.args).not.toMatch(/PASSWORD|TOKEN|SECRET|_KEY|DATABASE_URL/i);
    }
  });
});

describe('Dockerfile HEALTHCHECK command, run for real', () => {
  const healthcheck = flagsOf(only(runtime?.instructions, 'HEALTHCHECK')[0]?.args ?? '').rest.slice(4);
  const command = execForm(healthcheck) ?? [];
  let server: Server | undefined;

  afterEach(async () => {
    await new Promise<void>((resolve) => (server ? server.close(() => resolve()) : resolve()));
    server?.closeAllConnections();
    server = undefined;
  });

  async function serve(handler: Parameters<typeof createServer>[1]): Promise<number> {
    const port = await freePort();
    server = createServer(handler);
    await new Promise<void>((resolve) => server?.listen(port, '127.0.0.1', resolve));
    return port;
  }

  function runHealthcheck(port: number): Promise<{ code: number | null; ms: number }> {
    const started = Date.now();
    return new Promise((resolve) => {
      const child = spawn(process.execPath, command.slice(1), { env: { PATH: process.env.PATH, VITALS_PORT: String(port) }, stdio: 'ignore' });
      child.once('exit', (code) => resolve({ code, ms: Date.now() - started }));
    });
  }

  it('exits 0 when /health answers 200', async () => {
    let path = '';
    const port = await serve((req, res) => {
      path = req.url ?? '';
      res.writeHead(200, { 'content-type': 'application/health+json' }).end('{"status":"pass"}');
    });
    expect((await runHealthcheck(port)).code).toBe(0);
    expect(path).toBe('/health');
  });

  it('exits 1 when /health answers 503', async () => {
    const port = await serve((_req, res) => res.writeHead(503).end('{"status":"fail"}'));
    expect((await runHealthcheck(port)).code).toBe(1);
  });

  it('exits 1 when nothing listens', async () => {
    const port = await freePort();
    expect((await runHealthcheck(port)).code).toBe(1);
  });

  it('exits 1 within its own deadline when the server never answers', async () => {
    const port = await serve(() => undefined); // accepts, never responds
    const { code, ms } = await runHealthcheck(port);
    expect(code).toBe(1);
    expect(ms).toBeLessThan(8_000);
  }, 15_000);
});
