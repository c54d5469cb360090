import { formatDuration } from '../../core/duration.js';
import type { ProbeSettings, VitalsConfig } from '../../core/settings.js';

/**
 * The numbers Kubernetes settings must agree with, read from the effective
 * config (CONTRACT §12). One place for both `vitals kube probes` (which writes
 * them) and `vitals kube lint` (which checks them), so the two never disagree.
 */
export interface KubeTiming {
  port: number;
  /** Seconds /health and /ready may take to answer while vitals still calls itself healthy. */
  answerBudgetS: number;
  /** Why answerBudgetS is what it is, for comments and findings. */
  answerBudgetWhy: string;
  /** The critical ready probe that runs most often: /ready cannot change faster than it. */
  fastestGating?: ProbeSettings;
  /** The ready probe whose first run takes longest: /ready says `starting` until it has run. */
  slowestFirstRun?: ProbeSettings;
  drainDelayMs: number;
  shutdownTimeoutMs: number;
  /** The probes /health may be asked about by name (`/health/{probe}`). */
  liveProbeNames: ReadonlySet<string>;
}

/**
 * /health and /ready answer from cached state; the only thing that delays an
 * answer is this process's own event loop. vitals tolerates a stall up to the
 * eventloop probe's `fail.delayP99` (default 1000 ms) before it fails
 * liveness, so a kubelet timeout below that would act on a stall vitals
 * itself considers healthy. Without an eventloop probe, 1 s is the stall the
 * default threshold would have allowed.
 */
const STALL_WITHOUT_EVENTLOOP_MS = 1_000;
/** Network, TCP accept and the kubelet's own scheduling on a busy node. */
const ANSWER_MARGIN_S = 1;

export function kubeTiming(config: VitalsConfig): KubeTiming {
  const ready = config.probes.filter((p) => p.groups.includes('ready'));
  // A non-critical ready probe's failure still answers 200 (warn): it never changes what the kubelet sees.
  const gating = ready.filter((p) => p.critical);
  const eventloops = config.probes.filter((p) => p.type === 'eventloop' && p.fail.delayP99 !== undefined);
  const stallMs = eventloops.length > 0 ? Math.max(...eventloops.map((p) => p.fail.delayP99 ?? 0)) : STALL_WITHOUT_EVENTLOOP_MS;
  const stallSource = eventloops.length > 0 ? `probes[${eventloops[0]!.name}].fail.delayP99 ${formatDuration(stallMs)}` : `no eventloop probe: 1s stall`;
  return {
    port: config.server.port,
    answerBudgetS: Math.ceil(stallMs / 1000) + ANSWER_MARGIN_S,
    answerBudgetWhy: `${stallSource} + ${ANSWER_MARGIN_S}s`,
    fastestGating: pick(gating, (a, b) => a.intervalMs < b.intervalMs),
    slowestFirstRun: pick(ready, (a, b) => a.timeoutMs > b.timeoutMs),
    drainDelayMs: config.shutdown.drainDelayMs,
    shutdownTimeoutMs: config.shutdown.timeoutMs,
    liveProbeNames: new Set(config.probes.filter((p) => p.groups.includes('live')).map((p) => p.name)),
  };
}

function pick(probes: ProbeSettings[], better: (a: ProbeSettings, b: ProbeSettings) => boolean): ProbeSettings | undefined {
  let best: ProbeSettings | undefined;
  for (const probe of probes) if (best === undefined || better(probe, best)) best = probe;
  return best;
}

/** `probes[db].interval 10s`: how comments and findings name a probe's setting. */
export function probeSetting(probe: ProbeSettings, key: 'interval' | 'timeout'): string {
  return `probes[${probe.name}].${key} ${formatDuration(key === 'interval' ? probe.intervalMs : probe.timeoutMs)}`;
}

/** Seconds, for messages: 2 → "2s", 0.5 → "500ms". */
export const seconds = (s: number): string => formatDuration(Math.round(s * 1000));
