import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { pino } from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ConfigError, loadConfig } from '../../src/config/load.js';
import type { ProbeResult } from '../../src/core/types.js';
import { buildProbes } from '../../src/runner/build-probes.js';
import { runProbe } from '../../src/runner/run-probe.js';

const EXAMPLE = fileURLToPath(new URL('../../examples/probes/queue-backlog.mjs', import.meta.url));
const dir = mkdtempSync(join(tmpdir(), 'vitals-custom-'));
let stats: http.Server;
let statsUrl = '';
/** What the fake workers' stats endpoint answers for /queues/video. */
let videoQueue: { status: number; body: string } = { status: 200, body: '{"waiting": 3, "oldestWaitingMs": 250}' };

beforeAll(async () => {
  stats = http.createServer((req, res) => {
    const answer = req.url === '/queues/video' ? videoQueue : { status: 404, body: '{}' };
    res.writeHead(answer.status, { 'content-type': 'application/json' }).end(answer.body);
  });
  await new Promise<void>((resolve) => stats.listen(0, '127.0.0.1', resolve));
  statsUrl = `http://127.0.0.1:${(stats.address() as AddressInfo).port}`;
});
afterAll(async () => {
  await new Promise((resolve) => stats.close(resolve));
  rmSync(dir, { recursive: true, force: true });
});

let fileCount = 0;
/** Writes `source` as a module beside a config file naming it relatively; returns the config path. */
function configWith(moduleSource: string | undefined, probeYaml: string): string {
  fileCount += 1;
  if (moduleSource !== undefined) writeFileSync(join(dir, `probe${fileCount}.mjs`), moduleSource);
  const path = join(dir, `vitals${fileCount}.yaml`);
  writeFileSync(path, `probes:\n  - name: job\n    type: custom\n    module: ./probe${fileCount}.mjs\n    timeout: 500ms\n${probeYaml}`);
  return path;
}

async function issuesOf(path: string): Promise<Array<{ path: string; message: string }>> {
  try {
    await loadConfig({ argvConfigPath: path, env: {} });
  } catch (error) {
    if (error instanceof ConfigError) return error.issues;
    throw error;
  }
  throw new Error('expected a config error');
}

/** Loads the config, builds its one probe as `vitals serve` would, runs it once through the real runner. */
async function runConfigured(path: string): Promise<ProbeResult> {
  const config = await loadConfig({ argvConfigPath: path, env: {} });
  const [built] = buildProbes(config, pino({ level: 'silent' }));
  if (built === undefined) throw new Error('no probe built');
  try {
    return await runProbe(built.definition, built.probe, built.settings);
  } finally {
    await built.probe.close(1_000);
  }
}

const definition = (check: string, extra = ''): string =>
  `export default { measurements: { depth: { unit: 'count', warn: 5, description: 'd' } }, hints: { reasons: { auth: 'rotate the job token' }, measurements: { depth: 'drain the queue' } }, ${extra} create: () => ({ async check(signal) { ${check} }, async close() {} }) };\n`;

describe('custom probe: the shipped example (examples/probes/queue-backlog.mjs)', () => {
  it('passes against a real stats endpoint and reports its measurements with type custom', async () => {
    videoQueue = { status: 200, body: '{"waiting": 3, "oldestWaitingMs": 250}' };
    const path = join(dir, 'example.yaml');
    writeFileSync(path, `probes:\n  - { name: video-jobs, type: custom, module: ${EXAMPLE}, url: "${statsUrl}", queue: video }\n`);
    const config = await loadConfig({ argvConfigPath: path, env: {} });
    expect(config.probes[0]).toMatchObject({ type: 'custom', module: EXAMPLE, intervalMs: 15_000, options: { queue: 'video' } });
    const result = await runConfigured(path);
    expect(result.status).toBe('pass');
    expect(result.observations).toEqual([
      { measurement: 'backlog', value: 3, unit: 'count', status: 'pass' },
      { measurement: 'oldestJobAge', value: 250, unit: 'ms', status: 'pass' },
    ]);
  });

  it('crosses its own default threshold with its own measurement hint', async () => {
    videoQueue = { status: 200, body: '{"waiting": 20000}' };
    const path = join(dir, 'example-backlog.yaml');
    writeFileSync(path, `probes:\n  - { name: video-jobs, type: custom, module: ${EXAMPLE}, url: "${statsUrl}", queue: video }\n`);
    const result = await runConfigured(path);
    expect(result).toMatchObject({ status: 'fail', reason: 'threshold', hint: expect.stringContaining('scale the workers') as unknown });
    expect(result.message).toContain('backlog 20000');
  });

  it('names a wrong queue as a config failure with its hint, and an unknown option as a config error', async () => {
    const wrongQueue = join(dir, 'example-wrong.yaml');
    writeFileSync(wrongQueue, `probes:\n  - { name: q, type: custom, module: ${EXAMPLE}, url: "${statsUrl}", queue: audio }\n`);
    expect(await runConfigured(wrongQueue)).toMatchObject({ status: 'fail', reason: 'config', message: 'the workers know no queue named "audio"' });
    const badOption = join(dir, 'example-bad.yaml');
    writeFileSync(badOption, `probes:\n  - { name: q, type: custom, module: ${EXAMPLE}, url: "${statsUrl}", queue: video, qeue: x }\n`);
    expect(await issuesOf(badOption)).toContainEqual({ path: 'probes[0].qeue', message: expect.stringMatching(/^unknown key/) as unknown });
  });
});

describe('custom probe: modules that cannot be used are config errors at probes[i].module', () => {
  it.each([
    ['a missing file', undefined, /cannot load \.\/probe\d+\.mjs \(.*\): file not found/],
    ['no export', 'export const nothing = 1;\n', /exports no probe: export default/],
    ['a wrong shape', 'export default { measurements: 3 };\n', /does not export a probe definition: .*create must be a function/],
    // Node says SyntaxError; vitest's module runner, which loads it in this test, says it cannot parse.
    ['a syntax error', 'export default {{;\n', /cannot load .*(SyntaxError|invalid JS syntax)/],
    ['a throwing top level', "throw new Error('boom at import');\n", /cannot load .*Error: boom at import/],
    ['an options schema from elsewhere', 'export default { options: { parse() {} }, create: () => ({}) };\n', /options must be a zod object/],
  ])('%s', async (_name, source, message) => {
    const issues = await issuesOf(configWith(source, ''));
    expect(issues).toHaveLength(1);
    expect(issues[0]?.path).toBe('probes[0].module');
    expect(issues[0]?.message).toMatch(message);
    expect(issues[0]?.message).not.toMatch(/\n\s+at /);
  });

  it('a custom probe without module says what module is', async () => {
    const path = join(dir, 'no-module.yaml');
    writeFileSync(path, 'probes:\n  - { name: job, type: custom }\n');
    expect(await issuesOf(path)).toEqual([{ path: 'probes[0].module', message: expect.stringContaining('required for type custom') as unknown }]);
  });

  it('module is not an option of built-in types', async () => {
    const path = join(dir, 'tcp-module.yaml');
    writeFileSync(path, 'probes:\n  - { name: t, type: tcp, host: 127.0.0.1, port: 1, module: ./x.mjs }\n');
    expect((await issuesOf(path)).map((i) => i.path)).toEqual(['probes[0].module']);
  });
});

describe('custom probe: misbehaving checks get the same treatment as built-in ones', () => {
  it('throws → fail, reason error, its message, the generic hint', async () => {
    const result = await runConfigured(configWith(definition("throw new Error('queue store unreachable');"), ''));
    expect(result).toMatchObject({ status: 'fail', reason: 'error', message: 'queue store unreachable' });
    expect(result.hint).toBeTruthy();
  });

  it('throws a ProbeError → that reason, with the module\'s own hint', async () => {
    const source = `export default ({ ProbeError }) => ({ hints: { reasons: { auth: 'rotate the job token' } }, create: () => ({ async check() { throw new ProbeError('auth', 'credentials rejected'); }, async close() {} }) });\n`;
    expect(await runConfigured(configWith(source, ''))).toMatchObject({ status: 'fail', reason: 'auth', message: 'credentials rejected', hint: 'rotate the job token' });
  });

  it('fills its hint placeholders from its own hintTarget, and defaultCritical sets the default', async () => {
    const source = `export default ({ ProbeError }) => ({ defaultCritical: false, hintTarget: (o) => ({ host: 'jobs.internal', port: 7000 }), hints: { reasons: { auth: 'rotate the job token on {host}:{port}' } }, create: () => ({ async check() { throw new ProbeError('auth', 'credentials rejected'); }, async close() {} }) });\n`;
    const path = configWith(source, '');
    expect((await loadConfig({ argvConfigPath: path, env: {} })).probes[0]?.critical).toBe(false);
    expect(await runConfigured(path)).toMatchObject({ reason: 'auth', hint: 'rotate the job token on jobs.internal:7000' });
  });

  it('hangs and never honours its signal → timeout within the bound', async () => {
    const started = performance.now();
    const result = await runConfigured(configWith(definition('await new Promise(() => {});'), ''));
    expect(result).toMatchObject({ status: 'fail', reason: 'timeout' });
    expect(performance.now() - started).toBeLessThan(5_000);
  });

  it('returns garbage → fail, reason error, "malformed report"', async () => {
    const result = await runConfigured(configWith(definition("return 'all good';"), ''));
    expect(result).toMatchObject({ status: 'fail', reason: 'error' });
    expect(result.message).toContain('malformed report');
  });

  it('create() returns no probe → every run fails with reason config', async () => {
    const source = 'export default { create: () => 42 };\n';
    const result = await runConfigured(configWith(source, ''));
    expect(result).toMatchObject({ status: 'fail', reason: 'config' });
    expect(result.message).toContain('create() must return an object with check(signal) and close(deadlineMs)');
  });

  it('its measurements take warn/fail thresholds from the config, with its measurement hint', async () => {
    const result = await runConfigured(configWith(definition("return { observations: [{ measurement: 'depth', value: 9 }] };"), '    fail:\n      depth: 8\n'));
    expect(result).toMatchObject({ status: 'fail', reason: 'threshold', hint: 'drain the queue' });
    expect(result.observations[0]).toMatchObject({ measurement: 'depth', value: 9, unit: 'count', status: 'fail' });
  });

  it('an unknown measurement in warn/fail is a config error listing the module\'s measurements', async () => {
    const issues = await issuesOf(configWith(definition('return { observations: [] };'), '    warn:\n      dept: 1\n'));
    expect(issues).toEqual([{ path: 'probes[0].warn.dept', message: expect.stringContaining('did you mean depth?') as unknown }]);
  });

  it('a secret in its message is redacted like any other', async () => {
    const check = "throw new Error('cannot reach redis://:hunter2secret@10.0.0.1:6379');";
    const result = await runConfigured(configWith(definition(check), ''));
    expect(result.message).not.toContain('hunter2secret');
  });
});
