import { STATUSES, type Status } from './types.js';

const rank: Record<Status, number> = { pass: 0, warn: 1, fail: 2 };

/** The worse of the statuses given (ordered pass < warn < fail); `pass` for none. */
export function worstStatus(statuses: Iterable<Status | undefined>): Status {
  let worst: Status = 'pass';
  for (const status of statuses) {
    if (status !== undefined && rank[status] > rank[worst]) worst = status;
  }
  return worst;
}

/** pass and warn are healthy enough to serve (200); fail is 503. CONTRACT §2. */
export function httpStatusFor(status: Status): 200 | 503 {
  return status === 'fail' ? 503 : 200;
}

export function isStatus(value: unknown): value is Status {
  return typeof value === 'string' && (STATUSES as readonly string[]).includes(value);
}
