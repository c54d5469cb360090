import { formatDuration } from '../../core/duration.js';
import { probeSetting, seconds, type KubeTiming } from './timing.js';

/** A value and the config setting it follows, written as a YAML comment. */
export interface Noted<T> {
  value: T;
  why: string;
}

export interface HttpProbeFields {
  path: string;
  port: Noted<number>;
  periodSeconds: Noted<number>;
  timeoutSeconds: Noted<number>;
  failureThreshold: Noted<number>;
  successThreshold?: Noted<number>;
}

export interface Recommendation {
  terminationGracePeriodSeconds: Noted<number>;
  startupProbe: HttpProbeFields;
  livenessProbe: HttpProbeFields;
  readinessProbe: HttpProbeFields;
  preStopSleepSeconds: Noted<number>;
}

/**
 * Time for the removal of a terminating pod's endpoint to reach every
 * kube-proxy and ingress. Not a vitals setting: preStop runs before SIGTERM,
 * so vitals' own drain (shutdown.drainDelay) starts only after it.
 */
const PRE_STOP_SLEEP_S = 5;
/** After preStop + drain + shutdown: room for the runtime to deliver SIGTERM and for the last log lines. */
const GRACE_MARGIN_S = 10;
/** A process that has not listened after the first round of probes plus this much is stuck (cold node, CPU contention). */
const START_MARGIN_S = 60;
const STARTUP_PERIOD_S = 2;
/** Poll /ready at half the fastest gating probe's interval: a change reaches the Service within half an interval. */
const READINESS_MAX_PERIOD_S = 10;
/** vitals already applies hysteresis; the kubelet adds one confirmation, not a second long delay. */
const READINESS_FAILURES = 2;
/** 3 misses × 10 s: one slow answer or a GC pause never restarts the pod. */
const LIVENESS_PERIOD_S = 10;
const LIVENESS_FAILURES = 3;

export function recommend(timing: KubeTiming): Recommendation {
  const port: Noted<number> = { value: timing.port, why: 'server.port' };
  const budget = timing.answerBudgetS;
  const budgetWhy = `/health and /ready answer from cached state; budget = ${timing.answerBudgetWhy}`;

  const fastest = timing.fastestGating;
  const readinessPeriod =
    fastest === undefined ? READINESS_MAX_PERIOD_S : Math.max(1, Math.min(READINESS_MAX_PERIOD_S, Math.floor(fastest.intervalMs / 2000)));
  const slowest = timing.slowestFirstRun;
  const firstRunS = slowest === undefined ? 0 : Math.ceil(slowest.timeoutMs / 1000);
  const startupFailures = Math.ceil((firstRunS + START_MARGIN_S) / STARTUP_PERIOD_S);
  const preStop = PRE_STOP_SLEEP_S;
  const shutdownS = Math.ceil((timing.drainDelayMs + timing.shutdownTimeoutMs) / 1000);

  return {
    terminationGracePeriodSeconds: {
      value: preStop + shutdownS + GRACE_MARGIN_S,
      why: `> preStop ${preStop}s + shutdown.drainDelay ${formatDuration(timing.drainDelayMs)} + shutdown.timeout ${formatDuration(timing.shutdownTimeoutMs)}, + ${GRACE_MARGIN_S}s`,
    },
    startupProbe: {
      path: '/health',
      port,
      periodSeconds: { value: STARTUP_PERIOD_S, why: 'start-up is checked often so readiness can begin soon' },
      timeoutSeconds: { value: budget, why: budgetWhy },
      failureThreshold: {
        value: startupFailures,
        why: `${startupFailures} × ${STARTUP_PERIOD_S}s ≥ ${slowest === undefined ? 'no ready probe' : `slowest first run ${probeSetting(slowest, 'timeout')}`} + ${START_MARGIN_S}s to start`,
      },
    },
    livenessProbe: {
      path: '/health',
      port,
      periodSeconds: { value: LIVENESS_PERIOD_S, why: 'liveness is slow on purpose: only a broken process is restarted' },
      timeoutSeconds: { value: budget + 1, why: `/health budget ${seconds(budget)} + 1s: one slow answer never restarts the pod` },
      failureThreshold: { value: LIVENESS_FAILURES, why: `${LIVENESS_FAILURES} × ${LIVENESS_PERIOD_S}s rides out a GC pause or a short stall` },
    },
    readinessProbe: {
      path: '/ready',
      port,
      periodSeconds: {
        value: readinessPeriod,
        why: fastest === undefined ? 'no critical ready probe' : `half the fastest critical ready probe, ${probeSetting(fastest, 'interval')}`,
      },
      timeoutSeconds: { value: budget, why: budgetWhy },
      failureThreshold: { value: READINESS_FAILURES, why: 'vitals applies its own hysteresis (probes’ failureThreshold × interval)' },
      successThreshold: { value: 1, why: 'vitals applies its own successThreshold' },
    },
    preStopSleepSeconds: { value: preStop, why: 'endpoint removal reaches kube-proxy and ingresses before SIGTERM starts shutdown.drainDelay' },
  };
}
