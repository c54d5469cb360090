import { pino, type DestinationStream, type Logger } from 'pino';

/**
 * The service logger: JSON lines on stdout, level from $VITALS_LOG_LEVEL
 * (default info). Secret-bearing fields are censored by path as a second line
 * of defence; messages are already redacted where they are made.
 */
export function createLogger(options: { level?: string; destination?: DestinationStream } = {}): Logger {
  const level = options.level ?? process.env.VITALS_LOG_LEVEL ?? 'info';
  return pino(
    {
      name: 'vitals',
      level,
      base: { pid: process.pid },
      redact: {
        paths: [
          'password',
          'token',
          'url',
          '*.password',
          '*.token',
          '*.url',
          'headers.authorization',
          'req.headers.authorization',
          'req.headers.cookie',
          'options.headers',
        ],
        censor: '***',
      },
    },
    // Synchronous writes: the service logs only transitions and lifecycle
    // events, and lines must reach stdout in order and before process.exit
    // (an async destination was seen reordering shutdown lines).
    options.destination ?? pino.destination({ dest: 1, sync: true }),
  );
}
