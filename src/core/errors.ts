import type { CheckReport, Reason } from './types.js';

/**
 * Thrown by a probe's check when it already knows why it failed. The runner
 * keeps `reason` and `hint` as given and redacts `message`. Any other thrown
 * value is classified by the runner (errno codes, the type's classifyError).
 */
export class ProbeError extends Error {
  readonly reason: Reason;
  readonly hint?: string;
  /**
   * What the check still learned before failing, kept on the failed result:
   * an expired certificate's expiry must reach
   * vitals_tls_cert_expiry_timestamp_seconds exactly when it matters, and a
   * missed heartbeat's sinceLastBeat is most worth graphing while it fails.
   */
  readonly details?: Partial<Pick<CheckReport, 'info' | 'certExpiry' | 'observations'>>;

  constructor(
    reason: Reason,
    message: string,
    options?: { hint?: string; cause?: unknown; details?: Partial<Pick<CheckReport, 'info' | 'certExpiry' | 'observations'>> },
  ) {
    super(message, options?.cause === undefined ? undefined : { cause: options.cause });
    this.name = 'ProbeError';
    this.reason = reason;
    if (options?.hint !== undefined) this.hint = options.hint;
    if (options?.details !== undefined) this.details = options.details;
  }
}

/** The reason and message the runner derives from an arbitrary error. */
export interface ClassifiedError {
  reason: Reason;
  message: string;
  hint?: string;
  /** What the failed connection still revealed (a rejected certificate's facts and expiry), kept on the result. */
  details?: Partial<Pick<CheckReport, 'info' | 'certExpiry' | 'observations'>>;
}
