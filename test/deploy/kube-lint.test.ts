import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { parse, parseAllDocuments, parseDocument } from 'yaml';
import { ROOT } from './tools.js';
import { CLI } from './vitals-config.js';

// `vitals kube lint` on the repository's own deploy/k8s, against the vitals.yaml
// its ConfigMap ships, with the environment its Secret template and Deployment
// provide: the files directly, and as one kustomize-ordered stream on stdin.
// scripts/ci-kube-lint.sh does the same with real `kubectl kustomize` output.

const K8S = join(ROOT, 'deploy/k8s');
const read = (file: string): string => readFileSync(join(K8S, file), 'utf8');
const objects = (file: string): Record<string, unknown>[] => parseAllDocuments(read(file)).map((doc) => doc.toJS() as Record<string, unknown>);

const resources = (parse(read('kustomization.yaml')) as { resources: string[] }).resources;
const configMap = objects('configmap.yaml')[0] as { data: Record<string, string> };
const secret = objects('secret.example.yaml')[0] as { stringData: Record<string, string> };
const deployment = objects('deployment.yaml')[0] as { spec: { template: { spec: { containers: { env?: { name: string; value?: string }[] }[] } } } };
const env: Record<string, string> = {
  PATH: process.env.PATH ?? '',
  ...Object.fromEntries(Object.entries(secret.stringData).map(([key, value]) => [key, value.replace(/<[^>]*>/g, 'x')])),
  ...Object.fromEntries((deployment.spec.template.spec.containers[0]?.env ?? []).map((e) => [e.name, e.value ?? ''])),
};

const scratch = mkdtempSync(join(tmpdir(), 'vitals-kube-lint-'));
afterAll(() => rmSync(scratch, { recursive: true, force: true }));
const config = join(scratch, 'vitals.yaml');
writeFileSync(config, configMap.data['vitals.yaml'] ?? '');

function vitals(args: string[], input = ''): { status: number | null; stdout: string; stderr: string } {
  const run = spawnSync(process.execPath, [CLI, ...args], { env, input, encoding: 'utf8', timeout: 20_000 });
  return { status: run.status, stdout: run.stdout, stderr: run.stderr };
}

describe('vitals kube lint on deploy/k8s', () => {
  it('the files directly: clean', () => {
    const run = vitals(['kube', 'lint', '--config', config, ...resources.map((r) => join(K8S, r))]);
    expect(run.stdout).toBe('');
    expect(run.status, run.stderr).toBe(0);
    expect(run.stderr).toMatch(/1 workload agree/);
  });

  it('the kustomization’s resources as one stream on stdin: clean', () => {
    const stream = resources.map(read).join('\n---\n');
    const run = vitals(['kube', 'lint', '--config', config, '-'], stream);
    expect(run.status, run.stdout + run.stderr).toBe(0);
  });

  it('`vitals kube probes` pasted into deployment.yaml’s container lints clean, and deployment.yaml already agrees with it', () => {
    const printed = vitals(['kube', 'probes', '--config', config]);
    expect(printed.status, printed.stderr).toBe(0);
    const patch = parse(printed.stdout) as { spec: { template: { spec: { terminationGracePeriodSeconds: number; containers: Record<string, unknown>[] } } } };
    const { containers: [fields], terminationGracePeriodSeconds } = patch.spec.template.spec;
    const doc = parseDocument(read('deployment.yaml'));
    const containerPath = ['spec', 'template', 'spec', 'containers', 0];
    expect(doc.getIn([...containerPath, 'name'])).toBe(fields?.name);
    doc.setIn(['spec', 'template', 'spec', 'terminationGracePeriodSeconds'], terminationGracePeriodSeconds);
    for (const [key, value] of Object.entries(fields ?? {})) if (key !== 'name') doc.setIn([...containerPath, key], doc.createNode(value));
    const merged = join(scratch, 'deployment.merged.yaml');
    writeFileSync(merged, doc.toString());
    const run = vitals(['kube', 'lint', '--config', config, merged]);
    expect(run.status, run.stdout + run.stderr).toBe(0);

    // The shipped numbers are the derived ones (the port there is the named "http" = server.port).
    const shipped = parse(read('deployment.yaml')) as typeof patch;
    const container = shipped.spec.template.spec.containers[0] as Record<string, Record<string, unknown>>;
    expect(shipped.spec.template.spec.terminationGracePeriodSeconds).toBe(terminationGracePeriodSeconds);
    for (const key of ['startupProbe', 'livenessProbe', 'readinessProbe']) {
      const want = { ...(fields?.[key] as Record<string, unknown>), httpGet: undefined };
      expect({ ...container[key], httpGet: undefined }, key).toEqual(want);
    }
    expect(container.lifecycle).toEqual(fields?.lifecycle);
  });
});

const kubectl = spawnSync('sh', ['-c', 'command -v kubectl'], { encoding: 'utf8' }).stdout.trim();

describe.skipIf(kubectl === '')('kubectl kustomize deploy/k8s | vitals kube lint -', () => {
  it('is clean', () => {
    const built = spawnSync(kubectl, ['kustomize', K8S], { encoding: 'utf8', timeout: 30_000 });
    expect(built.status, built.stderr).toBe(0);
    const run = vitals(['kube', 'lint', '--config', config, '-'], built.stdout);
    expect(run.status, run.stdout + run.stderr).toBe(0);
  });
});
