import type { ProbeView } from './read-model.js';
import type { Status } from './types.js';

/**
 * The one ordering rule for lists people read (the /status page, `vitals
 * check`'s table): worst first, so the probe that needs attention is at the
 * top of a phone screen. Within a class, by name.
 */
export const SEVERITY_CLASSES = ['failing', 'recovering', 'degraded', 'unknown', 'healthy'] as const;
export type SeverityClass = (typeof SEVERITY_CLASSES)[number];

/**
 * A live probe's class, from its read-model view only: stale or unhealthy
 * fails; recovering still fails but is on its way back; degraded covers both a
 * degraded state and failed runs piling up below the threshold ("failing 1 of 2").
 */
export function viewSeverity(view: Pick<ProbeView, 'state' | 'stale' | 'tone'>): SeverityClass {
  if (view.stale || view.state === 'unhealthy') return 'failing';
  if (view.state === 'recovering') return 'recovering';
  if (view.tone === 'warn' || view.state === 'degraded') return 'degraded';
  if (view.tone === 'unknown') return 'unknown';
  return 'healthy';
}

/** A one-shot run's class (`vitals check` has no hysteresis: the run is the verdict). */
export function runSeverity(status: Status): SeverityClass {
  return status === 'fail' ? 'failing' : status === 'warn' ? 'degraded' : 'healthy';
}

/** Sorted copy, worst class first, then by name (code-point order, stable across locales). */
export function worstFirst<T>(items: readonly T[], key: (item: T) => { severity: SeverityClass; name: string }): T[] {
  const keyed = items.map((item) => ({ item, ...key(item) }));
  keyed.sort((a, b) => {
    const bySeverity = SEVERITY_CLASSES.indexOf(a.severity) - SEVERITY_CLASSES.indexOf(b.severity);
    if (bySeverity !== 0) return bySeverity;
    return a.name < b.name ? -1 : a.name > b.name ? 1 : 0;
  });
  return keyed.map((k) => k.item);
}
