import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { CLEAN_DEPLOYMENT, KUBE_CONFIG, lineOf, MISTAKES, withMistake } from '../support/kube-manifests.js';
import { CLI } from '../support/vitals-process.js';

/** `vitals kube probes` and `vitals kube lint` as users run them: the built CLI, files and stdin, exit codes. */

let dir: string;
let config: string;

beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'vitals-kube-'));
  config = join(dir, 'vitals.yaml');
  writeFileSync(config, KUBE_CONFIG);
});
afterAll(() => {
  rmSync(dir, { recursive: true, force: true });
});

function vitals(args: string[], input?: string): { code: number | null; stdout: string; stderr: string } {
  const run = spawnSync(process.execPath, [CLI, ...args], {
    cwd: dir,
    env: { PATH: process.env.PATH ?? '' },
    input: input ?? '',
    encoding: 'utf8',
    timeout: 20_000,
  });
  return { code: run.status, stdout: run.stdout, stderr: run.stderr };
}

function file(name: string, text: string): string {
  const path = join(dir, name);
  writeFileSync(path, text);
  return path;
}

const STACK = /^\s+at /m;

describe('vitals kube lint', () => {
  it('a clean manifest → exit 0, nothing on stdout', () => {
    const result = vitals(['kube', 'lint', '--config', config, file('clean.yaml', CLEAN_DEPLOYMENT)]);
    expect(result).toMatchObject({ code: 0, stdout: '' });
    expect(result.stderr).toMatch(/1 workload agree with/);
  });

  it.each(MISTAKES)('%s → one line naming file:line and the field, exit 1', (name, from, to, path, lineText, message) => {
    const text = withMistake(from, to);
    const manifest = file(`${name.replace(/\W+/g, '-')}.yaml`, text);
    const result = vitals(['kube', 'lint', '-c', config, manifest]);
    expect(result.code).toBe(1);
    const lines = result.stdout.trimEnd().split('\n');
    expect(lines).toHaveLength(1);
    expect(lines[0]).toContain(`${manifest}:${lineOf(text, lineText)}: Deployment/web ${path}: `);
    expect(lines[0]).toMatch(message);
  });

  it('reads kustomize-style multi-document output on stdin', () => {
    const bad = withMistake('terminationGracePeriodSeconds: 40', 'terminationGracePeriodSeconds: 20');
    const stream = ['apiVersion: v1\nkind: ConfigMap\nmetadata: { name: c }\ndata: { a: b }\n', CLEAN_DEPLOYMENT, bad].join('---\n');
    const result = vitals(['kube', 'lint', '-c', config, '-'], stream);
    expect(result.code).toBe(1);
    expect(result.stdout.trimEnd().split('\n')).toEqual([
      expect.stringMatching(new RegExp(`^<stdin>:${lineOf(stream, 'terminationGracePeriodSeconds: 20')}: Deployment/web spec\\.template\\.spec\\.terminationGracePeriodSeconds: terminationGracePeriodSeconds 20 is not above`)),
    ]);
    expect(vitals(['kube', 'lint', '-c', config, '-'], CLEAN_DEPLOYMENT).code).toBe(0);
  });

  it('several files: findings from each, in order', () => {
    const a = file('a.yaml', withMistake('containerPort: 8080', 'containerPort: 81'));
    const b = file('b.yaml', withMistake('periodSeconds: 5', 'periodSeconds: 11'));
    const result = vitals(['kube', 'lint', '-c', config, a, b]);
    expect(result.code).toBe(1);
    expect(result.stdout.trimEnd().split('\n').map((line) => line.split(':')[0])).toEqual([a, b]);
  });

  it('nothing that runs vitals → exit 1 saying what it looked for', () => {
    const result = vitals(['kube', 'lint', '-c', config, file('other.yaml', 'kind: Deployment\nmetadata: { name: db }\nspec: { template: { spec: { containers: [{ name: pg, image: "postgres:16" }] } } }\n')]);
    expect(result.code).toBe(1);
    expect(result.stdout).toMatch(/no Deployment, StatefulSet, DaemonSet, Pod runs vitals \(looked for an image named \*vitals\*/);
  });

  it.each([
    [['kube', '--help'], /Usage: vitals kube \[options\] \[command\][\s\S]*probes[\s\S]*lint/],
    [['kube', 'lint', '--help'], /Usage: vitals kube lint \[options\] <manifest\.\.\.>[\s\S]*--config <file>/],
    [['kube', 'probes', '--help'], /Usage: vitals kube probes \[options\][\s\S]*--container <name>/],
  ])('%j prints help, exit 0', (args, usage) => {
    const result = vitals(args);
    expect(result.code).toBe(0);
    expect(result.stdout).toMatch(usage);
  });

  it.each([
    [['kube', 'lint'], /error: missing required argument 'manifest'/, /usage: vitals kube lint \[options\] <manifest\.\.\.>/],
    [['kube', 'lint', '--bogus', 'x.yaml'], /error: unknown option '--bogus'/, /usage: vitals kube lint/],
    [['kube', 'probes', 'extra'], /error: too many arguments/, /usage: vitals kube probes/],
    [['kube', 'nope'], /error: unknown command 'nope'/, /usage: vitals kube/],
  ])('usage error %j → exit 2 with the usage line, no stack', (args, error, usage) => {
    const result = vitals(args);
    expect(result.code).toBe(2);
    expect(result.stderr).toMatch(error);
    expect(result.stderr).toMatch(usage);
    expect(result.stderr).not.toMatch(STACK);
  });

  it('a missing manifest, a directory, bad YAML, a bad config → exit 2, one clear line', () => {
    const cases: [string[], RegExp][] = [
      [['kube', 'lint', '-c', config, join(dir, 'absent.yaml')], /absent\.yaml: cannot read \(file not found\)/],
      [['kube', 'lint', '-c', config, dir], /is a directory; pass its files/],
      [['kube', 'lint', '-c', config, file('broken.yaml', 'kind: Pod\nspec: [\n')], /broken\.yaml: not valid YAML: line \d+: /],
      [['kube', 'lint', '-c', file('bad-config.yaml', 'server: { port: nope }\nprobes: []\n'), file('c.yaml', CLEAN_DEPLOYMENT)], /server\.port/],
      [['kube', 'probes', '-c', join(dir, 'no-config.yaml')], /cannot read .*no-config\.yaml .*file not found/],
    ];
    for (const [args, pattern] of cases) {
      const result = vitals(args);
      expect(result.code, args.join(' ')).toBe(2);
      expect(result.stderr, args.join(' ')).toMatch(pattern);
      expect(result.stderr).not.toMatch(STACK);
      expect(result.stdout).toBe('');
    }
  });
});

describe('vitals kube probes', () => {
  it('prints a patch with a comment per field; merged into a manifest, it lints clean', () => {
    const result = vitals(['kube', 'probes', '-c', config, '--container', 'app']);
    expect(result.code).toBe(0);
    for (const comment of ['# server.port', 'probes[api].interval 10s', 'probes[slow].timeout 8s', 'probes[eventloop].fail.delayP99 1s', 'shutdown.drainDelay 5s + shutdown.timeout 20s']) {
      expect(result.stdout).toContain(comment);
    }
    // Every field line is preceded by its comment.
    const lines = result.stdout.split('\n');
    for (const [index, line] of lines.entries()) {
      if (/^\s+(port|periodSeconds|timeoutSeconds|failureThreshold|successThreshold|terminationGracePeriodSeconds):/.test(line)) {
        expect(lines[index - 1], line).toMatch(/^\s+# \S/);
      }
    }
    const patch = parse(result.stdout) as { spec: { template: { spec: { terminationGracePeriodSeconds: number; containers: Record<string, unknown>[] } } } };
    const deployment = parse(CLEAN_DEPLOYMENT) as typeof patch;
    deployment.spec.template.spec.terminationGracePeriodSeconds = patch.spec.template.spec.terminationGracePeriodSeconds;
    Object.assign(deployment.spec.template.spec.containers[1]!, patch.spec.template.spec.containers[0]);
    expect(vitals(['kube', 'lint', '-c', config, '-'], JSON.stringify(deployment))).toMatchObject({ code: 0, stdout: '' });
  });
});
