import type { SeverityClass } from '../core/worst-first.js';
import type { ProbeState, Status } from '../core/types.js';
import { probeRow, stateText, statusFooter, statusSummary, statusTitle, type ProbeRow, type StatusPageModel } from './status-page-template.js';
import { probeMain, probeTitle, uptime, type ProbePageModel } from './status-probe-template.js';

/**
 * The status pages' JSON view (`?format=json`): built from the very model the
 * HTML is rendered from, so both always say the same. Two halves:
 * - data, for scripts and people with curl: per probe its state, class, colour,
 *   reason, message, hint and times, as the read model decided them;
 * - `parts` and each probe's `html`: the page's own markup for the pieces that
 *   change, from the same template functions, for the page's live script
 *   (status-live-script), which thereby formats nothing itself.
 */

/** A row's data as the page has it (its sparkline points aside: the html draws them), plus the badge text and the row's markup. */
export type StatusProbeJson = Omit<ProbeRow, 'history'> & { stateText: string; html: string };

export interface StatusPageJson {
  serviceId: string;
  title: string;
  generatedAt: number;
  refreshSeconds: number;
  ready: { status: Status; output?: string };
  live: { status: Status };
  maintenance?: { reason: string; since: number; until: number };
  shuttingDown: boolean;
  probes: StatusProbeJson[];
  parts: { summary: string; footer: string };
}

function probeJson(row: ProbeRow, now: number): StatusProbeJson {
  // The row's sparkline points stay out: the html carries them drawn, the data would only double the size.
  const { history: _history, ...data } = row;
  return { ...data, stateText: stateText(row), html: probeRow(row, now) };
}

export function statusPageJson(model: StatusPageModel): StatusPageJson {
  return {
    serviceId: model.serviceId,
    title: statusTitle(model),
    generatedAt: model.now,
    refreshSeconds: model.refreshSeconds,
    ready: model.ready,
    live: model.live,
    ...(model.maintenance === undefined ? {} : { maintenance: model.maintenance }),
    shuttingDown: model.shuttingDown,
    probes: model.probes.map((row) => probeJson(row, model.now)),
    parts: { summary: statusSummary(model), footer: statusFooter(model) },
  };
}

export interface ProbePageJson {
  name: string;
  type: string;
  critical: boolean;
  title: string;
  generatedAt: number;
  refreshSeconds: number;
  state: ProbeState;
  severity: SeverityClass;
  tone: Status | 'unknown';
  stateText: string;
  reason?: string;
  message?: string;
  hint?: string;
  since?: number;
  /** Share of runs that did not fail; null without runs in the window. */
  uptime: { hour: number | null; day: number | null };
  parts: { main: string };
}

export function probePageJson(m: ProbePageModel): ProbePageJson {
  const hour = uptime(m.rollups, m.now, 3_600_000);
  const day = uptime(m.rollups, m.now, 86_400_000);
  return {
    name: m.name,
    type: m.type,
    critical: m.critical,
    title: probeTitle(m),
    generatedAt: m.now,
    refreshSeconds: m.refreshSeconds,
    state: m.state,
    severity: m.severity,
    tone: m.tone,
    stateText: m.stateText,
    ...(m.reason === undefined ? {} : { reason: m.reason }),
    ...(m.message === undefined ? {} : { message: m.message }),
    ...(m.hint === undefined ? {} : { hint: m.hint }),
    ...(m.since === undefined ? {} : { since: m.since }),
    uptime: { hour: hour ?? null, day: day ?? null },
    parts: { main: probeMain(m) },
  };
}
