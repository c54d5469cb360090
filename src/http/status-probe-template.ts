import { stateStatus } from '../core/read-model.js';
import type { SeverityClass } from '../core/worst-first.js';
import type { Observation, ProbeState, Reason, Status } from '../core/types.js';
import type { MinuteRollup, StateChange } from '../runner/long-history.js';
import type { LongUptimeSnapshot } from '../status/prometheus-uptime.js';
import { longUptimeLine } from './long-uptime-template.js';
import { liveScript } from './status-live-script.js';
import { LIVE_NOTE, ago, escapeHtml, pageHead } from './status-page-template.js';

/** /status/{probe} as pure functions of a view model, escaped like the list page. */
export interface ProbePageModel {
  name: string;
  type: string;
  critical: boolean;
  state: ProbeState;
  severity: SeverityClass;
  /** From the read model: the badge text ("failing 1 of 3", "stale (healthy)", …). */
  stateText: string;
  tone: Status | 'unknown';
  reason?: string;
  message?: string;
  hint?: string;
  observations: readonly Observation[];
  rollups: readonly MinuteRollup[];
  changes: readonly StateChange[];
  changesTruncated: boolean;
  /** Current state and when it began (lastChange), to close the last band. */
  since?: number;
  lastRuns: ReadonlyArray<{ finishedAt: number; status: Status; durationMs: number; reason?: Reason; message?: string }>;
  now: number;
  refreshSeconds: number;
  nonce: string;
  serviceId: string;
  /** 7 d / 30 d from Prometheus, when statusPage.prometheus is configured. */
  longUptime?: LongUptimeSnapshot;
}

const DAY = 24 * 3_600_000;
const HOUR = 3_600_000;

export interface Band {
  from: number;
  to: number;
  state: ProbeState;
}

/**
 * The state bands of the last 24 h from the change list: before the first
 * change the probe was in that change's `from` state (unknown if no data).
 */
export function stateBands(changes: readonly StateChange[], current: ProbeState, now: number): Band[] {
  const start = now - DAY;
  const bands: Band[] = [];
  let at = start;
  let state: ProbeState = changes[0]?.from ?? current;
  for (const c of changes) {
    if (c.at > at) bands.push({ from: at, to: c.at, state });
    at = Math.max(at, c.at);
    state = c.to;
  }
  bands.push({ from: at, to: now, state });
  return bands;
}

/** Outages: spans in a failing state (unhealthy or recovering, per the read model), with durations. */
export function outages(bands: readonly Band[]): Array<{ from: number; to: number; ongoing: boolean }> {
  const out: Array<{ from: number; to: number; ongoing: boolean }> = [];
  const last = bands[bands.length - 1];
  for (const b of bands) {
    if (stateStatus(b.state) !== 'fail') continue;
    const prev = out[out.length - 1];
    if (prev !== undefined && prev.to === b.from) prev.to = b.to;
    else out.push({ from: b.from, to: b.to, ongoing: false });
  }
  const tail = out[out.length - 1];
  if (tail !== undefined && last !== undefined && tail.to === last.to && stateStatus(last.state) === 'fail') tail.ongoing = true;
  return out;
}

/** Share of non-failed runs within the window, from the per-minute rollups; undefined without runs. */
export function uptime(rollups: readonly MinuteRollup[], now: number, windowMs: number): number | undefined {
  let runs = 0;
  let fails = 0;
  for (const r of rollups) {
    if (r.at + 60_000 <= now - windowMs) continue;
    runs += r.runs;
    fails += r.fails;
  }
  return runs === 0 ? undefined : (runs - fails) / runs;
}

function percent(value: number | undefined): string {
  return value === undefined ? 'no runs' : `${(Math.floor(value * 10_000) / 100).toFixed(2)} %`;
}

function utc(epochMs: number): string {
  return new Date(epochMs).toISOString().replace('T', ' ').replace(/\.\d+Z$/, ' UTC');
}

const W = 720;
const BAND_H = 28;
const CHART_H = 120;
const TONE: Record<ProbeState, string> = { healthy: 'pass', degraded: 'warn', recovering: 'warn', unhealthy: 'fail', unknown: 'unknown' };

/** 24 h timeline of state bands; each band carries its state as text (title) and a pattern class, not only colour. */
export function timelineSvg(bands: readonly Band[], now: number): string {
  const x = (t: number): number => ((t - (now - DAY)) / DAY) * W;
  const rects = bands
    .map((b) => {
      const label = `${b.state} from ${utc(b.from)} to ${utc(b.to)}`;
      return `<rect class="band band-${TONE[b.state]}" data-state="${b.state}" data-from="${b.from}" data-to="${b.to}" x="${x(b.from).toFixed(1)}" y="0" width="${Math.max(0.5, x(b.to) - x(b.from)).toFixed(1)}" height="${BAND_H}"><title>${escapeHtml(label)}</title></rect>`;
    })
    .join('');
  const summary = bands.map((b) => `${b.state} ${ago(b.to - b.from)}`).join(', ');
  return `<svg class="timeline" viewBox="0 0 ${W} ${BAND_H + 14}" role="img" aria-label="${escapeHtml(`state over the last 24 hours: ${summary}`)}">${rects}<text x="0" y="${BAND_H + 12}" class="axis">24 h ago</text><text x="${W}" y="${BAND_H + 12}" text-anchor="end" class="axis">now</text></svg>`;
}

/** Response time per minute (avg line, min–max area), failed minutes marked with a cross. */
export function responseSvg(rollups: readonly MinuteRollup[], now: number): string {
  if (rollups.length === 0) return '<p class="muted">no runs in the last 24 h</p>';
  const max = Math.max(...rollups.map((r) => r.maxMs), 1);
  const x = (t: number): number => ((t - (now - DAY)) / DAY) * W;
  const y = (v: number): number => CHART_H - 4 - (v / max) * (CHART_H - 8);
  const line = rollups.map((r) => `${x(r.at).toFixed(1)},${y(r.avgMs).toFixed(1)}`).join(' ');
  const fails = rollups
    .filter((r) => r.fails > 0)
    .map((r) => `<path class="mark-fail" d="M${(x(r.at) - 3).toFixed(1)},${(y(r.avgMs) - 3).toFixed(1)}l6,6m0,-6l-6,6"/>`)
    .join('');
  const avg = rollups.reduce((s, r) => s + r.avgMs * r.runs, 0) / rollups.reduce((s, r) => s + r.runs, 0);
  const label = `response time over 24 h: average ${avg.toFixed(1)} ms, max ${max.toFixed(1)} ms, ${rollups.filter((r) => r.fails > 0).length} minutes with failures`;
  return `<svg class="chart" viewBox="0 0 ${W} ${CHART_H}" role="img" aria-label="${escapeHtml(label)}"><polyline class="chart-line" fill="none" stroke-width="1.5" points="${line}"/>${fails}<text x="2" y="12" class="axis">${max.toFixed(0)} ms</text></svg>`;
}

const STYLE = `
:root{--pass:#1a7f37;--warn:#9a6700;--fail:#cf222e;--unknown:#6e7781;--bg:#fff;--fg:#1f2328;--muted:#59636e;--line:#d1d9e0;--link:#0969da}
body{margin:0;padding:1rem;font:15px/1.45 system-ui,sans-serif;background:var(--bg);color:var(--fg);max-width:60rem}
h1{font-size:1.4rem;margin:.3rem 0}h2{font-size:1.05rem;margin:1.2rem 0 .4rem}
.muted,.axis{color:var(--muted);fill:var(--muted);font-size:11px}
.badge{display:inline-block;padding:.1rem .55rem;border-radius:4px;color:#fff;font-weight:600}
.badge.pass{background:var(--pass)}.badge.warn{background:var(--warn)}.badge.fail{background:var(--fail)}.badge.unknown{background:var(--unknown)}
.hint{overflow-wrap:anywhere}
svg{width:100%;height:auto}
.band-pass{fill:var(--pass)}.band-warn{fill:var(--warn)}.band-fail{fill:var(--fail)}.band-unknown{fill:var(--unknown)}
.chart-line{stroke:#0969da}.mark-fail{stroke:var(--fail);stroke-width:1.5}
table{border-collapse:collapse;width:100%}th,td{text-align:left;padding:.3rem .5rem;border-bottom:1px solid var(--line);vertical-align:top}
a{color:var(--link)}a:focus-visible{outline:3px solid var(--link);outline-offset:2px}
.live-note{padding:.5rem .8rem;border:1px solid var(--warn);border-radius:6px}
@media (prefers-color-scheme:dark){:root{--bg:#0d1117;--fg:#e6edf3;--muted:#9198a1;--line:#30363d;--link:#4493f8}}
`;

const SYMBOL: Record<Status | 'unknown', string> = { pass: '✓', warn: '!', fail: '✗', unknown: '?' };

/** Everything inside <main>: the page's live part (the JSON view carries it; the script swaps what changed). */
export function probeMain(m: ProbePageModel): string {
  const bands = stateBands(m.changes, m.state, m.now);
  const down = outages(bands);
  const obs = m.observations
    .map(
      (o) =>
        `<tr><th scope="row">${escapeHtml(o.measurement)}</th><td>${escapeHtml(Array.isArray(o.value) ? o.value.join(', ') : String(o.value))}${o.unit === undefined || o.unit === 'info' ? '' : ` ${escapeHtml(o.unit)}`}</td><td>${o.status === undefined ? '<span class="muted">–</span>' : `${SYMBOL[o.status]} ${o.status}`}</td><td>${escapeHtml(o.output ?? '')}</td></tr>`,
    )
    .join('');
  const outageRows = down
    .map((o) => `<tr class="outage"><td>${utc(o.from)}</td><td>${o.ongoing ? 'ongoing' : utc(o.to)}</td><td>${ago(o.to - o.from)}</td></tr>`)
    .join('');
  const runs = [...m.lastRuns]
    .reverse()
    .map(
      (r) =>
        `<tr><td>${utc(r.finishedAt)}</td><td>${SYMBOL[r.status]} ${r.status}</td><td>${r.durationMs < 10 ? r.durationMs.toFixed(1) : Math.round(r.durationMs)} ms</td><td>${escapeHtml([r.reason, r.message].filter((v) => v !== undefined).join(': '))}</td></tr>`,
    )
    .join('');
  return `<h1>${escapeHtml(m.name)} <span class="muted">${escapeHtml(m.type)}${m.critical ? ', critical' : ', non-critical'}</span></h1>
<p><span class="badge ${m.tone}" id="state" data-severity="${m.severity}">${SYMBOL[m.tone]} ${escapeHtml(m.stateText)}</span>${m.since === undefined ? '' : ` <span class="muted">since ${utc(m.since)}</span>`}</p>
${m.reason === undefined ? '' : `<p id="reason"><strong>${escapeHtml(m.reason)}</strong>${m.message === undefined ? '' : ` — ${escapeHtml(m.message)}`}</p>`}
${m.hint === undefined ? '' : `<p class="hint" id="hint">hint: ${escapeHtml(m.hint)}</p>`}
<section aria-labelledby="h-uptime"><h2 id="h-uptime">Uptime</h2>
<p id="uptime">1 h: <strong>${percent(uptime(m.rollups, m.now, HOUR))}</strong> · 24 h: <strong>${percent(uptime(m.rollups, m.now, DAY))}</strong> <span class="muted">(share of runs that did not fail)</span></p>${longUptimeLine(m.longUptime, m.name, m.now)}</section>
<section aria-labelledby="h-timeline"><h2 id="h-timeline">State, last 24 h</h2>${timelineSvg(bands, m.now)}${m.changesTruncated ? '<p class="muted">more state changes than kept: the oldest are not shown</p>' : ''}</section>
<section aria-labelledby="h-response"><h2 id="h-response">Response time, last 24 h</h2>${responseSvg(m.rollups, m.now)}</section>
<section aria-labelledby="h-outages"><h2 id="h-outages">Outages, last 24 h</h2>
${down.length === 0 ? '<p>none</p>' : `<table id="outages"><thead><tr><th scope="col">From</th><th scope="col">To</th><th scope="col">Duration</th></tr></thead><tbody>${outageRows}</tbody></table>`}</section>
<section aria-labelledby="h-obs"><h2 id="h-obs">Observations (latest run)</h2>
${obs === '' ? '<p class="muted">none</p>' : `<table><thead><tr><th scope="col">Measurement</th><th scope="col">Value</th><th scope="col">Against thresholds</th><th scope="col">Why</th></tr></thead><tbody>${obs}</tbody></table>`}</section>
<section aria-labelledby="h-runs"><h2 id="h-runs">Last runs</h2>
${runs === '' ? '<p class="muted">no runs yet</p>' : `<table id="runs"><thead><tr><th scope="col">Finished</th><th scope="col">Status</th><th scope="col">Duration</th><th scope="col">Reason</th></tr></thead><tbody>${runs}</tbody></table>`}</section>
<p class="muted">generated ${utc(m.now)} · updates every ${m.refreshSeconds}s</p>`;
}

export function probeTitle(m: Pick<ProbePageModel, 'tone' | 'name' | 'serviceId'>): string {
  return `${SYMBOL[m.tone]} ${m.name} — ${m.serviceId}`;
}

export function renderProbePage(m: ProbePageModel): string {
  return `${pageHead(probeTitle(m), m.refreshSeconds, m.nonce, STYLE)}
<body>
<nav><a href="/status">← all probes</a></nav>
${LIVE_NOTE}
<main id="main">
${probeMain(m)}
</main>
${liveScript(m.nonce, m.refreshSeconds)}
</body>
</html>
`;
}
