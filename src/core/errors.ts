import type { Reason } from './types.js';

/**
 * Thrown by a probe's check when it already knows why it failed. The runner
 * keeps `reason` and `hint` as given and redacts `message`. Any other thrown
 * value is classified by the runner (errno codes, the type's classifyError).
 */
export class ProbeError extends Error {
  readonly reason: Reason;
  readonly hint?: string;

  constructor(reason: Reason, message: string, options?: { hint?: string; cause?: unknown }) {
    super(message, options?.cause === undefined ? undefined : { cause: options.cause });
    this.name = 'ProbeError';
    this.reason = reason;
    if (options?.hint !== undefined) this.hint = options.hint;
  }
}

/** The reason and message the runner derives from an arbitrary error. */
export interface ClassifiedError {
  reason: Reason;
  message: string;
  hint?: string;
}
