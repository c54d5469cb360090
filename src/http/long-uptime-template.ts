import type { LongUptimeSnapshot, UptimeWindowState } from '../status/prometheus-uptime.js';
import { ago, escapeHtml } from './status-page-template.js';

/**
 * The status pages' long-range uptime (statusPage.prometheus), as HTML
 * fragments the page templates call in one line each. Every function returns
 * '' when Prometheus is not configured, so the pages are unchanged then.
 * Text carries every state (no colour-only signal); nothing here waits.
 */

/** One probe's values, per window; `value` absent means no data for it in a good answer, or no good answer yet. */
export interface ProbeLongUptime {
  windows: ReadonlyArray<{ label: string; value?: number; answered: boolean; pending: boolean }>;
}

const LABEL: Record<string, string> = { '7d': '7 d', '30d': '30 d' };

/** Floored, never rounded up: 99.996 % is not 100.00 %. */
function percent(value: number): string {
  return `${(Math.floor(value * 10_000) / 100).toFixed(2)} %`;
}

function windowText(w: ProbeLongUptime['windows'][number]): string {
  if (w.value !== undefined) return percent(w.value);
  if (w.answered) return 'no data';
  return w.pending ? 'pending' : 'unavailable';
}

export function probeLongUptime(snapshot: LongUptimeSnapshot | undefined, probe: string): ProbeLongUptime | undefined {
  if (snapshot === undefined) return undefined;
  return {
    windows: snapshot.windows.map((w) => ({
      label: LABEL[w.label] ?? w.label,
      ...(w.values?.has(probe) === true ? { value: w.values.get(probe)! } : {}),
      answered: w.values !== undefined,
      pending: snapshot.pending,
    })),
  };
}

/** `<th>` for the /status table. */
export function longUptimeHeading(snapshot: LongUptimeSnapshot | undefined): string {
  return snapshot === undefined ? '' : '<th class="num">Uptime</th>';
}

/** `<td>` for one /status row: `7 d 99.95 % · 30 d 99.80 %`. */
export function longUptimeCell(uptime: ProbeLongUptime | undefined): string {
  if (uptime === undefined) return '';
  const text = uptime.windows.map((w) => `${w.label} ${windowText(w)}`).join(' · ');
  return `<td data-label="Uptime" class="num uptime-long">${escapeHtml(text)}</td>`;
}

/** Where the numbers come from and how old they are; the failure, when Prometheus does not answer. */
function sourceText(snapshot: LongUptimeSnapshot, now: number): { failing: boolean; text: string } {
  if (snapshot.pending) return { failing: false, text: 'waiting for the first answer from Prometheus' };
  const failing = snapshot.windows.filter((w): w is UptimeWindowState & { error: { reason: string; since: number } } => w.error !== undefined);
  const fetched = snapshot.windows.map((w) => w.fetchedAt).filter((t): t is number => t !== undefined);
  const oldest = fetched.length === 0 ? undefined : Math.min(...fetched);
  if (failing.length === 0) return { failing: false, text: `from Prometheus, updated ${ago(now - (oldest ?? now))} ago` };
  const reasons = [...new Set(failing.map((w) => w.error.reason))].join('; ');
  const since = Math.min(...failing.map((w) => w.error.since));
  const which = failing.length === snapshot.windows.length ? '' : ` (${failing.map((w) => LABEL[w.label] ?? w.label).join(', ')})`;
  const kept = oldest === undefined ? 'no values yet' : `showing values from ${ago(now - oldest)} ago`;
  return { failing: true, text: `Prometheus unavailable${which} for ${ago(now - since)}: ${reasons} — ${kept}` };
}

/** One line above the /status table. */
export function longUptimeNotice(snapshot: LongUptimeSnapshot | undefined, now: number): string {
  if (snapshot === undefined) return '';
  const { failing, text } = sourceText(snapshot, now);
  const windows = snapshot.windows.map((w) => LABEL[w.label] ?? w.label).join(' / ');
  return failing
    ? `<p id="uptime-source" class="uptime-source" data-state="unavailable" role="status"><strong>${windows} uptime:</strong> ${escapeHtml(text)}</p>`
    : `<p id="uptime-source" class="uptime-source muted" data-state="${snapshot.pending ? 'pending' : 'ok'}">${windows} uptime ${escapeHtml(text)}.</p>`;
}

/** /status/{probe}: the 7 d and 30 d values under the 1 h / 24 h ones, with their source and age. */
export function longUptimeLine(snapshot: LongUptimeSnapshot | undefined, probe: string, now: number): string {
  const uptime = probeLongUptime(snapshot, probe);
  if (snapshot === undefined || uptime === undefined) return '';
  const { failing, text } = sourceText(snapshot, now);
  const values = uptime.windows.map((w) => `${escapeHtml(w.label)}: <strong>${escapeHtml(windowText(w))}</strong>`).join(' · ');
  return `<p id="uptime-long" data-state="${failing ? 'unavailable' : snapshot.pending ? 'pending' : 'ok'}">${values} <span class="muted">(share of Prometheus scrapes with the probe up; ${escapeHtml(text)})</span></p>`;
}
