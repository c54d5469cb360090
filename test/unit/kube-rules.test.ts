import { describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { findVitalsContainer, parseManifests } from '../../src/cli/kube/manifest.js';
import { probesYaml } from '../../src/cli/kube/probes-yaml.js';
import { recommend } from '../../src/cli/kube/recommend.js';
import { lintContainer, preStopSeconds } from '../../src/cli/kube/rules.js';
import { kubeTiming } from '../../src/cli/kube/timing.js';
import { formatPath } from '../../src/config/errors.js';
import { parseConfigText } from '../../src/config/load.js';
import { CLEAN_DEPLOYMENT, KUBE_CONFIG, lineOf, MISTAKES, withMistake } from '../support/kube-manifests.js';

const timing = kubeTiming(parseConfigText(KUBE_CONFIG, 'kube.yaml', {}));

function lint(text: string): { path: string; line: number; message: string }[] {
  const parsed = parseManifests(text, timing.port);
  expect(parsed.errors).toEqual([]);
  return parsed.containers.flatMap((target) =>
    lintContainer(target, timing).map((f) => ({ path: formatPath(f.path), line: target.lineOf(f.path), message: f.message })),
  );
}

describe('kubeTiming: the numbers read from the effective config', () => {
  it('takes the fastest critical ready probe, the slowest first run, and the eventloop threshold', () => {
    expect(timing.port).toBe(8080);
    expect(timing.fastestGating?.name).toBe('api'); // not audit: non-critical
    expect(timing.slowestFirstRun?.name).toBe('slow');
    expect(timing.answerBudgetS).toBe(2);
    expect([...timing.liveProbeNames]).toEqual(['eventloop']);
  });

  it('a stricter eventloop threshold and a slower probe change the budget', () => {
    const config = parseConfigText('probes:\n  - { name: el, type: eventloop, fail: { delayP99: 2500 } }\n', 'x.yaml', {});
    expect(kubeTiming(config).answerBudgetS).toBe(4);
  });
});

describe('lint rules: one finding per mistake', () => {
  it('the clean Deployment has no finding', () => {
    expect(lint(CLEAN_DEPLOYMENT)).toEqual([]);
  });

  it.each(MISTAKES)('%s', (_name, from, to, path, lineText, message) => {
    const text = withMistake(from, to);
    const findings = lint(text);
    expect(findings).toHaveLength(1);
    expect(findings[0]).toMatchObject({ path, line: lineOf(text, lineText) });
    expect(findings[0]?.message).toMatch(message);
  });

  it('a field left out counts at the kubelet default (timeoutSeconds 1, grace 30s)', () => {
    const noTimeout = withMistake('periodSeconds: 5\n            timeoutSeconds: 2\n', 'periodSeconds: 5\n');
    expect(lint(noTimeout).map((f) => f.path)).toEqual(['spec.template.spec.containers[1].readinessProbe.timeoutSeconds']);
    const noGrace = withMistake('      terminationGracePeriodSeconds: 40\n', '');
    expect(lint(noGrace)[0]?.message).toMatch(/terminationGracePeriodSeconds 30 \(the default\) is not above/);
  });

  it('liveness on a deep or unknown endpoint, by path or by exec', () => {
    const at = (path: string): string[] => lint(withMistake('path: /health, port: http }\n            periodSeconds: 10', `path: ${path}, port: http }\n            periodSeconds: 10`)).map((f) => f.message);
    expect(at('/health/eventloop')).toEqual([]);
    expect(at('/health?verbose')).toEqual([]);
    expect(at('/health/api')[0]).toMatch(/\/health\/api is not a probe of group live/);
    expect(at('/ready/api')[0]).toMatch(/liveness points at \/ready\/api/);
    expect(at('/diagnostics')[0]).toMatch(/not a liveness endpoint/);
    const exec = withMistake('httpGet: { path: /health, port: http }\n            periodSeconds: 10', 'exec: { command: [vitals, check] }\n            periodSeconds: 10');
    expect(lint(exec).map((f) => f.path)).toEqual(['spec.template.spec.containers[1].livenessProbe.exec.command']);
  });

  it('a probe port by number or by a name the container lacks', () => {
    const number = lint(withMistake('httpGet: { path: /ready, port: 8080 }', 'httpGet: { path: /ready, port: 9000 }'));
    expect(number.map((f) => f.message)).toEqual([expect.stringMatching(/readinessProbe port 9000 ≠ server\.port 8080/)]);
    const name = lint(withMistake('httpGet: { path: /ready, port: 8080 }', 'httpGet: { path: /ready, port: web }'));
    expect(name[0]?.message).toMatch(/port "web" names no port of the container/);
  });

  it('every kind the contract names, several documents, other objects skipped', () => {
    const pod = withMistake('terminationGracePeriodSeconds: 40', 'terminationGracePeriodSeconds: 10', 'apiVersion: v1\nkind: Pod\nmetadata: { name: p }\nspec:\n  terminationGracePeriodSeconds: 40\n  containers:\n    - { name: v, image: vitals:1 }\n');
    const statefulSet = CLEAN_DEPLOYMENT.replace('kind: Deployment', 'kind: StatefulSet').replace('periodSeconds: 5', 'periodSeconds: 20');
    const daemonSet = CLEAN_DEPLOYMENT.replace('kind: Deployment', 'kind: DaemonSet');
    const text = ['apiVersion: v1\nkind: Service\nmetadata: { name: s }\n', pod, statefulSet, daemonSet].join('---\n');
    const parsed = parseManifests(text, 8080);
    expect(parsed.containers.map((c) => c.workload)).toEqual(['Pod/p', 'StatefulSet/web', 'DaemonSet/web']);
    const findings = lint(text);
    expect(findings.map((f) => f.path)).toEqual(['spec.terminationGracePeriodSeconds', 'spec.template.spec.containers[1].readinessProbe.periodSeconds']);
    expect(findings[1]?.line).toBe(lineOf(text, 'periodSeconds: 20'));
  });

  it('reports YAML syntax errors with their line instead of guessing', () => {
    expect(parseManifests('kind: Pod\nspec: [\n', 8080).errors[0]).toMatch(/^line \d+: /);
  });
});

describe('finding the container that runs vitals', () => {
  it('by image name, then command, then the only container on server.port', () => {
    expect(findVitalsContainer([{ image: 'vitals-registry.example/nginx:1' }, { image: 'x/vitals:2' }], 8080)?.index).toBe(1);
    expect(findVitalsContainer([{ image: 'node:20', args: ['node', 'dist/src/cli/main.js', 'serve'] }], 8080)?.index).toBe(0);
    expect(findVitalsContainer([{ image: 'node:20', command: ['npx', 'vitals', 'serve'] }], 8080)?.index).toBe(0);
    expect(findVitalsContainer([{ image: 'a' }, { image: 'b', ports: [{ containerPort: 8080 }] }], 8080)?.index).toBe(1);
    // Two containers on the port: no guess.
    expect(findVitalsContainer([{ image: 'a', ports: [{ containerPort: 8080 }] }, { image: 'b', ports: [{ containerPort: 8080 }] }], 8080)).toBeUndefined();
    expect(findVitalsContainer([{ image: 'postgres:16' }], 8080)).toBeUndefined();
  });

  it('reads preStop as exec sleep, sh -c sleep, or the sleep action', () => {
    expect(preStopSeconds({ lifecycle: { preStop: { exec: { command: ['sleep', '5'] } } } })).toBe(5);
    expect(preStopSeconds({ lifecycle: { preStop: { exec: { command: ['/bin/sh', '-c', 'sleep 7 && true'] } } } })).toBe(7);
    expect(preStopSeconds({ lifecycle: { preStop: { sleep: { seconds: 3 } } } })).toBe(3);
    expect(preStopSeconds({})).toBe(0);
  });
});

describe('kube probes: derived settings', () => {
  const rec = recommend(timing);

  it('derives each number from the config value its comment names', () => {
    expect(rec.readinessProbe.periodSeconds).toEqual({ value: 5, why: expect.stringContaining('probes[api].interval 10s') });
    expect(rec.readinessProbe.timeoutSeconds.value).toBe(2);
    expect(rec.startupProbe.failureThreshold.value * rec.startupProbe.periodSeconds.value).toBeGreaterThanOrEqual(8 + 60);
    expect(rec.terminationGracePeriodSeconds.value).toBeGreaterThan(5 + 5 + 20);
    expect(rec.livenessProbe.port.value).toBe(8080);
  });

  it('prints a patch whose container fields lint clean when merged into the clean fixture', () => {
    const patch = parse(probesYaml(rec, 'kube.yaml', 'app')) as { spec: { template: { spec: { terminationGracePeriodSeconds: number; containers: Record<string, unknown>[] } } } };
    const printed = patch.spec.template.spec;
    expect(printed.containers[0]?.name).toBe('app');
    const deployment = parse(CLEAN_DEPLOYMENT) as { spec: { template: { spec: { terminationGracePeriodSeconds: number; containers: Record<string, unknown>[] } } } };
    const pod = deployment.spec.template.spec;
    pod.terminationGracePeriodSeconds = printed.terminationGracePeriodSeconds;
    Object.assign(pod.containers[1]!, printed.containers[0]);
    expect(lint(JSON.stringify(deployment))).toEqual([]);
  });

  it('a readiness period is never slower than the fastest probe, even for 1s intervals', () => {
    const fast = kubeTiming(parseConfigText('probes:\n  - { name: a, type: tcp, host: 127.0.0.1, port: 9, interval: 1s, timeout: 500ms }\n', 'x.yaml', {}));
    expect(recommend(fast).readinessProbe.periodSeconds.value).toBe(1);
  });
});
