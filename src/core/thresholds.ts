import type { MeasurementSpec } from './probe.js';
import type { Status, Unit } from './types.js';

/** One threshold crossed by one numeric reading. */
export interface ThresholdBreach {
  measurement: string;
  level: 'warn' | 'fail';
  value: number;
  limit: number;
  worse: 'higher' | 'lower';
  unit?: Unit;
}

export interface ThresholdVerdict {
  status: Status;
  /** Present when a threshold was crossed: the worst one. */
  breach?: ThresholdBreach;
}

function crosses(value: number, limit: number | undefined, worse: 'higher' | 'lower'): limit is number {
  if (limit === undefined || !Number.isFinite(limit)) return false;
  return worse === 'lower' ? value <= limit : value >= limit;
}

/**
 * Judges one reading against its warn/fail limits. A value equal to the limit
 * counts as crossed (a `fail: 0.95` means "0.95 or worse"). Anything that is
 * not a finite number (null, NaN, strings, booleans) is never judged.
 */
export function evaluateThreshold(
  measurement: string,
  value: unknown,
  limits: { warn?: number; fail?: number },
  spec?: { worse?: MeasurementSpec['worse']; unit?: Unit },
): ThresholdVerdict {
  if (typeof value !== 'number' || !Number.isFinite(value)) return { status: 'pass' };
  const worse = spec?.worse ?? 'higher';
  const base = { measurement, value, worse, ...(spec?.unit === undefined ? {} : { unit: spec.unit }) };
  if (crosses(value, limits.fail, worse)) {
    return { status: 'fail', breach: { ...base, level: 'fail', limit: limits.fail } };
  }
  if (crosses(value, limits.warn, worse)) {
    return { status: 'warn', breach: { ...base, level: 'warn', limit: limits.warn } };
  }
  return { status: 'pass' };
}

/** Short, stable spelling of a reading: 0.97123 → "0.971", 312.4 → "312", 2 → "2". */
export function formatReading(value: number, unit?: Unit): string {
  const digits = Math.abs(value) >= 100 ? 0 : 3;
  const text = String(Number(value.toFixed(digits)));
  const suffix = unit === 'ms' ? 'ms' : unit === 'days' ? 'd' : unit === 'percent' ? '%' : '';
  return `${text}${suffix}`;
}

/** "connectionsUtilization 0.97 ≥ fail 0.95" / "daysUntilExpiry 2d ≤ fail 3d". */
export function describeBreach(breach: ThresholdBreach): string {
  const sign = breach.worse === 'lower' ? '≤' : '≥';
  return `${breach.measurement} ${formatReading(breach.value, breach.unit)} ${sign} ${breach.level} ${formatReading(breach.limit, breach.unit)}`;
}
