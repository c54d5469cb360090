import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { spawnSync } from 'node:child_process';
import { afterAll, describe, expect, it } from 'vitest';
import { parse, parseAllDocuments } from 'yaml';
import { parseDuration } from '../../src/core/duration.js';
import { interpolate } from './compose-env.js';
import { loadRuleGroups } from './rules.js';
import { ROOT } from './tools.js';
import { validateWithCli, type VitalsFile } from './vitals-config.js';

// Parse-level checks of deploy/k8s (no cluster here): the properties the
// Deployment promises, the wiring between the objects, and the vitals.yaml
// of the ConfigMap validated by the real CLI.

interface Manifest {
  apiVersion: string;
  kind: string;
  metadata: { name: string; labels?: Record<string, string> };
  [key: string]: unknown;
}
interface HttpProbe {
  httpGet?: { path: string; port: string | number };
  periodSeconds?: number;
  timeoutSeconds?: number;
  failureThreshold?: number;
  successThreshold?: number;
}
interface Container {
  name: string;
  image: string;
  args?: string[];
  ports?: { name?: string; containerPort: number }[];
  env?: { name: string; value?: string }[];
  envFrom?: { secretRef?: { name: string } }[];
  startupProbe?: HttpProbe;
  livenessProbe?: HttpProbe;
  readinessProbe?: HttpProbe;
  lifecycle?: { preStop?: { exec?: { command: string[] }; sleep?: { seconds: number } } };
  resources?: { requests?: Record<string, string>; limits?: Record<string, string> };
  securityContext?: {
    allowPrivilegeEscalation?: boolean;
    readOnlyRootFilesystem?: boolean;
    runAsNonRoot?: boolean;
    capabilities?: { drop?: string[] };
  };
  volumeMounts?: { name: string; mountPath: string }[];
}
interface PodSpec {
  terminationGracePeriodSeconds?: number;
  securityContext?: { runAsNonRoot?: boolean; runAsUser?: number };
  containers: Container[];
  volumes?: { name: string; configMap?: { name: string }; emptyDir?: object }[];
}

const K8S = join(ROOT, 'deploy/k8s');
const files = readdirSync(K8S).filter((f) => f.endsWith('.yaml'));
const manifests = new Map<string, Manifest>();
for (const file of files.filter((f) => f !== 'kustomization.yaml')) {
  for (const doc of parseAllDocuments(readFileSync(join(K8S, file), 'utf8'))) {
    if (doc.errors.length > 0) throw new Error(`${file}: ${doc.errors.map((e) => e.message).join('; ')}`);
    const manifest = doc.toJS() as Manifest | null;
    if (manifest?.kind) manifests.set(manifest.kind, manifest);
  }
}

function get<T extends Manifest>(kind: string): T {
  const manifest = manifests.get(kind);
  if (manifest === undefined) throw new Error(`no ${kind} in deploy/k8s`);
  return manifest as T;
}

const deployment = get<Manifest & { spec: { selector: { matchLabels: Record<string, string> }; template: { metadata: { labels: Record<string, string> }; spec: PodSpec } } }>('Deployment');
const pod = deployment.spec.template.spec;
const container = pod.containers[0] as Container;
const service = get<Manifest & { spec: { selector: Record<string, string>; ports: { name: string; port: number; targetPort: string | number }[] } }>('Service');
const configMap = get<Manifest & { data: Record<string, string> }>('ConfigMap');
const secret = get<Manifest & { stringData: Record<string, string> }>('Secret');
const serviceMonitor = get<Manifest & { spec: { selector: { matchLabels: Record<string, string> }; endpoints: { port: string; path: string }[] } }>('ServiceMonitor');
const prometheusRule = get<Manifest & { spec: { groups: unknown } }>('PrometheusRule');

const configArg = container.args?.[container.args.indexOf('--config') + 1] ?? '';
const configMount = container.volumeMounts?.find((m) => configArg.startsWith(`${m.mountPath}/`));
const configKey = configArg.slice((configMount?.mountPath.length ?? 0) + 1);
const vitalsYaml = configMap.data[configKey] ?? '';
const vitalsConfig = parse(vitalsYaml) as VitalsFile;
const drainMs = parseDuration(vitalsConfig.shutdown?.drainDelay ?? '5s') ?? NaN;
const shutdownMs = parseDuration(vitalsConfig.shutdown?.timeout ?? '25s') ?? NaN;

function preStopSeconds(): number {
  const preStop = container.lifecycle?.preStop;
  if (preStop?.sleep) return preStop.sleep.seconds;
  const command = preStop?.exec?.command ?? [];
  return command[0] === 'sleep' ? Number(command[1]) : 0;
}

describe('deploy/k8s manifests', () => {
  it('are well-formed objects with names and the app label', () => {
    expect([...manifests.keys()].sort()).toEqual(
      ['ConfigMap', 'Deployment', 'PodDisruptionBudget', 'PrometheusRule', 'Secret', 'Service', 'ServiceMonitor'].sort(),
    );
    for (const manifest of manifests.values()) {
      expect(manifest.apiVersion, manifest.kind).toMatch(/^([a-z.]+\/)?v\d/);
      expect(manifest.metadata.name, manifest.kind).toMatch(/^[a-z0-9-]+$/);
      expect(manifest.metadata.labels?.['app.kubernetes.io/name'], manifest.kind).toBe('vitals');
    }
  });

  it('kustomization lists every manifest but the Secret template', () => {
    const kustomization = parse(readFileSync(join(K8S, 'kustomization.yaml'), 'utf8')) as { resources: string[] };
    const expected = files.filter((f) => f !== 'kustomization.yaml' && f !== 'secret.example.yaml').sort();
    expect([...kustomization.resources].sort()).toEqual(expected);
    for (const resource of kustomization.resources) expect(existsSync(join(K8S, resource))).toBe(true);
  });
});

describe('Deployment', () => {
  it('probes liveness on /health, readiness on /ready, and has a startupProbe', () => {
    expect(container.livenessProbe?.httpGet?.path).toBe('/health');
    expect(container.readinessProbe?.httpGet?.path).toBe('/ready');
    expect(container.startupProbe?.httpGet?.path).toBe('/health');
    for (const probe of [container.livenessProbe, container.readinessProbe, container.startupProbe]) {
      expect(probe?.httpGet?.port).toBe(container.ports?.[0]?.name);
      expect(probe?.timeoutSeconds ?? 1).toBeGreaterThanOrEqual(1);
    }
  });

  it('relates kubelet timing to vitals timing', () => {
    const liveness = container.livenessProbe as Required<HttpProbe>;
    const readiness = container.readinessProbe as Required<HttpProbe>;
    const startup = container.startupProbe as Required<HttpProbe>;
    // A short event-loop stall or GC pause must not restart the pod.
    expect(liveness.periodSeconds * liveness.failureThreshold).toBeGreaterThanOrEqual(30);
    expect(liveness.timeoutSeconds).toBeGreaterThanOrEqual(2);
    // /ready answers from cached state: poll at least as often as the fastest probe runs...
    const fastestProbeMs = Math.min(...vitalsConfig.probes.map((p) => parseDuration(p.interval ?? '30s') ?? Infinity));
    expect(readiness.periodSeconds * 1000).toBeLessThanOrEqual(fastestProbeMs);
    // ...and do not stack a second long hysteresis on top of vitals' own.
    expect(readiness.periodSeconds * readiness.failureThreshold).toBeLessThanOrEqual(15);
    // Startup: enough time to start listening, then liveness takes over.
    expect(startup.periodSeconds * startup.failureThreshold).toBeGreaterThanOrEqual(30);
  });

  it('gives the pod more grace than preStop + drainDelay + shutdown timeout', () => {
    const pause = preStopSeconds();
    expect(pause).toBeGreaterThan(0);
    expect((pod.terminationGracePeriodSeconds ?? 30) * 1000).toBeGreaterThan(pause * 1000 + drainMs + shutdownMs);
  });

  it('runs non-root with a read-only root filesystem and no capabilities', () => {
    expect(pod.securityContext?.runAsNonRoot).toBe(true);
    expect(pod.securityContext?.runAsUser).toBeGreaterThan(0);
    expect(container.securityContext?.readOnlyRootFilesystem).toBe(true);
    expect(container.securityContext?.allowPrivilegeEscalation).toBe(false);
    expect(container.securityContext?.capabilities?.drop).toEqual(['ALL']);
    const tmp = container.volumeMounts?.find((m) => m.mountPath === '/tmp');
    expect(pod.volumes?.find((v) => v.name === tmp?.name)?.emptyDir).toBeDefined();
  });

  it('sets requests and a memory limit', () => {
    expect(container.resources?.requests?.cpu).toBeDefined();
    expect(container.resources?.requests?.memory).toBeDefined();
    expect(container.resources?.limits?.memory).toBeDefined();
  });

  it('runs the image version of package.json', () => {
    const { version } = JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')) as { version: string };
    expect(container.image).toBe(`vitals:${version}`);
  });

  it('mounts the ConfigMap where --config points, and reads the Secret', () => {
    expect(configMount).toBeDefined();
    expect(pod.volumes?.find((v) => v.name === configMount?.name)?.configMap?.name).toBe(configMap.metadata.name);
    expect(vitalsYaml.length).toBeGreaterThan(100);
    expect(container.envFrom?.map((e) => e.secretRef?.name)).toContain(secret.metadata.name);
  });
});

describe('the vitals.yaml of the ConfigMap', () => {
  const providedEnv: Record<string, string> = {
    ...Object.fromEntries(Object.entries(secret.stringData).map(([key, value]) => [key, value.replace(/<[^>]*>/g, 'x')])),
    ...Object.fromEntries((container.env ?? []).map((e) => [e.name, e.value ?? ''])),
  };
  const scratch = mkdtempSync(join(tmpdir(), 'vitals-k8s-'));
  afterAll(() => rmSync(scratch, { recursive: true, force: true }));

  it('listens on the container port', () => {
    expect(vitalsConfig.server?.port).toBe(container.ports?.[0]?.containerPort);
  });

  it('references only variables the Secret template or the Deployment provide', () => {
    const missing: string[] = [];
    interpolate(vitalsYaml, providedEnv, missing);
    expect(missing).toEqual([]);
    expect(Object.keys(secret.stringData)).toContain('VITALS_TOKEN');
  });

  it('passes `vitals config validate` with that environment', () => {
    const file = join(scratch, 'vitals.yaml');
    writeFileSync(file, vitalsYaml);
    const run = validateWithCli(file, providedEnv);
    expect(run.status, run.output).toBe(0);
  });
});

describe('Service, ServiceMonitor, PrometheusRule', () => {
  it('Service selects the pods and targets the named container port', () => {
    expect(service.spec.selector).toEqual(deployment.spec.selector.matchLabels);
    for (const [key, value] of Object.entries(service.spec.selector)) expect(deployment.spec.template.metadata.labels[key]).toBe(value);
    expect(service.spec.ports[0]?.targetPort).toBe(container.ports?.[0]?.name);
  });

  it('ServiceMonitor scrapes /metrics on the Service port, and its job name matches VitalsDown', () => {
    for (const [key, value] of Object.entries(serviceMonitor.spec.selector.matchLabels)) expect(service.metadata.labels?.[key]).toBe(value);
    expect(serviceMonitor.spec.endpoints[0]?.port).toBe(service.spec.ports[0]?.name);
    expect(serviceMonitor.spec.endpoints[0]?.path).toBe('/metrics');
    // The operator's job label is the Service name.
    expect(service.metadata.name).toMatch(/vitals/);
  });

  it('PrometheusRule carries exactly the rules of deploy/prometheus/alerts.yml (node deploy/k8s/generate-prometheusrule.mjs)', () => {
    expect(prometheusRule.apiVersion).toBe('monitoring.coreos.com/v1');
    expect(prometheusRule.spec.groups).toEqual(loadRuleGroups());
  });
});

const kubectl = spawnSync('sh', ['-c', 'command -v kubectl'], { encoding: 'utf8' }).stdout.trim();

// kubectl is not part of the test dependencies; where it exists, it checks
// that the kustomization builds (offline, no cluster needed).
describe.skipIf(kubectl === '')('kubectl kustomize', () => {
  it('builds deploy/k8s', () => {
    const run = spawnSync(kubectl, ['kustomize', K8S], { encoding: 'utf8', timeout: 30_000 });
    expect(run.status, run.stderr).toBe(0);
    const kinds = parseAllDocuments(run.stdout).map((doc) => (doc.toJS() as Manifest).kind);
    expect(kinds.sort()).toEqual(['ConfigMap', 'Deployment', 'PodDisruptionBudget', 'PrometheusRule', 'Service', 'ServiceMonitor'].sort());
  });
});
