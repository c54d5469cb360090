import type { PathSegment } from '../../config/errors.js';
import { formatDuration } from '../../core/duration.js';
import { getPath, ports, record, type VitalsContainer } from './manifest.js';
import { probeSetting, seconds, type KubeTiming } from './timing.js';

/** One contradiction between a manifest and the config. */
export interface Finding {
  /** Absolute path in the object, e.g. spec.template.spec.containers[0].livenessProbe.httpGet.path. */
  path: PathSegment[];
  message: string;
}

/** The kubelet's defaults for fields left out (Kubernetes API reference, core/v1 Probe and PodSpec). */
const KUBELET_DEFAULT = { periodSeconds: 10, timeoutSeconds: 1, failureThreshold: 3, initialDelaySeconds: 0, terminationGracePeriodSeconds: 30 };

type ProbeKey = 'startupProbe' | 'livenessProbe' | 'readinessProbe';
const PROBE_KEYS: readonly ProbeKey[] = ['startupProbe', 'livenessProbe', 'readinessProbe'];

/** Every rule of CONTRACT §12, in the order of the container's fields. */
export function lintContainer(target: VitalsContainer, timing: KubeTiming): Finding[] {
  return [
    ...containerPort(target, timing),
    ...PROBE_KEYS.flatMap((key) => probePort(target, timing, key)),
    ...livenessEndpoint(target, timing),
    ...answerTimeouts(target, timing),
    ...readinessPeriod(target, timing),
    ...startupBudget(target, timing),
    ...gracePeriod(target, timing),
  ];
}

const numberAt = (object: unknown, key: string, fallback: number): number => {
  const value = record(object)?.[key];
  return typeof value === 'number' ? value : fallback;
};

/** The container must expose server.port when it declares ports at all. */
export function containerPort(target: VitalsContainer, timing: KubeTiming): Finding[] {
  const list = ports(target.container);
  if (list.length === 0 || list.some((p) => p.containerPort === timing.port)) return [];
  const first = list[0]!;
  return [
    {
      path: [...target.containerPath, 'ports', first.index, 'containerPort'],
      message: `container port ${first.containerPort ?? '(none)'} ≠ server.port ${timing.port}: vitals listens on ${timing.port}, so the Service and the kubelet reach nothing`,
    },
  ];
}

/** A probe's httpGet.port, by number or by the name of a container port, must reach server.port. */
export function probePort(target: VitalsContainer, timing: KubeTiming, key: ProbeKey): Finding[] {
  const port = getPath(target.container, [key, 'httpGet', 'port']);
  if (port === undefined) return [];
  const path = [...target.containerPath, key, 'httpGet', 'port'];
  if (typeof port === 'number') {
    return port === timing.port ? [] : [{ path, message: `${key} port ${port} ≠ server.port ${timing.port}: the kubelet would probe a port vitals does not listen on` }];
  }
  const named = ports(target.container).find((p) => p.name === String(port));
  if (named === undefined) return [{ path, message: `${key} port "${String(port)}" names no port of the container (want server.port ${timing.port})` }];
  // A named port that is itself wrong is reported once, on the container port.
  return [];
}

const DEEP_HINT = 'liveness must not depend on dependencies: when the database blips every pod restarts at once; use /health';

/** Liveness on /health (or /health/{live probe}) only: anything deeper restarts pods for a dependency's outage. */
export function livenessEndpoint(target: VitalsContainer, timing: KubeTiming): Finding[] {
  const probe = record(target.container.livenessProbe);
  if (probe === undefined) return [];
  const base = [...target.containerPath, 'livenessProbe'];
  const httpPath = getPath(probe, ['httpGet', 'path']);
  if (typeof httpPath === 'string') {
    const path = httpPath.split('?')[0] ?? '';
    const probeName = path.startsWith('/health/') ? path.slice('/health/'.length) : undefined;
    if (path === '/health' || (probeName !== undefined && timing.liveProbeNames.has(probeName))) return [];
    const why =
      probeName !== undefined
        ? `/health/${probeName} is not a probe of group live (404, or a dependency): ${DEEP_HINT}`
        : path === '/ready' || path.startsWith('/ready/')
          ? `liveness points at ${path}, which fails when a dependency fails: ${DEEP_HINT}`
          : `liveness points at ${path}, not a liveness endpoint: ${DEEP_HINT}`;
    return [{ path: [...base, 'httpGet', 'path'], message: why }];
  }
  const exec = record(probe.exec);
  if (exec !== undefined) {
    const command = Array.isArray(exec.command) ? exec.command.map(String).join(' ') : '';
    if (/\/ready|\/diagnostics|\bcheck\b/.test(command)) {
      return [{ path: [...base, 'exec', 'command'], message: `liveness runs "${command}", which checks dependencies: ${DEEP_HINT}` }];
    }
  }
  return [];
}

/** Every kubelet probe of vitals' endpoints must allow the answer budget, or it acts on a stall vitals calls healthy. */
export function answerTimeouts(target: VitalsContainer, timing: KubeTiming): Finding[] {
  const findings: Finding[] = [];
  for (const key of PROBE_KEYS) {
    const probe = record(target.container[key]);
    if (probe?.httpGet === undefined) continue;
    const timeout = numberAt(probe, 'timeoutSeconds', KUBELET_DEFAULT.timeoutSeconds);
    if (timeout >= timing.answerBudgetS) continue;
    findings.push({
      path: [...target.containerPath, key, 'timeoutSeconds'],
      message: `${key} timeoutSeconds ${timeout} is below the /ready budget ${seconds(timing.answerBudgetS)} (${timing.answerBudgetWhy}): a stall vitals still calls healthy fails the probe`,
    });
  }
  return findings;
}

/** /ready can change every fastest-interval; a slower kubelet period only delays what vitals already knows. */
export function readinessPeriod(target: VitalsContainer, timing: KubeTiming): Finding[] {
  const probe = record(target.container.readinessProbe);
  const fastest = timing.fastestGating;
  if (probe === undefined || fastest === undefined) return [];
  const period = numberAt(probe, 'periodSeconds', KUBELET_DEFAULT.periodSeconds);
  if (period * 1000 <= fastest.intervalMs) return [];
  return [
    {
      path: [...target.containerPath, 'readinessProbe', 'periodSeconds'],
      message: `readiness periodSeconds ${period} is slower than the fastest ready probe, ${probeSetting(fastest, 'interval')}: a failure waits up to ${seconds(period)} more to leave the Service`,
    },
  ];
}

/** The kubelet must wait at least as long as /ready's first round takes. */
export function startupBudget(target: VitalsContainer, timing: KubeTiming): Finding[] {
  const probe = record(target.container.startupProbe);
  const slowest = timing.slowestFirstRun;
  if (probe === undefined || slowest === undefined) return [];
  const period = numberAt(probe, 'periodSeconds', KUBELET_DEFAULT.periodSeconds);
  const failures = numberAt(probe, 'failureThreshold', KUBELET_DEFAULT.failureThreshold);
  const delay = numberAt(probe, 'initialDelaySeconds', KUBELET_DEFAULT.initialDelaySeconds);
  const budgetS = delay + period * failures;
  if (budgetS * 1000 >= slowest.timeoutMs) return [];
  return [
    {
      path: [...target.containerPath, 'startupProbe', 'failureThreshold'],
      message: `startup budget ${seconds(budgetS)} (initialDelaySeconds ${delay} + ${failures} × ${period}s) is shorter than the slowest ready probe's first run, ${probeSetting(slowest, 'timeout')}: pods are restarted before /ready can leave "starting"`,
    },
  ];
}

/** preStop runs first, then vitals drains and shuts down: the kubelet's SIGKILL must come after all of it. */
export function gracePeriod(target: VitalsContainer, timing: KubeTiming): Finding[] {
  const grace = numberAt(target.pod, 'terminationGracePeriodSeconds', KUBELET_DEFAULT.terminationGracePeriodSeconds);
  const preStopS = preStopSeconds(target.container);
  const neededMs = preStopS * 1000 + timing.drainDelayMs + timing.shutdownTimeoutMs;
  if (grace * 1000 > neededMs) return [];
  const written = target.pod.terminationGracePeriodSeconds !== undefined;
  return [
    {
      path: [...target.podPath, 'terminationGracePeriodSeconds'],
      message: `terminationGracePeriodSeconds ${grace}${written ? '' : ' (the default)'} is not above preStop ${preStopS}s + shutdown.drainDelay ${formatDuration(timing.drainDelayMs)} + shutdown.timeout ${formatDuration(timing.shutdownTimeoutMs)} = ${seconds(neededMs / 1000)}: the kubelet kills vitals mid-drain`,
    },
  ];
}

/** `sleep: {seconds}` (Kubernetes ≥ 1.29) or `exec: ["sleep", N]` (also via sh -c); other hooks count as 0. */
export function preStopSeconds(container: Record<string, unknown>): number {
  const preStop = record(getPath(container, ['lifecycle', 'preStop']));
  if (preStop === undefined) return 0;
  const sleep = numberAt(preStop.sleep, 'seconds', NaN);
  if (Number.isFinite(sleep)) return sleep;
  const command = getPath(preStop, ['exec', 'command']);
  const text = Array.isArray(command) ? command.map(String).join(' ') : '';
  const match = /\bsleep\s+(\d+(?:\.\d+)?)\b/.exec(text);
  return match === null ? 0 : Number(match[1]);
}
