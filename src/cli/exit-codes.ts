/** CONTRACT §7. */
export const EXIT = {
  ok: 0,
  /** serve: could not start or shut down cleanly (port in use, shutdown timeout); check: a critical probe failed. */
  failure: 1,
  /** Invalid configuration, unreadable config file, bad command-line usage. */
  usage: 2,
} as const;

/** An error the CLI reports as one line on stderr, with its exit code — never a stack. */
export class CliError extends Error {
  constructor(
    message: string,
    readonly exitCode: number,
  ) {
    super(message);
    this.name = 'CliError';
  }
}
