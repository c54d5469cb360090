import { performance } from 'node:perf_hooks';
import { formatDuration } from '../core/duration.js';
import { ProbeError, type ClassifiedError } from '../core/errors.js';
import type { Probe, ProbeDefinition } from '../core/probe.js';
import { collectSecrets, redactText } from '../core/redact.js';
import type { ProbeSettings } from '../core/settings.js';
import { worstStatus } from '../core/status.js';
import { describeBreach, evaluateThreshold, type ThresholdBreach } from '../core/thresholds.js';
import type { CheckReport, Observation, ProbeResult, Reason, Status } from '../core/types.js';
import { classifyError } from './classify-error.js';
import { fillHint, genericHint, type HintTarget } from './hints.js';

export interface RunOptions {
  /** Aborts the run early (a caller's own signal). The result then says so, with reason `timeout`. */
  signal?: AbortSignal;
  /** The run's stop switch, when the caller (the scheduler) makes one per run; takes the place of `signal`. */
  control?: RunControl;
  /** Wall clock for startedAt/finishedAt (epoch ms). Durations always use performance.now. */
  now?: () => number;
  /** Known secret values to scrub: config.secrets.all. Default: those in the probe's own options. */
  secrets?: readonly string[];
}

const MAX_MESSAGE = 300;

/** Why the runner itself ended a run: the check never got the chance to say. */
class RunnerStop extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'RunnerStop';
  }
}

const STOP_MESSAGE = 'run aborted before an answer (vitals is stopping)';

/**
 * One AbortController per run, shared by the caller and the runner: the
 * runner hands its signal to the check and aborts it at the deadline; the
 * caller calls stop(). Before, the scheduler's controller and the runner's own
 * were two per run, joined by an abort listener (issue 16: the AbortSignals
 * were a fifth of the per-run garbage that outlived a scavenge at 1,000 probes).
 */
export class RunControl {
  readonly controller = new AbortController();
  /** True once stop() was called: the caller ended the run, not the timeout (which leaves this false). */
  stopped = false;
  /** Set by the runner while the check is bounded: ends the run now, with this message. */
  onStop: ((message: string) => void) | undefined = undefined;

  stop(): void {
    if (this.stopped) return;
    this.stopped = true;
    if (this.onStop !== undefined) this.onStop(STOP_MESSAGE);
    // Not bounded yet (waiting for prepare()): the abort ends that wait, and bounded() sees `stopped`.
    else this.controller.abort(new RunnerStop(STOP_MESSAGE));
  }
}

/** Where a stack trace starts when a library pasted one into a message. */
const STACK_FRAME = /\n\s*at\s/;

/** One line, no secrets, no stack frames, bounded length. */
function cleanLine(text: string, secrets: readonly string[]): string {
  const withoutStack = text.split(STACK_FRAME)[0] ?? text;
  const line = redactText(withoutStack.replace(/\s+/g, ' ').trim(), secrets);
  return line.length > MAX_MESSAGE ? `${line.slice(0, MAX_MESSAGE - 1)}…` : line;
}

function classify(definition: ProbeDefinition, error: unknown, options: ProbeSettings['options']): ClassifiedError {
  if (error instanceof ProbeError) {
    return {
      reason: error.reason,
      message: error.message,
      ...(error.hint === undefined ? {} : { hint: error.hint }),
      ...(error.details === undefined ? {} : { details: error.details }),
    };
  }
  if (error instanceof RunnerStop) return { reason: 'timeout', message: error.message };
  let specific: ClassifiedError | undefined;
  try {
    specific = definition.classifyError?.(error, options);
  } catch {
    // A buggy classifier must not turn a failed run into a crashed runner.
    specific = undefined;
  }
  const generic = classifyError(error);
  if (specific === undefined) return generic;
  return { ...specific, message: specific.message.trim() === '' ? generic.message : specific.message };
}

/** How one run turns hints into text: the type's table, its target, the secrets to scrub. */
interface HintContext {
  definition: ProbeDefinition;
  target: HintTarget;
  secrets: readonly string[];
  /** Templates already filled for this probe: every run of it hands out the same string. */
  filled: Map<string, string>;
}

/**
 * One HintContext per probe (its parsed options, replaced on reload) and set
 * of secrets, not one per run: a failing probe's hint is then one shared
 * string rather than a fresh copy per run, and a passing run allocates none
 * of it (issue 16: per-run garbage under 1,000 probes).
 */
const hintContexts = new WeakMap<object, HintContext>();

function hintContextFor(definition: ProbeDefinition, options: ProbeSettings['options'], secrets: readonly string[]): HintContext {
  const cached = hintContexts.get(options);
  if (cached !== undefined && cached.definition === definition && cached.secrets === secrets) return cached;
  const context: HintContext = { definition, target: hintTargetOf(definition, options), secrets, filled: new Map() };
  hintContexts.set(options, context);
  return context;
}

/** The probe's target for hint placeholders; a throwing hintTarget only costs the filling. */
function hintTargetOf(definition: ProbeDefinition, options: ProbeSettings['options']): HintTarget {
  try {
    return definition.hintTarget?.(options) ?? {};
  } catch {
    return {};
  }
}

/** A hint as the operator reads it: placeholders filled with this probe's target, secrets removed. */
function resolveHint(context: HintContext, template: string): string {
  let hint = context.filled.get(template);
  if (hint === undefined) {
    hint = redactText(fillHint(template, context.target), context.secrets);
    // Bounded by the probe's hint table, plus hints its errors carry (a handful of constants per type).
    if (context.filled.size < 64) context.filled.set(template, hint);
  }
  return hint;
}

function hintFor(context: HintContext, reason: Reason, given?: string): string {
  return resolveHint(context, given ?? context.definition.hints.reasons[reason] ?? genericHint(reason));
}

interface Finding {
  status: Status;
  reason: Reason;
  message: string;
  hint: string;
}

function redactValue(value: Observation['value'], secrets: readonly string[]): Observation['value'] {
  if (typeof value === 'string') return redactText(value, secrets);
  if (Array.isArray(value)) return value.map((v) => redactText(v, secrets));
  return value;
}

/** Applies thresholds to each observation; collects what made the run non-pass. */
function judge(
  hints: HintContext,
  settings: ProbeSettings,
  report: CheckReport,
): { observations: Observation[]; findings: Finding[] } {
  const { definition, secrets } = hints;
  const findings: Finding[] = [];
  const observations = report.observations.map((observation): Observation => {
    const spec = definition.measurements[observation.measurement];
    const verdict = evaluateThreshold(
      observation.measurement,
      observation.value,
      { warn: settings.warn[observation.measurement], fail: settings.fail[observation.measurement] },
      { worse: spec?.worse, unit: observation.unit ?? spec?.unit },
    );
    const status = worstStatus([observation.status, verdict.status]);
    const copy: Observation = {
      measurement: observation.measurement,
      value: redactValue(observation.value, secrets),
      status,
    };
    const unit = observation.unit ?? spec?.unit;
    if (unit !== undefined) copy.unit = unit;
    if (status === 'pass') return copy;
    // The threshold breach explains the status when it is the worse of the two.
    const breach: ThresholdBreach | undefined = verdict.status === status ? verdict.breach : undefined;
    const output =
      breach !== undefined
        ? describeBreach(breach)
        : cleanLine(observation.output ?? `${observation.measurement} is ${String(observation.value)}`, secrets);
    copy.output = output;
    findings.push({
      status,
      reason: 'threshold',
      message: output,
      hint: resolveHint(
        hints,
        definition.hints.measurements?.[observation.measurement] ?? definition.hints.reasons.threshold ?? genericHint('threshold'),
      ),
    });
    return copy;
  });
  for (const warning of report.warnings ?? []) {
    findings.push({
      status: 'warn',
      reason: warning.reason,
      message: cleanLine(warning.message, secrets),
      hint: cleanLine(hintFor(hints, warning.reason, warning.hint), secrets),
    });
  }
  return { observations, findings };
}

function cleanInfo(
  info: NonNullable<CheckReport['info']>,
  secrets: readonly string[],
): NonNullable<ProbeResult['info']> {
  const out: NonNullable<ProbeResult['info']> = {};
  for (const [key, value] of Object.entries(info)) out[key] = typeof value === 'string' ? redactText(value, secrets) : value;
  return out;
}

/**
 * Runs the check, bounded by the timeout and the control's stop(). Rejects with what ended it.
 * One promise settled by whichever comes first (no deadline promise raced against the check).
 */
function bounded(probe: Probe, settings: ProbeSettings, control: RunControl): Promise<CheckReport> {
  return new Promise<CheckReport>((resolve, reject) => {
    let settled = false;
    // `timer` is declared below; done() only runs once it is set (the check settles asynchronously).
    const done = (): void => {
      settled = true;
      clearTimeout(timer);
      control.onStop = undefined;
    };
    const stop = (message: string): void => {
      if (settled) return;
      done();
      const error = new RunnerStop(message);
      // Reject first, so the run settles on our reason even when the check
      // rejects synchronously from its abort listener.
      reject(error);
      control.controller.abort(error);
    };
    const timer = setTimeout(() => stop(`no answer within ${formatDuration(settings.timeoutMs)}`), settings.timeoutMs);
    control.onStop = stop;
    if (control.stopped) stop(STOP_MESSAGE);
    let check: Promise<CheckReport>;
    try {
      check = Promise.resolve(probe.check(control.controller.signal));
    } catch (error) {
      // A check may also throw synchronously; treat that like a rejection.
      check = Promise.reject(error);
    }
    // Handled either way: the loser of the two never surfaces as an unhandled rejection.
    check.then(
      (report) => {
        if (settled) return;
        done();
        resolve(report);
      },
      (error: unknown) => {
        if (settled) return;
        done();
        reject(error);
      },
    );
  });
}

/** A RunControl stopped by the caller's own signal (callers other than the scheduler). */
function controlFor(signal: AbortSignal | undefined): { control: RunControl; release: () => void } {
  const control = new RunControl();
  if (signal === undefined) return { control, release: () => undefined };
  const onAbort = (): void => control.stop();
  if (signal.aborted) onAbort();
  else signal.addEventListener('abort', onAbort, { once: true });
  return { control, release: () => signal.removeEventListener('abort', onAbort) };
}

/** Longest wait for a probe's prepare() (a client library loading); past it the run starts anyway. */
const PREPARE_LIMIT_MS = 30_000;

/** Waits for probe.prepare(), bounded and abortable; never rejects. */
async function prepared(probe: Probe, signal: AbortSignal | undefined): Promise<void> {
  if (probe.prepare === undefined || signal?.aborted === true) return;
  let timer: NodeJS.Timeout | undefined;
  let onAbort: (() => void) | undefined;
  const gaveUp = new Promise<void>((resolve) => {
    timer = setTimeout(resolve, PREPARE_LIMIT_MS);
    timer.unref();
    onAbort = resolve;
    signal?.addEventListener('abort', onAbort, { once: true });
  });
  try {
    await Promise.race([Promise.resolve().then(() => probe.prepare?.()).catch(() => undefined), gaveUp]);
  } finally {
    clearTimeout(timer);
    if (onAbort !== undefined) signal?.removeEventListener('abort', onAbort);
  }
}

/**
 * One run of one probe: timeout, timing, error → reason/message/hint,
 * thresholds → status. Never throws and never rejects.
 */
export function runProbe(
  definition: ProbeDefinition,
  probe: Probe,
  settings: ProbeSettings,
  options: RunOptions = {},
): Promise<ProbeResult> {
  if (options.control !== undefined) return run(definition, probe, settings, options, options.control);
  return runWithSignal(definition, probe, settings, options);
}

async function runWithSignal(
  definition: ProbeDefinition,
  probe: Probe,
  settings: ProbeSettings,
  options: RunOptions,
): Promise<ProbeResult> {
  const { control, release } = controlFor(options.signal);
  try {
    return await run(definition, probe, settings, options, control);
  } finally {
    release();
  }
}

async function run(
  definition: ProbeDefinition,
  probe: Probe,
  settings: ProbeSettings,
  options: RunOptions,
  control: RunControl,
): Promise<ProbeResult> {
  const now = options.now ?? Date.now;
  // Only probes that have something to prepare wait a tick: the rest start their check synchronously.
  if (probe.prepare !== undefined) await prepared(probe, control.controller.signal);
  const startedAt = now();
  const started = performance.now();
  // The service and `vitals check` pass config.secrets.all (gathered once at load, a
  // superset of these options' secrets); only a caller without a loaded config
  // (a probe test running one probe) falls back to the probe's own options.
  const secrets = options.secrets ?? collectSecrets(settings.options);
  const hints = hintContextFor(definition, settings.options, secrets);
  const timing = (): Pick<ProbeResult, 'durationMs' | 'startedAt' | 'finishedAt'> => ({
    durationMs: Math.round((performance.now() - started) * 1000) / 1000,
    startedAt,
    finishedAt: now(),
  });

  let report: CheckReport;
  try {
    report = await bounded(probe, settings, control);
  } catch (error) {
    const classified = classify(definition, error, settings.options);
    const failed: ProbeResult = {
      status: 'fail',
      reason: classified.reason,
      message: cleanLine(classified.message, secrets) || classified.reason,
      hint: cleanLine(hintFor(hints, classified.reason, classified.hint), secrets),
      ...timing(),
      observations: [],
    };
    const details = classified.details;
    if (details?.info !== undefined) failed.info = cleanInfo(details.info, secrets);
    if (details?.certExpiry !== undefined) failed.certExpiry = details.certExpiry;
    // Readings only: a failed run is not judged against thresholds again.
    if (details?.observations !== undefined) {
      failed.observations = details.observations.map(({ measurement, value, unit }) => ({
        measurement,
        value: redactValue(value, secrets),
        ...(unit === undefined ? {} : { unit }),
      }));
    }
    return failed;
  }

  try {
    const { observations, findings } = judge(hints, settings, report);
    const status = worstStatus(findings.map((f) => f.status));
    const result: ProbeResult = { status, ...timing(), observations };
    if (status !== 'pass') {
      const worst = findings.filter((f) => f.status === status);
      const first = worst[0] as Finding; // non-pass status implies at least one finding at that level
      result.reason = first.reason;
      result.message = cleanLine(worst.map((f) => f.message).join('; '), secrets);
      result.hint = first.hint;
    }
    if (report.info !== undefined) result.info = cleanInfo(report.info, secrets);
    if (report.certExpiry !== undefined) result.certExpiry = report.certExpiry;
    return result;
  } catch (error) {
    // A malformed report (not an object, observations missing) is the probe's bug.
    return {
      status: 'fail',
      reason: 'error',
      message: cleanLine(`probe returned a malformed report: ${classifyError(error).message}`, secrets),
      hint: genericHint('error'),
      ...timing(),
      observations: [],
    };
  }
}
