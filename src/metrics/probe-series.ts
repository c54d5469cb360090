import { probeView, type ProbeView } from '../core/read-model.js';
import type { LifecycleState, ProbeSnapshot, RunEvent } from '../core/state.js';
import { PROBE_STATES, REASONS, STATUSES, type ProbeType } from '../core/types.js';
import { escapeLabelValue, formatValue, labelPairs, type FamilyType } from './exposition.js';

/**
 * Probe run times, eight buckets (each is one series per probe): 5 ms a local
 * or loopback check, 25 ms a datastore on the LAN, 100–500 ms a remote HTTP
 * API, 1 s and 2.5 s either side of the default 2 s timeout, 10 s the longest
 * timeouts people set.
 */
export const DURATION_BUCKETS = [0.005, 0.025, 0.1, 0.25, 0.5, 1, 2.5, 10];

/** What one scrape reads about one probe besides the counters its series keep. */
export interface ProbeReading {
  readonly snapshot: ProbeSnapshot;
  /** From the read model at scrape time (stale counts as fail; dependency from the root-cause rule). */
  readonly view: Pick<ProbeView, 'up' | 'lastStatus' | 'dependency'>;
  /** Grid slots skipped so far (the scheduler's count), when it counts them. */
  readonly skipped: number;
}

/**
 * One probe-labelled family of CONTRACT §6. `text` writes this probe's
 * samples of the family (each line ending in `\n`, possibly none); it is
 * called again only when `key` returns something else (compared with ===),
 * so a key must change whenever the text would. Both read only the series
 * and the reading (see ProbeSeries.changedSince).
 */
export interface ProbeFamily {
  readonly name: string;
  readonly help: string;
  readonly type: FamilyType;
  key(series: ProbeSeries, reading: ProbeReading): unknown;
  text(series: ProbeSeries, reading: ProbeReading): string;
}

/** Never a key a family returns: this probe's text of the family has not been written yet. */
const UNWRITTEN = Symbol('unwritten');

/**
 * The series of one probe (one `probe`/`type` label pair): the counters and
 * the histogram that follow its runs, the latest certificate expiry it
 * reported, and, per family, the key of the text last written (what it
 * showed). The label pair is escaped once, here.
 */
export class ProbeSeries {
  /** `probe="…",type="…"`, escaped. */
  readonly labels: string;
  /** vitals_probe_runs_total by STATUSES index. */
  readonly runs: number[] = STATUSES.map(() => 0);
  /** vitals_probe_failures_total by REASONS index. */
  readonly failures: number[] = REASONS.map(() => 0);
  /** Non-pass runs recorded: the key of the failures family. */
  failed = 0;
  transitions: number;
  /** Runs per duration bucket, not cumulative; the last slot is beyond the largest bound (+Inf only). */
  readonly buckets: number[] = [...DURATION_BUCKETS.map(() => 0), 0];
  count = 0;
  sum = 0;
  /** The latest expiry reported, kept across failed runs (epoch seconds). */
  certExpiry: number | undefined;
  /** Bumped by every change to the fields above (what families read besides the reading). */
  private version = 0;
  // What the latest scrape read (fields, not an object: no garbage per probe and scrape).
  private seenSnapshot: ProbeSnapshot | undefined;
  private seenView: ProbeReading['view'] | undefined;
  private seenSkipped = 0;
  private seenVersion = -1;
  // The latest own view (probeView) and what it was computed for.
  private view: ProbeView | undefined;
  private viewSnapshot: ProbeSnapshot | undefined;
  private viewAt = 0;
  private viewStartedAt = 0;
  /** Per family, the key of the text the latest scrape wrote (UNWRITTEN before the first). */
  private readonly keys: unknown[];

  constructor(
    readonly name: string,
    readonly type: ProbeType,
    families: number,
    /** State changes the probe had before these series were made (metrics created after the scheduler started). */
    transitions = 0,
  ) {
    this.labels = labelPairs([
      ['probe', name],
      ['type', type],
    ]);
    this.transitions = transitions;
    this.keys = new Array<unknown>(families).fill(UNWRITTEN);
  }

  /** A finished run: counters, histogram, transitions, certificate expiry. */
  record(event: RunEvent): void {
    const { result, snapshot, previousState } = event;
    this.runs[STATUSES.indexOf(result.status)]! += 1;
    if (result.status !== 'pass') {
      this.failures[REASONS.indexOf(result.reason ?? 'error')]! += 1;
      this.failed += 1;
    }
    if (snapshot.state !== previousState) this.transitions += 1;
    const seconds = Math.max(0, result.durationMs) / 1000;
    // A loop, not findIndex with a closure: this runs for every run of every probe.
    let bucket = 0;
    while (bucket < DURATION_BUCKETS.length && !(seconds <= DURATION_BUCKETS[bucket]!)) bucket += 1;
    this.buckets[bucket]! += 1;
    this.count += 1;
    this.sum += seconds;
    this.version += 1;
    this.rememberCert(result.certExpiry);
  }

  rememberCert(seconds: number | undefined): void {
    if (seconds === undefined || !Number.isFinite(seconds) || seconds === this.certExpiry) return;
    this.certExpiry = seconds;
    this.version += 1;
  }

  /**
   * Whether this probe may show something else than at the previous call:
   * its snapshot or view was replaced, its skipped count or its own counters
   * moved. Families' keys read nothing else, so `false` means every chunk of
   * this probe is as it was.
   */
  changedSince(reading: ProbeReading): boolean {
    if (
      this.seenSnapshot === reading.snapshot &&
      this.seenView === reading.view &&
      this.seenSkipped === reading.skipped &&
      this.seenVersion === this.version
    ) {
      return false;
    }
    this.seenSnapshot = reading.snapshot;
    this.seenView = reading.view;
    this.seenSkipped = reading.skipped;
    this.seenVersion = this.version;
    return true;
  }

  /**
   * The read model's view of this probe on its own (probeView), computed
   * again only when the snapshot was replaced (a run, a reload) or `now` is
   * past the instant the view itself says it holds until (staleness).
   */
  ownView(snapshot: ProbeSnapshot, lifecycle: Pick<LifecycleState, 'startedAt'>, now: number): ProbeView {
    const kept = this.view;
    if (
      kept !== undefined &&
      this.viewSnapshot === snapshot &&
      this.viewStartedAt === lifecycle.startedAt &&
      now >= this.viewAt &&
      now <= kept.validUntil
    ) {
      return kept;
    }
    const view = probeView(snapshot, lifecycle, now);
    this.view = view;
    this.viewSnapshot = snapshot;
    this.viewAt = now;
    this.viewStartedAt = lifecycle.startedAt;
    return view;
  }

  /**
   * Whether this probe's text in family `index` differs from when the key was
   * last taken (the first time: yes). Records the new key.
   */
  keyChanged(index: number, family: ProbeFamily, reading: ProbeReading): boolean {
    const key = family.key(this, reading);
    if (this.keys[index] === key) return false;
    this.keys[index] = key;
    return true;
  }
}

const bit = (on: boolean): string => (on ? '1' : '0');

/** One sample line of a probe family with no label beyond probe and type. */
const line = (name: string, s: ProbeSeries, value: number | string): string => `${name}{${s.labels}} ${value}\n`;

/** One-hot over `values`: a line each, 1 for `current`. */
function oneHot(name: string, label: string, values: readonly string[], s: ProbeSeries, current: string | undefined): string {
  let out = '';
  for (const value of values) out += `${name}{${s.labels},${label}="${value}"} ${bit(value === current)}\n`;
  return out;
}

/** Counts by a fixed vocabulary: a line each, zeros included (rate() works from the first increment). */
function byLabel(name: string, label: string, values: readonly string[], s: ProbeSeries, counts: readonly number[]): string {
  let out = '';
  for (const [i, value] of values.entries()) out += `${name}{${s.labels},${label}="${value}"} ${counts[i]!}\n`;
  return out;
}

/** Every numeric observation of the latest run; a measurement/unit pair repeated keeps its last value (one sample per label set). */
function observed(name: string, s: ProbeSeries, snapshot: ProbeSnapshot): string {
  const values = new Map<string, number>();
  for (const o of snapshot.last?.observations ?? []) {
    const value = typeof o.value === 'boolean' ? (o.value ? 1 : 0) : o.value;
    if (typeof value !== 'number' || !Number.isFinite(value)) continue;
    values.set(`measurement="${escapeLabelValue(o.measurement)}",unit="${escapeLabelValue(o.unit ?? '')}"`, value);
  }
  let out = '';
  for (const [labels, value] of values) out += `${name}{${s.labels},${labels}} ${formatValue(value)}\n`;
  return out;
}

const BUCKET_LABELS = [...DURATION_BUCKETS.map((bound) => `${bound}`), '+Inf'];

function histogram(name: string, s: ProbeSeries): string {
  let out = '';
  let cumulative = 0;
  for (const [i, le] of BUCKET_LABELS.entries()) {
    cumulative += s.buckets[i]!;
    out += `${name}_bucket{${s.labels},le="${le}"} ${cumulative}\n`;
  }
  return `${out}${name}_sum{${s.labels}} ${formatValue(s.sum)}\n${name}_count{${s.labels}} ${s.count}\n`;
}

/**
 * The probe-labelled families of CONTRACT §6 (and the two README additions),
 * in exposition order. Gauges read the snapshot or the read-model view of the
 * scrape; counters and the histogram read the series. `skipped` adds
 * vitals_probe_skipped_runs_total (when the scheduler counts skipped slots).
 */
export function probeFamilies(options: { skipped: boolean }): ProbeFamily[] {
  const families: ProbeFamily[] = [
    {
      name: 'vitals_probe_up',
      help: '1 if the last result was pass or warn (and is not stale), else 0',
      type: 'gauge',
      key: (_s, r) => r.view.up,
      text: (s, r) => line('vitals_probe_up', s, bit(r.view.up)),
    },
    {
      name: 'vitals_probe_status',
      help: 'Last result, one-hot over pass, warn, fail (a stale probe counts as fail; all 0 before the first run)',
      type: 'gauge',
      key: (_s, r) => r.view.lastStatus,
      text: (s, r) => oneHot('vitals_probe_status', 'status', STATUSES, s, r.view.lastStatus),
    },
    {
      name: 'vitals_probe_state',
      help: 'Hysteresis state, one-hot over healthy, degraded, unhealthy, recovering, unknown',
      type: 'gauge',
      key: (_s, r) => r.snapshot.state,
      text: (s, r) => oneHot('vitals_probe_state', 'state', PROBE_STATES, s, r.snapshot.state),
    },
    {
      name: 'vitals_probe_dependency_failing',
      help: "1 while the probe fails because a probe it depends on (dependsOn) is failing: its alerts are the root's echo",
      type: 'gauge',
      key: (_s, r) => r.view.dependency !== undefined,
      text: (s, r) => line('vitals_probe_dependency_failing', s, bit(r.view.dependency !== undefined)),
    },
    {
      name: 'vitals_probe_critical',
      help: '1 if the probe gates readiness',
      type: 'gauge',
      key: (_s, r) => r.snapshot.critical,
      text: (s, r) => line('vitals_probe_critical', s, bit(r.snapshot.critical)),
    },
    {
      name: 'vitals_probe_consecutive_failures',
      help: 'Failed runs in a row',
      type: 'gauge',
      key: (_s, r) => r.snapshot.consecutiveFailures,
      text: (s, r) => line('vitals_probe_consecutive_failures', s, r.snapshot.consecutiveFailures),
    },
    {
      name: 'vitals_probe_interval_seconds',
      help: 'Configured run interval; a probe is stale after 3 intervals without a run',
      type: 'gauge',
      key: (_s, r) => r.snapshot.intervalMs,
      text: (s, r) => line('vitals_probe_interval_seconds', s, formatValue(r.snapshot.intervalMs / 1000)),
    },
    {
      name: 'vitals_probe_last_run_timestamp_seconds',
      help: 'When the latest run finished (staleness watchdog); absent before the first run',
      type: 'gauge',
      key: (_s, r) => r.snapshot.lastRun,
      text: (s, { snapshot }) =>
        snapshot.lastRun === undefined ? '' : line('vitals_probe_last_run_timestamp_seconds', s, formatValue(snapshot.lastRun / 1000)),
    },
    {
      name: 'vitals_probe_last_success_timestamp_seconds',
      help: 'When the latest pass or warn run finished; absent before the first one',
      type: 'gauge',
      key: (_s, r) => r.snapshot.lastSuccess,
      text: (s, { snapshot }) =>
        snapshot.lastSuccess === undefined ? '' : line('vitals_probe_last_success_timestamp_seconds', s, formatValue(snapshot.lastSuccess / 1000)),
    },
    {
      name: 'vitals_probe_observed_value',
      help: 'Every numeric observation of the latest run (booleans as 0/1)',
      type: 'gauge',
      // The result is replaced whole per run: its identity says whether the observations changed.
      key: (_s, r) => r.snapshot.last,
      text: (s, r) => observed('vitals_probe_observed_value', s, r.snapshot),
    },
    {
      name: 'vitals_tls_cert_expiry_timestamp_seconds',
      help: 'Earliest certificate expiry in the chain (epoch seconds), for probes that report one',
      type: 'gauge',
      key: (s) => s.certExpiry,
      text: (s) => (s.certExpiry === undefined ? '' : line('vitals_tls_cert_expiry_timestamp_seconds', s, formatValue(s.certExpiry))),
    },
    {
      name: 'vitals_probe_duration_seconds',
      help: 'Probe run time',
      type: 'histogram',
      key: (s) => s.count,
      text: (s) => histogram('vitals_probe_duration_seconds', s),
    },
    {
      name: 'vitals_probe_runs_total',
      help: 'Finished runs by result',
      type: 'counter',
      key: (s) => s.count,
      text: (s) => byLabel('vitals_probe_runs_total', 'result', STATUSES, s, s.runs),
    },
    {
      name: 'vitals_probe_failures_total',
      help: 'Runs that were not pass, by reason',
      type: 'counter',
      key: (s) => s.failed,
      text: (s) => byLabel('vitals_probe_failures_total', 'reason', REASONS, s, s.failures),
    },
    {
      name: 'vitals_probe_transitions_total',
      help: 'State changes (flapping shows here)',
      type: 'counter',
      key: (s) => s.transitions,
      text: (s) => line('vitals_probe_transitions_total', s, s.transitions),
    },
  ];
  if (options.skipped) {
    // Beyond CONTRACT §6: the scheduler runs each probe on a fixed grid and
    // skips a slot rather than overlap runs; this says how often that happened.
    families.push({
      name: 'vitals_probe_skipped_runs_total',
      help: 'Scheduled runs skipped because the previous run was still in flight or the event loop was blocked past the slot',
      type: 'counter',
      key: (_s, r) => r.skipped,
      text: (s, r) => line('vitals_probe_skipped_runs_total', s, r.skipped),
    });
  }
  return families;
}
