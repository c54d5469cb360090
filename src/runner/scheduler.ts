import { performance } from 'node:perf_hooks';
import type { Logger } from 'pino';
import { isStale, nextState } from '../core/hysteresis.js';
import type { Probe, ProbeDefinition } from '../core/probe.js';
import type { ProbeSettings } from '../core/settings.js';
import type { ProbeSnapshot, RunEvent, StateReader } from '../core/state.js';
import type { Group, ProbeResult, RunRecord } from '../core/types.js';
import { ResultHistory } from './history.js';
import { RunControl, runProbe } from './run-probe.js';

/** One configured probe, ready to run. */
export interface ScheduledProbe {
  definition: ProbeDefinition;
  probe: Probe;
  settings: ProbeSettings;
}

export interface SchedulerOptions {
  /** In configuration order; names must be unique. */
  probes: readonly ScheduledProbe[];
  logger: Logger;
  /** Wall clock, epoch ms, for results and staleness. */
  now?: () => number;
  /** Monotonic ms for the run grid, so a wall-clock jump never stalls or bunches runs. Default performance.now. */
  monotonic?: () => number;
  /** [0, 1), for each probe's phase on its grid. */
  random?: () => number;
  /** Secret values to scrub from every result beyond each probe's own options (e.g. the auth token). */
  secrets?: readonly string[];
}

interface Entry {
  /** Swapped whole by replace() (live reload); everything else reads it at run time. */
  scheduled: ScheduledProbe;
  snapshot: ProbeSnapshot;
  /** Set by remove(): the run in flight must not re-arm a timer for a probe that is gone. */
  removed?: boolean;
  readonly history: ResultHistory;
  timer?: NodeJS.Timeout;
  /** Monotonic ms of the next grid slot the timer waits for. */
  nextSlot?: number;
  /** Grid slots that found a run still in flight (or passed while the event loop was blocked). */
  skipped: number;
  inFlight?: Promise<ProbeResult>;
  control?: RunControl;
}

function freezeResult(result: ProbeResult): ProbeResult {
  for (const observation of result.observations) Object.freeze(observation);
  Object.freeze(result.observations);
  if (result.info !== undefined) Object.freeze(result.info);
  return Object.freeze(result);
}

/**
 * Runs every probe on its own fixed grid, keeps the latest state and history,
 * and tells subscribers. All first runs start at once; after that a probe's
 * runs start at start + phase + k × interval (k ≥ 1), the phase drawn once per
 * probe in [0, interval) so probes sharing an interval do not fire in lockstep.
 * The grid does not drift with run durations, which is what bounds detection
 * by failureThreshold × interval + timeout (a timer re-armed after each run
 * would add a run's duration and jitter per step). Runs of one probe never
 * overlap: a slot that comes while a run is still in flight is skipped and
 * counted (skippedRuns). Timers are unref'd so they never keep the process
 * alive. Readers get immutable snapshots, swapped whole per run.
 */
export class Scheduler implements StateReader {
  private readonly entries = new Map<string, Entry>();
  private listCache: readonly ProbeSnapshot[] | undefined;
  private readonly listeners = new Set<(event: RunEvent) => void>();
  private readonly logger: Logger;
  private readonly now: () => number;
  private readonly monotonic: () => number;
  private readonly random: () => number;
  private readonly secrets: readonly string[];
  private started = false;
  private stopped = false;
  private startedAtMs: number | undefined;
  private readonly roundWaiters = new Set<() => void>();

  constructor(options: SchedulerOptions) {
    this.logger = options.logger;
    // Late-bound defaults, so a fake clock installed after construction still applies.
    this.now = options.now ?? (() => Date.now());
    this.monotonic = options.monotonic ?? (() => performance.now());
    this.random = options.random ?? Math.random;
    this.secrets = options.secrets ?? [];
    for (const scheduled of options.probes) {
      if (this.entries.has(scheduled.settings.name)) throw new Error(`duplicate probe name ${scheduled.settings.name}`);
      this.entries.set(scheduled.settings.name, { scheduled, history: new ResultHistory(), skipped: 0, snapshot: initialSnapshot(scheduled) });
    }
  }

  // ── StateReader ────────────────────────────────────────────────────────

  /**
   * The same frozen array until a run changes a snapshot: readers on the hot
   * path (/health, /ready) can tell "nothing changed" by identity.
   */
  list(): readonly ProbeSnapshot[] {
    this.listCache ??= Object.freeze([...this.entries.values()].map((entry) => entry.snapshot));
    return this.listCache;
  }

  get(name: string): ProbeSnapshot | undefined {
    return this.entries.get(name)?.snapshot;
  }

  history(name: string): readonly RunRecord[] {
    return this.entries.get(name)?.history.list() ?? [];
  }

  onRun(listener: (event: RunEvent) => void): () => void {
    this.listeners.add(listener);
    return () => {
      this.listeners.delete(listener);
    };
  }

  // ── lifecycle ──────────────────────────────────────────────────────────

  /** Epoch ms of start(), undefined before. */
  get startedAt(): number | undefined {
    return this.startedAtMs;
  }

  /** Grid slots of this probe that were skipped because a run was still in flight (vitals_probe_skipped_runs_total). */
  skippedRuns(name: string): number {
    return this.entries.get(name)?.skipped ?? 0;
  }

  /** Runs every probe at once, in parallel, and lays out each probe's grid. Idempotent. */
  start(): void {
    if (this.started || this.stopped) return;
    this.started = true;
    this.startedAtMs = this.now();
    const origin = this.monotonic();
    for (const entry of this.entries.values()) {
      const interval = entry.scheduled.settings.intervalMs;
      this.arm(entry, origin + interval + Math.floor(this.random() * interval));
      void this.execute(entry);
    }
  }

  /**
   * Clears every timer, aborts runs in flight and resolves once they have
   * settled. Aborted runs are not recorded: state stays as it was. Probes are
   * not closed (see close()).
   */
  async stop(): Promise<void> {
    this.stopped = true;
    const running: Promise<ProbeResult>[] = [];
    for (const entry of this.entries.values()) {
      clearTimeout(entry.timer);
      entry.timer = undefined;
      entry.nextSlot = undefined;
      entry.control?.stop();
      if (entry.inFlight !== undefined) running.push(entry.inFlight);
    }
    await Promise.allSettled(running);
    this.notifyRoundWaiters();
  }

  /** stop(), then close every probe's client in parallel, each bounded by deadlineMs. */
  async close(deadlineMs: number): Promise<void> {
    await this.stop();
    await Promise.allSettled([...this.entries.values()].map(({ scheduled }) => closeProbe(scheduled, deadlineMs, this.logger)));
  }

  /**
   * Runs one probe now and resolves with its result. Single-flight: joins the
   * run in progress if there is one. Off the grid: the grid stays where it is,
   * and a slot that comes while this run is in flight is skipped. Works
   * before start() (no timer is armed then). Rejects only for an unknown name or a stopped scheduler.
   */
  async runNow(name: string): Promise<ProbeResult> {
    const entry = this.entries.get(name);
    if (entry === undefined) throw new RangeError(`no probe named ${name}`);
    if (this.stopped) throw new Error('scheduler is stopped');
    return this.execute(entry);
  }

  /** Whether every probe (in `group`, when given) has finished at least one run. */
  firstRoundDone(group?: Group): boolean {
    for (const { snapshot } of this.entries.values()) {
      if (group !== undefined && !snapshot.groups.includes(group)) continue;
      if (snapshot.lastRun === undefined) return false;
    }
    return true;
  }

  /** Resolves when firstRoundDone(group) becomes true, or when the scheduler stops. */
  whenFirstRoundDone(group?: Group): Promise<void> {
    if (this.stopped || this.firstRoundDone(group)) return Promise.resolve();
    return new Promise((resolve) => {
      const waiter = (): void => {
        if (this.stopped || this.firstRoundDone(group)) {
          this.roundWaiters.delete(waiter);
          resolve();
        }
      };
      this.roundWaiters.add(waiter);
    });
  }

  /** CONTRACT §4 watchdog: the latest run (or the start, before any) is older than 3 × interval. */
  isStale(name: string, now = this.now()): boolean {
    const snapshot = this.get(name);
    if (snapshot === undefined || !this.started) return false;
    return isStale(snapshot, now, snapshot.addedAt ?? this.startedAtMs);
  }

  // ── live reconfiguration (CONTRACT §10) ────────────────────────────────
  // Kept apart from the timing above on purpose: add / replace / remove /
  // reorder only touch entries and go through execute() and arm(), so a
  // rewrite of how runs are timed can carry them over unchanged.

  /**
   * Adds a probe a reload brought in. Its snapshot carries `addedAt`, so it
   * holds no readiness until its first run (core/read-model `joining`); on a
   * started scheduler that run starts at once.
   */
  add(scheduled: ScheduledProbe): void {
    const { name } = scheduled.settings;
    if (this.entries.has(name)) throw new Error(`duplicate probe name ${name}`);
    const entry: Entry = {
      scheduled,
      history: new ResultHistory(),
      skipped: 0,
      snapshot: Object.freeze({ ...initialSnapshot(scheduled), addedAt: this.now() }),
    };
    this.entries.set(name, entry);
    this.listCache = undefined;
    this.startOnNewGrid(entry);
  }

  /**
   * New settings and client for an existing probe. State, last result,
   * counters and history stay (its last state holds until the first run with
   * the new settings, which starts at once). A run of the old client in
   * flight is aborted and not recorded. Resolves with the old probe: the
   * caller closes it.
   */
  async replace(scheduled: ScheduledProbe): Promise<ScheduledProbe> {
    const entry = this.entries.get(scheduled.settings.name);
    if (entry === undefined) throw new RangeError(`no probe named ${scheduled.settings.name}`);
    const old = entry.scheduled;
    entry.control?.stop();
    await entry.inFlight?.catch(() => undefined);
    entry.scheduled = scheduled;
    entry.snapshot = Object.freeze({ ...entry.snapshot, ...configuredFields(scheduled) });
    this.listCache = undefined;
    // The interval may have changed: a fresh grid from now, as at start.
    clearTimeout(entry.timer);
    entry.timer = undefined;
    this.startOnNewGrid(entry);
    return old;
  }

  /** A run now, then a grid with a fresh phase (what start() does for every probe). */
  private startOnNewGrid(entry: Entry): void {
    if (!this.started || this.stopped) return;
    const interval = entry.scheduled.settings.intervalMs;
    void this.execute(entry);
    this.arm(entry, this.monotonic() + interval + Math.floor(this.random() * interval));
  }

  /**
   * Takes a probe out: no timer, its run in flight aborted and settled, gone
   * from list(). Resolves with the probe (undefined for an unknown name): the
   * caller closes it.
   */
  async remove(name: string): Promise<ScheduledProbe | undefined> {
    const entry = this.entries.get(name);
    if (entry === undefined) return undefined;
    entry.removed = true;
    clearTimeout(entry.timer);
    entry.timer = undefined;
    this.entries.delete(name);
    this.listCache = undefined;
    entry.control?.stop();
    await entry.inFlight?.catch(() => undefined);
    clearTimeout(entry.timer);
    this.notifyRoundWaiters();
    return entry.scheduled;
  }

  /** Lists probes in this order (the new config's); names not given keep their place after them. */
  reorder(names: readonly string[]): void {
    const ordered = new Map<string, Entry>();
    for (const name of names) {
      const entry = this.entries.get(name);
      if (entry !== undefined) ordered.set(name, entry);
    }
    for (const [name, entry] of this.entries) if (!ordered.has(name)) ordered.set(name, entry);
    this.entries.clear();
    for (const [name, entry] of ordered) this.entries.set(name, entry);
    this.listCache = undefined;
  }

  // ── internals ──────────────────────────────────────────────────────────

  private execute(entry: Entry): Promise<ProbeResult> {
    if (entry.inFlight !== undefined) return entry.inFlight;
    // One controller per run, shared with the runner (which aborts it at the timeout, so `stopped`, not
    // `signal.aborted`, tells a run this scheduler cut short).
    const control = new RunControl();
    entry.control = control;
    const run = this.runOnce(entry, control);
    entry.inFlight = run;
    return run;
  }

  /** One async function rather than a then/finally chain: fewer promises and closures per run. */
  private async runOnce(entry: Entry, control: RunControl): Promise<ProbeResult> {
    const { definition, probe, settings } = entry.scheduled;
    try {
      const frozen = freezeResult(await runProbe(definition, probe, settings, { control, now: this.now, secrets: this.secrets }));
      // A run cut short by stop() says nothing about the dependency.
      if (!control.stopped) this.record(entry, frozen);
      return frozen;
    } finally {
      entry.inFlight = undefined;
      entry.control = undefined;
    }
  }

  /** Waits for the grid slot at `slot` (monotonic ms). */
  private arm(entry: Entry, slot: number): void {
    if (!this.started || this.stopped || entry.removed === true) return;
    clearTimeout(entry.timer);
    entry.nextSlot = slot;
    entry.timer = setTimeout(() => this.onSlot(entry, slot), Math.max(0, Math.ceil(slot - this.monotonic())));
    entry.timer.unref();
  }

  /**
   * A slot came: start the run unless one is still in flight, then wait for
   * the next slot still ahead. Slots that passed while the timer was held up
   * (a blocked event loop) are skipped too, never run in a burst.
   */
  private onSlot(entry: Entry, slot: number): void {
    entry.timer = undefined;
    if (this.stopped || entry.removed === true) return;
    const interval = entry.scheduled.settings.intervalMs;
    const late = Math.max(0, this.monotonic() - slot);
    const passed = Math.floor(late / interval);
    const wasBusy = entry.inFlight !== undefined;
    const skipped = passed + (wasBusy ? 1 : 0);
    if (skipped > 0) {
      entry.skipped += skipped;
      this.logger.debug(
        { probe: entry.scheduled.settings.name, type: entry.scheduled.settings.type, skipped, inFlight: wasBusy },
        'probe slots skipped',
      );
    }
    if (!wasBusy) void this.execute(entry);
    this.arm(entry, slot + (passed + 1) * interval);
  }

  private record(entry: Entry, result: ProbeResult): void {
    const { settings } = entry.scheduled;
    const previous = entry.snapshot;
    const step = nextState(previous.state, previous, result.status, settings);
    const changed = step.state !== previous.state;
    const snapshot: ProbeSnapshot = Object.freeze({
      ...previous,
      state: step.state,
      last: result,
      consecutiveFailures: step.consecutiveFailures,
      consecutiveSuccesses: step.consecutiveSuccesses,
      lastSuccess: result.status === 'fail' ? previous.lastSuccess : result.finishedAt,
      lastChange: changed ? result.finishedAt : previous.lastChange,
      lastRun: result.finishedAt,
      transitions: previous.transitions + (changed ? 1 : 0),
    });
    entry.snapshot = snapshot;
    this.listCache = undefined;
    entry.history.add(result);

    // Guarded: the fields object would otherwise be built for every run just to be dropped at the usual level.
    if (this.logger.isLevelEnabled('debug')) {
      this.logger.debug(
        { probe: settings.name, type: settings.type, status: result.status, reason: result.reason, durationMs: result.durationMs },
        'probe run',
      );
    }
    if (changed) {
      this.logger.info(
        {
          probe: settings.name,
          type: settings.type,
          from: previous.state,
          to: step.state,
          reason: result.reason,
          ...(result.message === undefined ? {} : { message: result.message }),
        },
        'probe state changed',
      );
    }

    const event: RunEvent = Object.freeze({ snapshot, result, previousState: previous.state });
    for (const listener of this.listeners) {
      const complain = (error: unknown): void => {
        this.logger.warn({ probe: settings.name, err: describe(error) }, 'run listener threw');
      };
      try {
        // An async listener's rejection must not become an unhandled rejection either.
        const returned: unknown = listener(event);
        if (returned instanceof Promise) returned.catch(complain);
      } catch (error) {
        complain(error);
      }
    }
    this.notifyRoundWaiters();
  }

  private notifyRoundWaiters(): void {
    for (const waiter of [...this.roundWaiters]) waiter();
  }
}

/**
 * Closes one probe's client, bounded by deadlineMs (plus a little): a client
 * that ignores its deadline is left behind rather than holding up shutdown
 * or a reload. Never throws; a failure is logged.
 */
export async function closeProbe(scheduled: ScheduledProbe, deadlineMs: number, logger: Logger): Promise<void> {
  let timer: NodeJS.Timeout | undefined;
  const deadline = new Promise<void>((resolve) => {
    timer = setTimeout(resolve, deadlineMs + 100);
    timer.unref();
  });
  try {
    await Promise.race([scheduled.probe.close(deadlineMs), deadline]);
  } catch (error) {
    logger.warn({ probe: scheduled.settings.name, type: scheduled.settings.type, err: describe(error) }, 'probe close failed');
  } finally {
    clearTimeout(timer);
  }
}

/** The part of a snapshot that comes from configuration (the rest comes from runs). */
function configuredFields({ settings, definition }: ScheduledProbe) {
  return {
    name: settings.name,
    type: settings.type,
    componentType: definition.componentType,
    critical: settings.critical,
    groups: Object.freeze([...settings.groups]),
    intervalMs: settings.intervalMs,
    timeoutMs: settings.timeoutMs,
    failureThreshold: settings.failureThreshold,
    dependsOn: Object.freeze([...settings.dependsOn]),
  } satisfies Partial<ProbeSnapshot>;
}

function initialSnapshot(scheduled: ScheduledProbe): ProbeSnapshot {
  return Object.freeze({
    ...configuredFields(scheduled),
    state: 'unknown',
    consecutiveFailures: 0,
    consecutiveSuccesses: 0,
    transitions: 0,
  });
}

/** Listener and close errors are ours, not the dependency's: log the message, never a stack. */
function describe(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}
