import { chmod, copyFile, mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ConfigError, formatConfigIssues, loadConfig, parseConfigText } from '../../src/config/load.js';
import { fakeDefinitions } from '../fixtures/config/fake-definitions.js';

const fixtures = fileURLToPath(new URL('../fixtures/config/', import.meta.url));
const fixture = (name: string): string => join(fixtures, name);
const definitions = fakeDefinitions;

async function configError(promise: Promise<unknown>): Promise<ConfigError> {
  try {
    await promise;
  } catch (error) {
    if (error instanceof ConfigError) return error;
    throw error;
  }
  throw new Error('expected a ConfigError');
}

const fileWith = (port: number): string => `server: { port: ${port} }\nprobes: []\n`;

describe('loadConfig: where the config comes from', () => {
  let dir: string;
  let cwdWithFile: string;
  let emptyCwd: string;

  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'vitals-config-'));
    cwdWithFile = join(dir, 'with-file');
    emptyCwd = join(dir, 'empty');
    await mkdir(cwdWithFile);
    await mkdir(emptyCwd);
    await writeFile(join(cwdWithFile, 'vitals.yaml'), fileWith(1111));
    await writeFile(join(dir, 'argv.yaml'), fileWith(2222));
    await writeFile(join(dir, 'env.yaml'), fileWith(3333));
  });
  afterAll(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  it.each([
    { what: '--config beats $VITALS_CONFIG and ./vitals.yaml', argv: 'argv.yaml', envFile: 'env.yaml', cwd: 'with-file', port: 2222 },
    { what: '$VITALS_CONFIG beats ./vitals.yaml', argv: undefined, envFile: 'env.yaml', cwd: 'with-file', port: 3333 },
    { what: './vitals.yaml when nothing else is given', argv: undefined, envFile: undefined, cwd: 'with-file', port: 1111 },
    { what: 'an empty $VITALS_CONFIG counts as unset', argv: undefined, envFile: '', cwd: 'with-file', port: 1111 },
  ])('$what', async ({ argv, envFile, cwd, port }) => {
    const env: NodeJS.ProcessEnv = envFile === undefined ? {} : { VITALS_CONFIG: envFile === '' ? '' : join(dir, envFile) };
    const config = await loadConfig({ argvConfigPath: argv === undefined ? undefined : join(dir, argv), env, cwd: join(dir, cwd), definitions });
    expect(config.server.port).toBe(port);
    expect(config.source).toMatch(/\.yaml$/);
  });

  it('resolves a relative --config against cwd', async () => {
    const config = await loadConfig({ argvConfigPath: '../argv.yaml', env: {}, cwd: cwdWithFile, definitions });
    expect(config.source).toBe(join(dir, 'argv.yaml'));
  });

  it('falls back to zero-config when no file is given and ./vitals.yaml is absent', async () => {
    const config = await loadConfig({ env: {}, cwd: emptyCwd, definitions });
    expect(config.source).toBe('zero-config');
    expect(config.probes.map((p) => p.name)).toEqual(['eventloop']);
  });

  it.each([
    { via: '--config', options: { argvConfigPath: 'missing.yaml' } },
    { via: '$VITALS_CONFIG', options: { env: { VITALS_CONFIG: 'missing.yaml' } } },
  ])('a missing file named by $via is an error, never a silent zero-config', async ({ via, options }) => {
    const error = await configError(loadConfig({ env: {}, cwd: emptyCwd, definitions, ...options }));
    expect(error.issues).toEqual([{ path: '', message: `cannot read ${join(emptyCwd, 'missing.yaml')} (from ${via}): file not found` }]);
  });

  it('reports a directory given as the config file', async () => {
    const error = await configError(loadConfig({ argvConfigPath: dir, env: {}, definitions }));
    expect(error.issues[0]?.message).toContain('is a directory');
  });

  it.skipIf(process.getuid?.() === 0)('reports an unreadable ./vitals.yaml instead of ignoring it', async () => {
    const locked = join(dir, 'locked');
    await mkdir(locked);
    await writeFile(join(locked, 'vitals.yaml'), fileWith(1));
    await chmod(join(locked, 'vitals.yaml'), 0o000);
    const error = await configError(loadConfig({ env: {}, cwd: locked, definitions }));
    expect(error.issues[0]?.message).toContain('permission denied');
  });
});

describe('loadConfig: file contents', () => {
  it('loads every section of a full file', async () => {
    const config = await loadConfig({ argvConfigPath: fixture('valid-full.yaml'), env: { VITALS_TOKEN: 't0ken-value' }, definitions });
    expect(config).toMatchObject({
      service: { id: 'aetherius', description: 'Agent platform dependencies' },
      server: { host: '127.0.0.1', port: 9090 },
      auth: { token: 't0ken-value', protectMetrics: true },
      defaults: { intervalMs: 20_000, timeoutMs: 3_000, failureThreshold: 3, successThreshold: 2 },
      shutdown: { drainDelayMs: 1_000, timeoutMs: 10_000 },
    });
    expect(config.probes[0]).toEqual({
      name: 'db-port',
      type: 'tcp',
      definition: expect.objectContaining({ type: 'tcp' }) as unknown,
      critical: false,
      groups: ['ready', 'live'],
      intervalMs: 10_000,
      timeoutMs: 500,
      failureThreshold: 1,
      successThreshold: 1,
      dependsOn: [],
      warn: { connectTime: 250, usedRatio: 0.7, daysLeft: 14 },
      fail: { usedRatio: 0.9 },
      options: { host: '127.0.0.1', port: 5432, verbose: false },
    });
    // Inherits everything it does not set: the file's defaults win over the type's 60s.
    expect(config.probes[1]).toMatchObject({ name: 'cert', critical: true, groups: ['ready'], intervalMs: 20_000, timeoutMs: 3_000, failureThreshold: 3, successThreshold: 2 });
  });

  it('reports all four mistakes of a file at once, in file order', async () => {
    const error = await configError(loadConfig({ argvConfigPath: fixture('four-mistakes.yaml'), env: {}, definitions }));
    expect(error.issues).toEqual([
      { path: 'server.port', message: 'must be at most 65535' },
      { path: 'probes[0].intervall', message: 'unknown key (did you mean interval?)' },
      { path: 'probes[1].timeout', message: 'invalid duration "2 sec" (use 500ms, 2s, 1m, 1h, 7d)' },
      { path: 'probes[2].name', message: 'duplicate name "db" (also probes[0])' },
    ]);
    expect(formatConfigIssues(error)).toBe(
      [
        `${fixture('four-mistakes.yaml')}: 4 problems`,
        'server.port: must be at most 65535',
        'probes[0].intervall: unknown key (did you mean interval?)',
        'probes[1].timeout: invalid duration "2 sec" (use 500ms, 2s, 1m, 1h, 7d)',
        'probes[2].name: duplicate name "db" (also probes[0])',
      ].join('\n'),
    );
  });

  it('reports a YAML syntax error with line, column and a hint', async () => {
    const error = await configError(loadConfig({ argvConfigPath: fixture('syntax-error.yaml'), env: {}, definitions }));
    expect(error.issues).toHaveLength(1);
    expect(error.issues[0]?.path).toBe('');
    expect(error.issues[0]?.message).toMatch(/^line 6, column \d+: .+\(.*quote the value, or check the indentation/);
  });

  it.each([
    { yaml: 'a:\n  b: 1\n c: 2\n', line: 3, hint: 'check the indentation' },
    { yaml: 'probes:\n\t- name: x\n', line: 2, hint: 'spaces, not tabs' },
    { yaml: 'server: {}\nserver: {}\n', line: 2, hint: 'only once' },
    { yaml: 'key:value\nprobes: []\n', line: 1, hint: 'space after the colon' },
  ])('syntax error at line $line: hint "$hint"', async ({ yaml, line, hint }) => {
    const dir = await mkdtemp(join(tmpdir(), 'vitals-yaml-'));
    try {
      await writeFile(join(dir, 'vitals.yaml'), yaml);
      const error = await configError(loadConfig({ env: {}, cwd: dir, definitions }));
      expect(error.issues[0]?.message).toMatch(new RegExp(`^line ${line}, column \\d+: `));
      expect(error.issues[0]?.message).toContain(hint);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });

  it.each(['empty.yaml', 'comment-only.yaml'])('%s is an error, not zero-config', async (name) => {
    const error = await configError(loadConfig({ argvConfigPath: fixture(name), env: {}, definitions }));
    expect(error.issues).toEqual([{ path: '', message: expect.stringMatching(/^config file is empty/) as unknown }]);
  });

  it('works with a copy of the fixture found as ./vitals.yaml', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'vitals-copy-'));
    try {
      await copyFile(fixture('valid-full.yaml'), join(dir, 'vitals.yaml'));
      const config = await loadConfig({ env: { VITALS_TOKEN: 'abc' }, cwd: dir, definitions });
      expect(config.source).toBe(join(dir, 'vitals.yaml'));
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });
});

describe('parseConfigText: YAML aliases', () => {
  it('an alias with no anchor is a config error with a message, not a thrown ReferenceError (found by the property test)', () => {
    expect(() => parseConfigText('probes: *a\n', 't.yaml', {})).toThrow(ConfigError);
    try {
      parseConfigText('probes: *a\n', 't.yaml', {});
    } catch (error) {
      expect((error as ConfigError).issues[0]?.message).toMatch(/alias/i);
    }
  });
});
