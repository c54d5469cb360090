#!/usr/bin/env node
/**
 * Builds the vitals image and runs it the way users do, failing loudly on any
 * check: zero-config (/health, /ready, /metrics), a mounted config and env
 * file, a read-only root filesystem, uid 1000, the image's own HEALTHCHECK,
 * SIGTERM → drain → exit 0, no dev dependency and no .ts source inside, a
 * rebuild after a source change that keeps the dependency layer, and the size.
 * Everything it talks to is on 127.0.0.1 (--network=host); every wait is bounded.
 *
 *   node scripts/container/test-image.mjs        (scripts/ci-container.sh sets it up)
 *
 * Environment: VITALS_CI_BASE_IMAGE (the NODE_IMAGE build arg), VITALS_CI_CA
 * (a CA bundle for npm inside the build, mounted only while building).
 */
import { execFile } from 'node:child_process';
import { cpSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync, appendFileSync } from 'node:fs';
import net from 'node:net';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = fileURLToPath(new URL('../..', import.meta.url));
const BASE = process.env.VITALS_CI_BASE_IMAGE;
const CA = process.env.VITALS_CI_CA ?? '/etc/ssl/certs/ca-certificates.crt';
const IMAGE = 'localhost/vitals:ci';
const work = mkdtempSync(join(tmpdir(), 'vitals-image-'));
const containers = new Set();
const failures = [];
const report = [];

if (!BASE) {
  console.error('test-image: set VITALS_CI_BASE_IMAGE (scripts/ci-container.sh builds one)');
  process.exit(2);
}

// ---- small harness -----------------------------------------------------------

function run(cmd, args, { timeoutMs = 60_000, allowFail = false } = {}) {
  return new Promise((resolve, reject) => {
    execFile(cmd, args, { timeout: timeoutMs, maxBuffer: 64 * 1024 * 1024 }, (error, stdout, stderr) => {
      const code = error ? (typeof error.code === 'number' ? error.code : 1) : 0;
      if (error && !allowFail) reject(new Error(`${cmd} ${args.join(' ')} → ${error.code ?? error.signal}\n${stderr}${stdout}`.slice(0, 4000)));
      else resolve({ code, stdout, stderr });
    });
  });
}
const podman = (args, options) => run('podman', args, options);

async function check(name, fn) {
  const started = Date.now();
  try {
    const detail = await fn();
    console.log(`  ✓ ${name}${detail ? ` — ${detail}` : ''} (${Date.now() - started} ms)`);
  } catch (error) {
    failures.push(name);
    console.log(`  ✗ ${name}: ${error instanceof Error ? error.message : String(error)}`);
  }
}
function expect(condition, message) {
  if (!condition) throw new Error(message);
}
const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));

async function get(port, path, headers = {}) {
  const response = await fetch(`http://127.0.0.1:${port}${path}`, { headers, signal: AbortSignal.timeout(3_000) });
  return { status: response.status, body: await response.text(), type: response.headers.get('content-type') ?? '' };
}
/** Polls until `predicate(response)` holds or `timeoutMs` passes; returns the last response. */
async function until(port, path, predicate, timeoutMs = 20_000, headers = {}) {
  const deadline = Date.now() + timeoutMs;
  let last;
  while (Date.now() < deadline) {
    try {
      last = await get(port, path, headers);
      if (predicate(last)) return last;
    } catch (error) {
      last = { status: 0, body: String(error), type: '' };
    }
    await sleep(200);
  }
  throw new Error(`${path}: still ${last?.status} ${last?.body?.slice(0, 200)} after ${timeoutMs} ms`);
}
function freePort() {
  return new Promise((resolve, reject) => {
    const server = net.createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address();
      server.close(() => resolve(port));
    });
  });
}
async function startContainer(name, args) {
  containers.add(name);
  await podman(['rm', '-f', name], { allowFail: true });
  await podman(['run', '-d', '--name', name, '--network=host', ...args, IMAGE]);
}
async function logsOf(name) {
  const { stdout, stderr } = await podman(['logs', name], { allowFail: true });
  return stdout + stderr;
}

// ---- build -------------------------------------------------------------------

const npmrc = join(work, 'npmrc');
writeFileSync(npmrc, 'cafile=/run/host-ca/ca-certificates.crt\n');
function buildArgs(context) {
  return [
    'build', '--format', 'docker', '--network=host', '--build-arg', `NODE_IMAGE=${BASE}`,
    // The host's CA for npm inside RUN steps only: build volumes never reach a layer.
    '-v', `${CA}:/run/host-ca/ca-certificates.crt:ro`, '-v', `${npmrc}:/root/.npmrc:ro`,
    '-t', IMAGE, context,
  ];
}

console.log(`test-image: building ${IMAGE} FROM ${BASE}`);
await check('the image builds', async () => {
  const started = Date.now();
  await podman(buildArgs(root), { timeoutMs: 480_000 });
  report.push(['first build', `${((Date.now() - started) / 1000).toFixed(1)} s`]);
});
if (failures.length > 0) finish();

await check('a source change rebuilds without reinstalling dependencies', async () => {
  // A copy of the build context with one source file changed: the layers
  // before `COPY src` (both npm ci steps) must come from the cache.
  const context = join(work, 'context');
  // What the build may see is what .dockerignore lets in (its `!` lines): one list, kept there.
  const allowed = readFileSync(join(root, '.dockerignore'), 'utf8')
    .split('\n')
    .filter((line) => line.startsWith('!'))
    .map((line) => line.slice(1).replace(/\/$/, ''));
  for (const entry of ['Dockerfile', '.dockerignore', ...allowed]) {
    mkdirSync(dirname(join(context, entry)), { recursive: true });
    cpSync(join(root, entry), join(context, entry), { recursive: true });
  }
  appendFileSync(join(context, 'src/cli/main.ts'), `\n// rebuilt at ${Date.now()}\n`);
  const started = Date.now();
  const { stdout, stderr } = await podman(buildArgs(context), { timeoutMs: 300_000 });
  const seconds = (Date.now() - started) / 1000;
  report.push(['rebuild after a source change', `${seconds.toFixed(1)} s`]);
  const log = (stdout + stderr).split('\n');
  const npmSteps = log.map((line, i) => [line, log[i + 1] ?? '']).filter(([line]) => /STEP \d+\/\d+: RUN npm ci/.test(line));
  expect(npmSteps.length === 2, `expected two npm ci steps in the build log, saw ${npmSteps.length}`);
  for (const [step, next] of npmSteps) expect(/Using cache/.test(next), `${step.trim()} ran again`);
  expect(log.some((line) => /STEP \d+\/\d+: RUN npm run build/.test(line)), 'the TypeScript build step did not run');
  return `${seconds.toFixed(1)} s, both npm ci layers from cache`;
});

await check('image size, user and healthcheck are set', async () => {
  const field = async (format) => (await podman(['image', 'inspect', IMAGE, '--format', format])).stdout.trim();
  const [size, user, healthcheck] = [await field('{{.Size}}'), await field('{{.Config.User}}'), await field('{{json .Config.Healthcheck}}')];
  const mb = Number(size) / 1e6;
  report.push(['image size', `${mb.toFixed(0)} MB`]);
  expect(user === '1000:1000', `image user is ${user}, expected 1000:1000`);
  expect(/\/health/.test(healthcheck ?? ''), `HEALTHCHECK missing (build with --format docker): ${healthcheck}`);
  return `${mb.toFixed(0)} MB, user ${user}`;
});

await check('no dev dependency, no .ts source, no build-time CA or npmrc in the image', async () => {
  // Every package the lockfile marks dev-only (the devDependencies and what
  // only they pull in), by its install path: node_modules/x, node_modules/a/node_modules/b.
  const lock = JSON.parse(readFileSync(join(root, 'package-lock.json'), 'utf8'));
  const dev = Object.entries(lock.packages ?? {}).filter(([path, meta]) => path !== '' && meta.dev === true).map(([path]) => path);
  expect(dev.length > 0, 'the lockfile marks no package dev-only: this check would prove nothing');
  const script = [
    ...dev.map((path) => `test -e /app/${path} && echo "dev-only package: ${path}"`),
    "find /app -path /app/node_modules -prune -o -name '*.ts' -print",
    'test -e /root/.npmrc && echo "npmrc left in the image"',
    'test -e /run/host-ca && echo "host CA left in the image"',
    'true',
  ].join('; ');
  const { stdout } = await podman(['run', '--rm', '--network=host', '--entrypoint', 'sh', IMAGE, '-c', script]);
  expect(stdout.trim() === '', stdout.trim());
  return `${dev.length} dev-only lockfile packages checked absent`;
});

// ---- zero-config ---------------------------------------------------------------

const zeroPort = await freePort();
await check('zero-config, read-only root fs: /health, /ready and /metrics answer', async () => {
  await startContainer('vitals-ci-zero', ['--read-only', '--tmpfs', '/tmp', '-e', `VITALS_PORT=${zeroPort}`]);
  await until(zeroPort, '/health', (r) => r.status === 200);
  const ready = await until(zeroPort, '/ready', (r) => r.status === 200);
  expect(ready.type.startsWith('application/health+json'), `/ready content type ${ready.type}`);
  const metrics = await until(zeroPort, '/metrics', (r) => r.status === 200 && /vitals_probe_up\{/.test(r.body));
  expect(/^vitals_ready 1$/m.test(metrics.body), 'vitals_ready is not 1');
  expect(/vitals_build_info\{/.test(metrics.body), 'no vitals_build_info');
});

await check('the process runs as uid 1000, not root', async () => {
  const { stdout } = await podman(['exec', 'vitals-ci-zero', 'node', '-e', 'process.stdout.write(`${process.getuid()}:${process.getgid()}`)']);
  expect(stdout === '1000:1000', `runs as ${stdout}`);
  return stdout;
});

await check("the image's own HEALTHCHECK passes, and fails against a port nothing serves", async () => {
  const { code } = await podman(['healthcheck', 'run', 'vitals-ci-zero'], { allowFail: true });
  expect(code === 0, `podman healthcheck run exited ${code}`);
  const { stdout } = await podman(['image', 'inspect', IMAGE, '--format', '{{json .Config.Healthcheck.Test}}']);
  const [kind, ...command] = JSON.parse(stdout);
  expect(kind === 'CMD', `HEALTHCHECK is ${kind}, expected exec form`);
  const closed = await freePort();
  const wrong = await podman(['exec', '-e', `VITALS_PORT=${closed}`, 'vitals-ci-zero', ...command], { allowFail: true });
  expect(wrong.code !== 0, 'the HEALTHCHECK command passed against a closed port');
  return 'exit 0 against vitals, non-zero against a closed port';
});

await check('SIGTERM: /ready 503 at once, /health 200 through the drain, exit 0 after drainDelay (5 s)', async () => {
  const started = Date.now();
  await podman(['kill', '--signal', 'TERM', 'vitals-ci-zero']);
  await until(zeroPort, '/ready', (r) => r.status === 503, 3_000);
  const health = await get(zeroPort, '/health');
  expect(health.status === 200, `/health ${health.status} during the drain`);
  const { stdout } = await podman(['wait', 'vitals-ci-zero'], { timeoutMs: 40_000 });
  const seconds = (Date.now() - started) / 1000;
  report.push(['SIGTERM to exit (zero-config, drainDelay 5 s)', `${seconds.toFixed(1)} s`]);
  expect(stdout.trim() === '0', `exit code ${stdout.trim()}`);
  expect(seconds >= 4.5 && seconds < 30, `exited after ${seconds.toFixed(1)} s`);
  const logs = await logsOf('vitals-ci-zero');
  expect(/shutdown complete/.test(logs), 'no "shutdown complete" log line');
  return `exit 0 after ${seconds.toFixed(1)} s`;
});

// ---- a mounted config and env file ------------------------------------------------

const upstream = net.createServer((socket) => socket.end());
await new Promise((resolve) => upstream.listen(0, '127.0.0.1', resolve));
const upstreamPort = upstream.address().port;
const configPort = await freePort();
const TOKEN = `ci-token-${Date.now()}-secret`;
const configDir = join(work, 'config');
cpSync(join(root, 'package.json'), join(configDir, 'marker'), { recursive: false });
writeFileSync(
  join(configDir, 'vitals.yaml'),
  [
    'service: { id: image-test, description: "vitals image under test" }',
    `server: { port: ${configPort} }`,
    'auth: { token: "${VITALS_TOKEN}" }',
    'shutdown: { drainDelay: 1s, timeout: 10s }',
    'probes:',
    `  - { name: upstream, type: tcp, host: 127.0.0.1, port: ${upstreamPort}, interval: 1s, timeout: 500ms }`,
    '',
  ].join('\n'),
);
writeFileSync(join(configDir, 'vitals.env'), `VITALS_TOKEN=${TOKEN}\n`);

await check('a mounted config and --env-file: its probe gates /ready, its token guards /diagnostics', async () => {
  await startContainer('vitals-ci-config', [
    '--read-only', '--tmpfs', '/tmp', '--user', '1000:1000',
    '-v', `${join(configDir, 'vitals.yaml')}:/etc/vitals/vitals.yaml:ro`,
    '-e', 'VITALS_CONFIG=/etc/vitals/vitals.yaml', '--env-file', join(configDir, 'vitals.env'),
  ]);
  await until(configPort, '/ready/upstream', (r) => r.status === 200);
  expect((await get(configPort, '/diagnostics')).status === 401, '/diagnostics without the token is not 401');
  const diagnostics = await get(configPort, '/diagnostics', { authorization: `Bearer ${TOKEN}` });
  expect(diagnostics.status === 200, `/diagnostics with the token: ${diagnostics.status}`);
  expect(!diagnostics.body.includes(TOKEN), 'the token appears in /diagnostics');
  await new Promise((resolve) => upstream.close(resolve));
  await until(configPort, '/ready', (r) => r.status === 503, 10_000);
  const logs = await logsOf('vitals-ci-config');
  expect(!logs.includes(TOKEN), 'the token appears in the logs');
  return 'closing the upstream turned /ready 503';
});

await check('SIGTERM with the mounted config: exit 0 after its 1 s drain', async () => {
  const started = Date.now();
  await podman(['kill', '--signal', 'TERM', 'vitals-ci-config']);
  const { stdout } = await podman(['wait', 'vitals-ci-config'], { timeoutMs: 20_000 });
  const seconds = (Date.now() - started) / 1000;
  expect(stdout.trim() === '0', `exit code ${stdout.trim()}`);
  expect(seconds < 11, `exited after ${seconds.toFixed(1)} s (shutdown.timeout is 10 s)`);
  return `exit 0 after ${seconds.toFixed(1)} s`;
});

// ---- the harness itself can fail ---------------------------------------------------

await check('self-test: a check with a wrong expectation is reported as a failure', async () => {
  const before = failures.length;
  const quiet = console.log;
  console.log = () => {};
  await check('deliberately wrong', async () => {
    await until(await freePort(), '/health', (r) => r.status === 200, 1_000);
  });
  console.log = quiet;
  expect(failures.length === before + 1, 'the harness did not record the failure');
  failures.pop();
});

finish();

async function finish() {
  for (const name of containers) await podman(['rm', '-f', name], { allowFail: true });
  rmSync(work, { recursive: true, force: true });
  console.log('\ntest-image: figures');
  for (const [what, value] of report) console.log(`  ${what}: ${value}`);
  if (failures.length > 0) {
    console.log(`\ntest-image: ${failures.length} check(s) failed: ${failures.join('; ')}`);
    process.exit(1);
  }
  console.log('\ntest-image: every check passed');
  process.exit(0);
}
