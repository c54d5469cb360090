import type { CheckEvaluation, Evaluation, HoldReason } from '../core/evaluate.js';
import type { Status } from '../core/types.js';

export const HEALTH_JSON = 'application/health+json';
export const TEXT_PLAIN = 'text/plain; charset=utf-8';

/** The whole body of /health and /ready: a status, and an output only for the service's own reasons. */
export interface HealthBody {
  status: Status;
  output?: HoldReason;
}

export function healthBody(status: Status, output?: HoldReason): HealthBody {
  return output === undefined ? { status } : { status, output };
}

/**
 * The same body, serialised once per variant: there are only twelve, and
 * /health and /ready are the hottest routes (kubelets, load balancers), so
 * they send a ready-made string instead of serialising per request.
 */
const serialised = new Map<string, string>();
export function healthBodyJson(status: Status, output?: HoldReason): string {
  const key = `${status}|${output ?? ''}`;
  let json = serialised.get(key);
  if (json === undefined) {
    json = JSON.stringify(healthBody(status, output));
    serialised.set(key, json);
  }
  return json;
}

/**
 * One kube-apiserver style line. Nothing about the failure leaves the
 * process: "reason withheld", except "starting" for a probe that has not run.
 */
export function verboseLine(check: CheckEvaluation): string {
  if (check.excluded) return `[+]${check.name} excluded: ok`;
  switch (check.status) {
    case 'pass':
      return `[+]${check.name} ok`;
    case 'warn':
      return `[+]${check.name} warn`;
    case 'fail':
      return check.starting
        ? `[-]${check.name} failed: starting`
        : `[-]${check.name} failed: reason withheld`;
  }
}

/**
 * The `?verbose` text: one line per probe, a lifecycle line while maintenance
 * or shutdown holds readiness down, then `<label> check passed|failed`.
 */
export function verboseText(evaluation: Evaluation, label: 'ready' | 'health'): string {
  const lines = evaluation.checks.map(verboseLine);
  if (evaluation.output === 'maintenance' || evaluation.output === 'shutting down') {
    lines.push(`[-]lifecycle failed: ${evaluation.output}`);
  }
  lines.push(`${label} check ${evaluation.status === 'fail' ? 'failed' : 'passed'}`);
  return `${lines.join('\n')}\n`;
}
