import type { SeverityClass } from '../core/worst-first.js';
import type { ProbeState, Status } from '../core/types.js';
import type { LongUptimeSnapshot } from '../status/prometheus-uptime.js';
import { longUptimeCell, longUptimeHeading, longUptimeNotice, type ProbeLongUptime } from './long-uptime-template.js';
import { liveScript } from './status-live-script.js';

/**
 * The status page's HTML, as pure functions of a view model: no I/O, no
 * Fastify. Every value that came from config or from a dependency goes
 * through `escapeHtml`; the markup around it is literal. No style or script
 * attributes anywhere, so the Content-Security-Policy can forbid inline
 * styles except the one nonce'd <style> block.
 */

export interface SparkPoint {
  durationMs: number;
  status: Status;
}

export interface ProbeRow {
  name: string;
  type: string;
  critical: boolean;
  groups: readonly string[];
  state: ProbeState;
  /** Worst-first class (core/worst-first), from the read model. */
  severity: SeverityClass;
  /** Colour, from the read model: failing, amber while failed runs pile up below the threshold, unknown before the first run. */
  tone: Status | 'unknown';
  stale: boolean;
  /** Failed runs in a row that have not changed the state yet. */
  failing?: { count: number; of: number };
  durationMs?: number;
  /** Latest run, when it was not pass. */
  lastStatus?: Status;
  reason?: string;
  message?: string;
  hint?: string;
  /** Set while it fails because of a failing dependency: its own reason and message for the run (reason is then `dependency`). */
  cause?: { reason: string; message?: string };
  /** Listed under its root, indented (the order is decided by the caller). */
  dependent?: boolean;
  /** Epoch ms. */
  lastChange?: number;
  lastRun?: number;
  history: readonly SparkPoint[];
  /** 7 d / 30 d from Prometheus, when statusPage.prometheus is configured. */
  longUptime?: ProbeLongUptime;
}

export interface StatusPageModel {
  serviceId: string;
  description: string;
  version: string;
  now: number;
  ready: { status: Status; output?: string };
  live: { status: Status };
  maintenance?: { reason: string; since: number; until: number };
  shuttingDown: boolean;
  probes: readonly ProbeRow[];
  /** When statusPage.prometheus is configured. */
  longUptime?: LongUptimeSnapshot;
  refreshSeconds: number;
  nonce: string;
}

const ENTITIES: Record<string, string> = { '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' };

export function escapeHtml(value: string): string {
  return value.replace(/[&<>"']/g, (c) => ENTITIES[c]!);
}

/** `12s`, `5m`, `3h 10m`, `2d 4h`: coarse on purpose, the page refreshes anyway. */
export function ago(ms: number): string {
  const s = Math.max(0, Math.floor(ms / 1000));
  if (s < 60) return `${s}s`;
  const m = Math.floor(s / 60);
  if (m < 60) return `${m}m`;
  const h = Math.floor(m / 60);
  if (h < 48) return m % 60 === 0 ? `${h}h` : `${h}h ${m % 60}m`;
  const d = Math.floor(h / 24);
  return h % 24 === 0 ? `${d}d` : `${d}d ${h % 24}h`;
}

export function utc(epochMs: number): string {
  return new Date(epochMs).toISOString().replace('T', ' ').replace(/\.\d+Z$/, ' UTC');
}

export function ms(value: number): string {
  return value < 10 ? value.toFixed(1) : String(Math.round(value));
}

const STATUS_WORD: Record<Status, string> = { pass: 'ready', warn: 'ready, degraded', fail: 'not ready' };
const LIVE_WORD: Record<Status, string> = { pass: 'live', warn: 'live, degraded', fail: 'not live' };

export function stateText(row: Pick<ProbeRow, 'stale' | 'failing' | 'state'>): string {
  if (row.stale) return `stale (${row.state})`;
  if (row.failing !== undefined) return `failing ${row.failing.count} of ${row.failing.of}`;
  return row.state;
}

const SPARK_W = 120;
const SPARK_H = 28;

/** Inline SVG of recent durations, oldest left; failed runs as red dots, warnings amber. */
export function sparkline(points: readonly SparkPoint[]): string {
  if (points.length === 0) return '<span class="muted">no runs yet</span>';
  const max = Math.max(...points.map((p) => p.durationMs), 1);
  const step = points.length === 1 ? 0 : (SPARK_W - 4) / (points.length - 1);
  const xy = points.map((p, i) => {
    const x = 2 + i * step;
    const y = SPARK_H - 3 - (p.durationMs / max) * (SPARK_H - 6);
    return { x: x.toFixed(1), y: y.toFixed(1), status: p.status };
  });
  const failed = points.filter((p) => p.status === 'fail').length;
  const sorted = points.map((p) => p.durationMs).sort((a, b) => a - b);
  const median = sorted[Math.floor(sorted.length / 2)]!;
  const label = `last ${points.length} runs: median ${ms(median)} ms, max ${ms(max)} ms, ${failed} failed`;
  const line = points.length > 1 ? `<polyline class="spark-line" fill="none" stroke-width="1.5" points="${xy.map((p) => `${p.x},${p.y}`).join(' ')}"/>` : '';
  const marks = xy
    .filter((p) => p.status !== 'pass' || points.length === 1)
    .map((p) => `<circle class="spark-${p.status}" cx="${p.x}" cy="${p.y}" r="2.5"/>`)
    .join('');
  return `<svg class="spark" width="${SPARK_W}" height="${SPARK_H}" viewBox="0 0 ${SPARK_W} ${SPARK_H}" role="img" aria-label="${escapeHtml(label)}"><title>${escapeHtml(label)}</title>${line}${marks}</svg>`;
}

export function probeRow(row: ProbeRow, now: number): string {
  const cls = row.tone;
  const detail: string[] = [];
  if (row.lastStatus !== undefined && row.lastStatus !== 'pass') {
    const head = `${row.lastStatus === 'fail' ? 'failed' : 'warning'}: ${row.reason ?? 'error'}`;
    detail.push(`<div class="why"><strong>${escapeHtml(head)}</strong>${row.message === undefined ? '' : ` — ${escapeHtml(row.message)}`}</div>`);
    if (row.cause !== undefined) {
      const own = `${row.cause.reason}${row.cause.message === undefined ? '' : ` — ${row.cause.message}`}`;
      detail.push(`<div class="cause">own result: ${escapeHtml(own)}</div>`);
    }
    if (row.hint !== undefined) detail.push(`<div class="hint">hint: ${escapeHtml(row.hint)}</div>`);
  }
  if (row.stale) detail.push('<div class="why"><strong>stale:</strong> no finished run for over 3 intervals</div>');
  const changed =
    row.lastChange === undefined
      ? '<span class="muted">never</span>'
      : `<time datetime="${new Date(row.lastChange).toISOString()}" title="${utc(row.lastChange)}">${ago(now - row.lastChange)} ago</time>`;
  return `<tr class="probe row-${cls}${row.dependent === true ? ' dependent' : ''}" data-probe="${escapeHtml(row.name)}" data-state="${escapeHtml(row.state)}">
<td data-label="State"><span class="badge ${cls}">${escapeHtml(stateText(row))}</span></td>
<td data-label="Probe"><a class="name" href="/status/${escapeHtml(encodeURIComponent(row.name))}">${escapeHtml(row.name)}</a></td>
<td data-label="Type">${escapeHtml(row.type)}</td>
<td data-label="Critical">${row.critical ? 'critical' : '<span class="muted">non-critical</span>'}</td>
<td data-label="Groups">${escapeHtml(row.groups.join(', '))}</td>
<td data-label="Last" class="num">${row.durationMs === undefined ? '<span class="muted">–</span>' : `${ms(row.durationMs)} ms`}</td>
<td data-label="Recent">${sparkline(row.history)}</td>
${longUptimeCell(row.longUptime)}
<td data-label="Changed">${changed}</td>
<td data-label="Details" class="details"><div>${detail.length === 0 ? '<span class="muted">ok</span>' : detail.join('')}</div></td>
</tr>`;
}

const STYLE = `
:root{--pass:#1a7f37;--warn:#9a6700;--fail:#cf222e;--unknown:#6e7781;--bg:#fff;--fg:#1f2328;--muted:#59636e;--line:#d1d9e0;--link:#0969da}
*{box-sizing:border-box}
body{margin:0;padding:1rem;font:15px/1.45 system-ui,-apple-system,"Segoe UI",Roboto,sans-serif;background:var(--bg);color:var(--fg)}
header{display:flex;flex-wrap:wrap;align-items:baseline;gap:.5rem 1rem;margin-bottom:1rem}
h1{font-size:1.4rem;margin:0}
.desc,.muted,footer{color:var(--muted)}
.overall{display:flex;flex-wrap:wrap;gap:.5rem;margin:0 0 1rem}
.pill{padding:.35rem .8rem;border-radius:999px;color:#fff;font-weight:600}
.pill.pass{background:var(--pass)}.pill.warn{background:var(--warn)}.pill.fail{background:var(--fail)}
.banner{padding:.7rem 1rem;border-radius:6px;margin:0 0 1rem;border:1px solid}
.banner.maintenance{background:#fff8c5;border-color:#d4a72c}
.banner.shutdown{background:#ffebe9;border-color:var(--fail)}
table{border-collapse:collapse;width:100%}
th,td{text-align:left;padding:.45rem .5rem;border-bottom:1px solid var(--line);vertical-align:top}
th{font-size:.8rem;text-transform:uppercase;letter-spacing:.03em;color:var(--muted)}
td.num{text-align:right;white-space:nowrap}
.name{font-weight:600;font-family:ui-monospace,SFMono-Regular,Menlo,monospace}
.badge{display:inline-block;padding:.1rem .55rem;border-radius:4px;color:#fff;font-weight:600;font-size:.85rem;white-space:nowrap}
.badge.pass{background:var(--pass)}.badge.warn{background:var(--warn)}.badge.fail{background:var(--fail)}.badge.unknown{background:var(--unknown)}
tr.row-fail{background:#fff5f5}
.why{overflow-wrap:anywhere}.hint,.cause{color:var(--muted);overflow-wrap:anywhere}
tr.dependent td[data-label="Probe"]{padding-left:1.5rem}tr.dependent .name::before{content:"└ ";color:var(--muted)}
.spark-line{stroke:#0969da}.spark-fail{fill:var(--fail)}.spark-warn{fill:var(--warn)}.spark-pass{fill:var(--pass)}
footer{margin-top:1rem;font-size:.85rem}
a{color:var(--link)}a:focus-visible{outline:3px solid var(--link);outline-offset:2px}
.badge.pass::before{content:"\\2713  "}.badge.warn::before{content:"! "}.badge.fail::before{content:"\\2717  "}.badge.unknown::before{content:"? "}
.live-note{padding:.5rem .8rem;border:1px solid var(--warn);border-radius:6px;margin:0 0 1rem}
@media (max-width:720px){
 thead{display:none}
 table,tbody,tr,td{display:block;width:100%}
 tr.probe{border:1px solid var(--line);border-radius:8px;margin:0 0 .8rem;padding:.3rem .2rem}
 td{border:0;padding:.25rem .5rem;display:flex;gap:.75rem}
 td>*{min-width:0}
 td.num{text-align:left}
 td::before{content:attr(data-label);flex:0 0 5.5rem;color:var(--muted);font-size:.8rem;text-transform:uppercase}
}
@media (prefers-color-scheme:dark){
 :root{--bg:#0d1117;--fg:#e6edf3;--muted:#9198a1;--line:#30363d;--link:#4493f8}
 tr.row-fail{background:#2d1214}
 .banner.maintenance{background:#3b2e00}.banner.shutdown{background:#3c1618}
}
`;

/**
 * The <head> both status pages share: phone viewport, no favicon request, nonce'd style, and a meta
 * refresh inside <noscript>: it reloads the page only with scripts off; with them on, the live script
 * (status-live-script) updates the page in place and the page never reloads itself (WCAG 2.2.1).
 */
export function pageHead(title: string, refreshSeconds: number, nonce: string, style: string): string {
  return `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<noscript><meta http-equiv="refresh" content="${refreshSeconds}"></noscript>
<meta name="robots" content="noindex">
<link rel="icon" href="data:,">
<title>${escapeHtml(title)}</title>
<style nonce="${nonce}">${style}</style>
</head>`;
}

export function statusTitle(model: Pick<StatusPageModel, 'ready' | 'serviceId'>): string {
  return `${model.ready.status === 'fail' ? '✗' : model.ready.status === 'warn' ? '!' : '✓'} ${model.serviceId} — vitals`;
}

/** Readiness, liveness, the probe count and the banners: the part of the page above the table (a live part). */
export function statusSummary(model: StatusPageModel): string {
  const { now } = model;
  const readyText = model.ready.output === undefined ? STATUS_WORD[model.ready.status] : `not ready: ${model.ready.output}`;
  const banners: string[] = [];
  if (model.shuttingDown) {
    banners.push('<div class="banner shutdown" role="status"><strong>Shutting down.</strong> Readiness is failing while load balancers drain.</div>');
  }
  if (model.maintenance !== undefined) {
    const m = model.maintenance;
    banners.push(
      `<div class="banner maintenance" role="status"><strong>Maintenance:</strong> ${escapeHtml(m.reason)} — since ${utc(m.since)}, until <time datetime="${new Date(m.until).toISOString()}">${utc(m.until)}</time> (in ${ago(m.until - now)}). Readiness answers 503 until then.</div>`,
    );
  }
  const failing = model.probes.filter((p) => p.tone === 'fail').length;
  return `<div class="overall">
<span class="pill ${model.ready.status}" id="ready" data-status="${model.ready.status}">${escapeHtml(readyText)}</span>
<span class="pill ${model.live.status}" id="live" data-status="${model.live.status}">${LIVE_WORD[model.live.status]}</span>
<span class="muted">${model.probes.length} probe${model.probes.length === 1 ? '' : 's'}${failing > 0 ? `, ${failing} failing` : ''}</span>
</div>
${banners.join('\n')}
${longUptimeNotice(model.longUptime, now)}`;
}

/** The footer's line (a live part: its time moves with every update). */
export function statusFooter(model: StatusPageModel): string {
  return `<p>vitals ${escapeHtml(model.version)} · generated ${utc(model.now)} · updates every ${model.refreshSeconds}s · <a href="/diagnostics">diagnostics</a> · <a href="/metrics">metrics</a> · <a href="/docs">API</a></p>`;
}

/** The live note: hidden until the page's script cannot update it. */
export const LIVE_NOTE = '<p id="live-note" class="live-note" role="status" hidden></p>';

export function renderStatusPage(model: StatusPageModel): string {
  const rows = model.probes.map((p) => probeRow(p, model.now)).join('\n');
  return `${pageHead(statusTitle(model), model.refreshSeconds, model.nonce, STYLE)}
<body>
<header>
<h1>${escapeHtml(model.serviceId)}</h1>
<span class="desc">${escapeHtml(model.description)}</span>
</header>
<main>
${LIVE_NOTE}
<div id="summary">${statusSummary(model)}</div>
<table>
<thead><tr><th>State</th><th>Probe</th><th>Type</th><th>Critical</th><th>Groups</th><th class="num">Last</th><th>Recent</th>${longUptimeHeading(model.longUptime)}<th>Changed</th><th>Details</th></tr></thead>
<tbody id="probes">
${rows}
</tbody>
</table>
</main>
<footer id="footer">${statusFooter(model)}</footer>
${liveScript(model.nonce, model.refreshSeconds)}
</body>
</html>
`;
}
