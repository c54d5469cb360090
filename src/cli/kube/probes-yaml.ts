import type { HttpProbeFields, Noted, Recommendation } from './recommend.js';

/**
 * The recommendation as a strategic-merge patch of a Deployment's pod
 * template. Indented as deploy/k8s/deployment.yaml is, so the container fields
 * can also be pasted line for line; written by hand rather than by a YAML
 * stringifier so that each field carries its comment on its own line.
 */
export function probesYaml(rec: Recommendation, source: string, container: string): string {
  const lines: string[] = [
    `# vitals kube probes — derived from ${source}`,
    '# kubectl patch deployment NAME --patch-file THIS, or copy the fields into the',
    `# container that runs vitals (name "${container}" below; change it to yours).`,
    'spec:',
    '  template:',
    '    spec:',
    ...field(6, 'terminationGracePeriodSeconds', rec.terminationGracePeriodSeconds),
    '      containers:',
    `        - name: ${JSON.stringify(container)}`,
    ...httpProbe(10, 'startupProbe', rec.startupProbe),
    ...httpProbe(10, 'livenessProbe', rec.livenessProbe),
    ...httpProbe(10, 'readinessProbe', rec.readinessProbe),
    `${pad(10)}lifecycle:`,
    `${pad(12)}preStop:`,
    `${pad(14)}# ${rec.preStopSleepSeconds.why}`,
    `${pad(14)}exec:`,
    `${pad(16)}command: ["sleep", "${rec.preStopSleepSeconds.value}"]`,
  ];
  return `${lines.join('\n')}\n`;
}

const pad = (n: number): string => ' '.repeat(n);

function field(indent: number, key: string, noted: Noted<number>): string[] {
  return [`${pad(indent)}# ${noted.why}`, `${pad(indent)}${key}: ${noted.value}`];
}

function httpProbe(indent: number, key: string, probe: HttpProbeFields): string[] {
  const inner = indent + 2;
  return [
    `${pad(indent)}${key}:`,
    `${pad(inner)}httpGet:`,
    `${pad(inner + 2)}path: ${probe.path}`,
    ...field(inner + 2, 'port', probe.port),
    ...field(inner, 'periodSeconds', probe.periodSeconds),
    ...field(inner, 'timeoutSeconds', probe.timeoutSeconds),
    ...field(inner, 'failureThreshold', probe.failureThreshold),
    ...(probe.successThreshold === undefined ? [] : field(inner, 'successThreshold', probe.successThreshold)),
  ];
}
