import { isDeepStrictEqual } from 'node:util';
import type { Logger } from 'pino';
import { redactText } from '../core/redact.js';
import type { PrometheusUptimeSettings } from '../core/settings.js';
import { queryUptime, UPTIME_WINDOWS, type QueryOutcome, type UptimeWindowLabel } from './prometheus-query.js';

/** What the status page knows about one window, from the last answers. */
export interface UptimeWindowState {
  label: UptimeWindowLabel;
  /** Uptime per probe from the last good answer, and when it came. */
  values?: ReadonlyMap<string, number>;
  fetchedAt?: number;
  /** The last attempt failed: why, and since when attempts have been failing. Cleared by a good answer. */
  error?: { reason: string; since: number };
}

/** Read by every status page request: it is only ever replaced, never awaited. */
export interface LongUptimeSnapshot {
  /** No attempt has finished yet since (re)configuration. */
  pending: boolean;
  windows: readonly UptimeWindowState[];
}

export interface LongUptimeOptions {
  logger: Logger;
  /** The service's secret list (live: reloads append to it); every reason is scrubbed with it. */
  secrets: readonly string[];
  now?: () => number;
  /** For tests: the jitter factor source, default Math.random. */
  random?: () => number;
  /** For tests: what one window's query does (default: GET /api/v1/query). */
  query?: (settings: PrometheusUptimeSettings, range: string, signal: AbortSignal) => Promise<QueryOutcome>;
}

const PENDING: LongUptimeSnapshot = { pending: true, windows: UPTIME_WINDOWS.map((w) => ({ label: w.label })) };

/**
 * Long-range uptime from Prometheus (statusPage.prometheus), fetched in the
 * background: one query per window per refresh, both under one timeout, the
 * next refresh armed only after the last one ended (no overlap) at the
 * interval ±10 % (replicas of one deployment do not query in step). Requests
 * read `snapshot()`, which never waits. `configure` restarts the loop when
 * the settings change (live reload) and `close` stops it (shutdown), each
 * aborting a query in flight.
 */
export class LongRangeUptime {
  private settings: PrometheusUptimeSettings | undefined;
  private state: LongUptimeSnapshot = PENDING;
  /** Bumped by every configure/close: a refresh that finds another generation drops its answer. */
  private generation = 0;
  private timer: NodeJS.Timeout | undefined;
  private inFlight: { controller: AbortController; done: Promise<void> } | undefined;
  private readonly now: () => number;
  private readonly random: () => number;
  private readonly query: NonNullable<LongUptimeOptions['query']>;

  constructor(private readonly options: LongUptimeOptions) {
    this.now = options.now ?? Date.now;
    this.random = options.random ?? Math.random;
    this.query = options.query ?? queryUptime;
  }

  /** Undefined when statusPage.prometheus is not configured: the pages show nothing of it. */
  snapshot(): LongUptimeSnapshot | undefined {
    return this.settings === undefined ? undefined : this.state;
  }

  /**
   * Starts, restarts (other settings: values from the old ones are dropped) or
   * stops the loop; same settings: nothing. Takes effect at once; resolves
   * when a query of the old settings still in flight has been aborted.
   */
  configure(settings: PrometheusUptimeSettings | undefined): Promise<void> {
    if (isDeepStrictEqual(settings, this.settings)) return Promise.resolve();
    const stopped = this.halt();
    this.settings = settings;
    this.state = PENDING;
    if (settings !== undefined) this.arm(0, this.generation, settings);
    return stopped;
  }

  close(): Promise<void> {
    this.settings = undefined;
    return this.halt();
  }

  /** Synchronous in effect (nothing of the old loop can write state or arm a timer after it); waits only for the abort. */
  private async halt(): Promise<void> {
    this.generation += 1;
    clearTimeout(this.timer);
    this.timer = undefined;
    const running = this.inFlight;
    this.inFlight = undefined;
    running?.controller.abort();
    await running?.done;
  }

  private arm(delayMs: number, generation: number, settings: PrometheusUptimeSettings): void {
    this.timer = setTimeout(() => {
      this.timer = undefined;
      const controller = new AbortController();
      const done = this.refresh(controller.signal, generation, settings);
      this.inFlight = { controller, done };
      void done.finally(() => {
        if (this.inFlight?.done === done) this.inFlight = undefined;
      });
    }, delayMs);
    // The loop never holds the process open; shutdown stops it anyway.
    this.timer.unref();
  }

  private async refresh(stop: AbortSignal, generation: number, settings: PrometheusUptimeSettings): Promise<void> {
    const deadline = deadlineSignal(stop, settings.timeoutMs);
    const outcomes = await Promise.all(
      UPTIME_WINDOWS.map((w) =>
        this.query(settings, w.range, deadline.signal).catch((error: unknown): QueryOutcome => ({ ok: false, reason: `error: ${error instanceof Error ? error.message : String(error)}` })),
      ),
    ).finally(deadline.clear);
    if (generation !== this.generation) return;
    const at = this.now();
    const windows = this.state.windows.map((previous, i): UptimeWindowState => {
      const outcome = outcomes[i]!;
      if (outcome.ok) return { label: previous.label, values: outcome.values, fetchedAt: at };
      const reason = redactText(outcome.reason, this.options.secrets);
      return { ...previous, error: { reason, since: previous.error?.since ?? at } };
    });
    this.report(windows);
    this.state = { pending: false, windows };
    const jitter = 0.9 + 0.2 * this.random();
    this.arm(Math.round(settings.intervalMs * jitter), generation, settings);
  }

  /** One log line per change between answering and failing, not one per refresh. */
  private report(windows: readonly UptimeWindowState[]): void {
    const failing = windows.filter((w) => w.error !== undefined);
    const wasFailing = this.state.windows.some((w) => w.error !== undefined);
    const reasons = [...new Set(failing.map((w) => w.error!.reason))];
    const before = new Set(this.state.windows.map((w) => w.error?.reason).filter((r) => r !== undefined));
    if (failing.length > 0 && (!wasFailing || reasons.some((r) => !before.has(r)))) {
      this.options.logger.warn({ windows: failing.map((w) => w.label), reasons }, `long-range uptime: Prometheus query failed: ${reasons.join('; ')}`);
    } else if (failing.length === 0 && wasFailing) {
      this.options.logger.info('long-range uptime: Prometheus answers again');
    }
  }
}

/**
 * Aborts when `stop` does or after `timeoutMs` (reason: a TimeoutError, as
 * AbortSignal.timeout gives). Not `AbortSignal.any([stop, AbortSignal.timeout()])`:
 * on Node 20 nothing holds that composite strongly (undici's fetch keeps only a
 * weak reference to its signal), so a garbage collection during a hung query
 * dropped it and the query never timed out — seen as a status page stuck on
 * "updated 30s ago" against a SIGSTOPped Prometheus. Here the timer holds the
 * controller until it fires or `clear` runs.
 */
export function deadlineSignal(stop: AbortSignal, timeoutMs: number): { signal: AbortSignal; clear: () => void } {
  const controller = new AbortController();
  const onStop = (): void => controller.abort(stop.reason);
  if (stop.aborted) onStop();
  else stop.addEventListener('abort', onStop, { once: true });
  const timer = setTimeout(() => controller.abort(new DOMException(`timed out after ${timeoutMs} ms`, 'TimeoutError')), timeoutMs);
  timer.unref();
  return {
    signal: controller.signal,
    clear: () => {
      clearTimeout(timer);
      stop.removeEventListener('abort', onStop);
    },
  };
}
