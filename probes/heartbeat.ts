import { z } from 'zod';
import { formatDuration, parseDuration } from '../src/core/duration.js';
import { ProbeError } from '../src/core/errors.js';
import type { Probe, ProbeDefinition } from '../src/core/probe.js';
import type { CheckReport } from '../src/core/types.js';
import { DURATION_HELP, durationSchema } from '../src/config/schema.js';

/**
 * A duration kept as written, so `config print` shows `5m` (and prints a file
 * that parses again), checked with the messages of every config duration.
 */
function writtenDuration(allowZero: boolean) {
  const check = durationSchema({ allowZero });
  return z
    .string({ error: (issue) => (issue.input === undefined ? 'required' : `invalid duration ${JSON.stringify(issue.input)} (${DURATION_HELP})`) })
    .superRefine((text, ctx) => {
      const result = check.safeParse(text);
      if (!result.success) ctx.addIssue({ code: 'custom', message: result.error.issues[0]?.message ?? `invalid duration (${DURATION_HELP})` });
    });
}

/** Already validated by writtenDuration. */
function ms(text: string): number {
  return parseDuration(text) ?? 0;
}

const options = z.object({
  expectEvery: writtenDuration(false),
  grace: writtenDuration(true).optional(),
  // Config fills it from auth.token when absent (tokenOption below), so it is always set by create().
  token: z.string().optional(),
});

type HeartbeatOptions = z.output<typeof options>;

/** Checks often enough to notice a missed beat within a tenth of its period, at most every 10 s. */
const MAX_INTERVAL_MS = 10_000;
const MIN_INTERVAL_MS = 100;

const WORKER_HINT =
  'the job or worker stopped reporting: check its logs, whether it is still scheduled (systemctl list-timers, kubectl get cronjob / get jobs), and its queue';

/** 372_000 → "6m12s"; short spans keep a decimal ("1.3s") so sub-minute periods read precisely. */
export function humanSpan(ms: number): string {
  if (ms < 10_000) return `${Math.round(ms / 100) / 10}s`;
  let rest = Math.floor(ms / 1000);
  const parts: string[] = [];
  for (const [unit, size] of [['d', 86_400], ['h', 3_600], ['m', 60], ['s', 1]] as const) {
    const amount = Math.floor(rest / size);
    rest -= amount * size;
    if (amount > 0) parts.push(`${amount}${unit}`);
  }
  return parts.join('');
}

/**
 * The push side of a heartbeat probe: POST /heartbeat/<name> calls beat(),
 * POST /heartbeat/<name>/fail calls fail(). The HTTP layer finds it with
 * heartbeatLookup and checks the token before calling either.
 */
export class HeartbeatProbe implements Probe {
  readonly token: string;
  private readonly expectMs: number;
  private readonly graceMs: number;
  /** Missed beats count from here until the first beat: a worker that never started is caught too. */
  private lastSuccessMs: number;
  private beaten = false;
  private failure: string | undefined;

  constructor(opts: HeartbeatOptions, private readonly now: () => number = Date.now) {
    this.token = opts.token ?? '';
    this.expectMs = ms(opts.expectEvery);
    this.graceMs = opts.grace === undefined ? Math.round(this.expectMs / 10) : ms(opts.grace);
    this.lastSuccessMs = now();
  }

  beat(): void {
    this.lastSuccessMs = this.now();
    this.beaten = true;
    this.failure = undefined;
  }

  /** `text` arrives already redacted and bounded by the HTTP layer. */
  fail(text: string): void {
    this.failure = text.trim() === '' ? 'the job reported a failure (no text given)' : text;
  }

  async check(): Promise<CheckReport> {
    const sinceMs = Math.max(0, this.now() - this.lastSuccessMs);
    const observations = [{ measurement: 'sinceLastBeat', value: Math.round(sinceMs / 100) / 10, unit: 'seconds' as const }];
    const info = {
      expectEvery: formatDuration(this.expectMs),
      grace: formatDuration(this.graceMs),
      // null: no beat since vitals started; sinceLastBeat then counts from the start.
      lastBeat: this.beaten ? new Date(this.lastSuccessMs).toISOString() : null,
    };
    const details = { info, observations };
    if (this.failure !== undefined) {
      throw new ProbeError('unavailable', this.failure, { hint: WORKER_HINT, details });
    }
    if (sinceMs > this.expectMs + this.graceMs) {
      throw new ProbeError('timeout', `no heartbeat for ${humanSpan(sinceMs)}; expected every ${formatDuration(this.expectMs)}`, {
        hint: WORKER_HINT,
        details,
      });
    }
    return { observations, info };
  }

  async close(): Promise<void> {
    // Nothing is held: the record is in memory.
  }
}

/** name → its heartbeat probe, for the HTTP routes; any other probe (or a name not configured) is undefined. */
export function heartbeatLookup(probes: ReadonlyArray<readonly [string, Probe]>): (name: string) => HeartbeatProbe | undefined {
  const byName = new Map<string, HeartbeatProbe>();
  for (const [name, probe] of probes) if (probe instanceof HeartbeatProbe) byName.set(name, probe);
  return (name) => byName.get(name);
}

export const heartbeatProbe: ProbeDefinition<typeof options> = {
  type: 'heartbeat',
  componentType: 'component',
  defaultIntervalMs: MAX_INTERVAL_MS,
  intervalFor: (opts) => Math.max(MIN_INTERVAL_MS, Math.min(MAX_INTERVAL_MS, Math.round(ms(opts.expectEvery) / 10))),
  // A background job that stopped is worth an alert, not a reason to take the web tier out of rotation.
  defaultCritical: false,
  tokenOption: 'token',
  options,
  measurements: {
    sinceLastBeat: { unit: 'seconds', description: 'seconds since the last successful heartbeat (or since vitals started, before the first)' },
  },
  hints: {
    reasons: {
      timeout: WORKER_HINT,
      unavailable: 'the job reported a failure (its POST to /heartbeat/…/fail): the message says why; check the job\'s logs',
      config: 'check expectEvery, grace and token (or auth.token)',
    },
  },
  secretOptions: ['token'],
  create(parsed) {
    return new HeartbeatProbe(parsed);
  },
};
