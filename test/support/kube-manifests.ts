/**
 * A vitals config and a Deployment that agrees with it, shared by the unit and
 * CLI tests of `vitals kube lint`: each test changes exactly one line of the
 * clean manifest to make exactly one mistake.
 */
export const KUBE_CONFIG = `server: { port: 8080 }
shutdown: { drainDelay: 5s, timeout: 20s }
probes:
  - { name: api, type: tcp, host: 127.0.0.1, port: 9, interval: 10s, timeout: 2s }
  - { name: slow, type: tcp, host: 127.0.0.1, port: 9, interval: 30s, timeout: 8s }
  # Non-critical: its 2s interval must not set the readiness period (a failure answers 200 warn).
  - { name: audit, type: tcp, host: 127.0.0.1, port: 9, interval: 2s, timeout: 1s, critical: false }
  - { name: eventloop, type: eventloop }
`;

export const CLEAN_DEPLOYMENT = `apiVersion: apps/v1
kind: Deployment
metadata:
  name: web
spec:
  template:
    spec:
      terminationGracePeriodSeconds: 40
      containers:
        - name: sidecar
          image: envoyproxy/envoy:v1.30
          ports:
            - containerPort: 9901
        - name: app
          image: registry.example/team/vitals:1.2.3
          ports:
            - name: http
              containerPort: 8080
          startupProbe:
            httpGet: { path: /health, port: http }
            periodSeconds: 2
            timeoutSeconds: 2
            failureThreshold: 10
          livenessProbe:
            httpGet: { path: /health, port: http }
            periodSeconds: 10
            timeoutSeconds: 3
          readinessProbe:
            httpGet: { path: /ready, port: 8080 }
            periodSeconds: 5
            timeoutSeconds: 2
          lifecycle:
            preStop:
              exec:
                command: ["sleep", "5"]
`;

/** The clean manifest with one line replaced; throws if `from` is not in it, so a test cannot silently test nothing. */
export function withMistake(from: string, to: string, base = CLEAN_DEPLOYMENT): string {
  if (!base.includes(from)) throw new Error(`manifest fixture has no ${JSON.stringify(from)}`);
  return base.replace(from, to);
}

/** 1-based line of the first occurrence of `text` in `yaml`. */
export function lineOf(yaml: string, text: string): number {
  const index = yaml.indexOf(text);
  if (index < 0) throw new Error(`no ${JSON.stringify(text)}`);
  return yaml.slice(0, index).split('\n').length;
}

/** One mistake per rule of CONTRACT §12: [name, from, to, field path, line text, message pattern]. */
export const MISTAKES: ReadonlyArray<readonly [string, string, string, string, string, RegExp]> = [
  ['liveness on /ready', 'httpGet: { path: /health, port: http }\n            periodSeconds: 10', 'httpGet: { path: /ready, port: http }\n            periodSeconds: 10', 'spec.template.spec.containers[1].livenessProbe.httpGet.path', 'path: /ready, port: http', /liveness points at \/ready.*every pod restarts/],
  ['readiness period slower than the fastest ready probe', 'periodSeconds: 5', 'periodSeconds: 15', 'spec.template.spec.containers[1].readinessProbe.periodSeconds', 'periodSeconds: 15', /periodSeconds 15 is slower than the fastest ready probe, probes\[api\]\.interval 10s/],
  ['readiness timeout below the /ready budget', 'periodSeconds: 5\n            timeoutSeconds: 2', 'periodSeconds: 5\n            timeoutSeconds: 1', 'spec.template.spec.containers[1].readinessProbe.timeoutSeconds', 'timeoutSeconds: 1', /timeoutSeconds 1 is below the \/ready budget 2s \(probes\[eventloop\]\.fail\.delayP99 1s \+ 1s\)/],
  ['startup budget shorter than the slowest first run', 'failureThreshold: 10', 'failureThreshold: 3', 'spec.template.spec.containers[1].startupProbe.failureThreshold', 'failureThreshold: 3', /startup budget 6s .* shorter than the slowest ready probe's first run, probes\[slow\]\.timeout 8s/],
  ['grace period not above preStop + drain + shutdown', 'terminationGracePeriodSeconds: 40', 'terminationGracePeriodSeconds: 30', 'spec.template.spec.terminationGracePeriodSeconds', 'terminationGracePeriodSeconds: 30', /30 is not above preStop 5s \+ shutdown\.drainDelay 5s \+ shutdown\.timeout 20s = 30s/],
  ['container port ≠ server.port', 'containerPort: 8080', 'containerPort: 9090', 'spec.template.spec.containers[1].ports[0].containerPort', 'containerPort: 9090', /container port 9090 ≠ server\.port 8080/],
];
