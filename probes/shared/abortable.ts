/**
 * Client libraries whose calls take no AbortSignal (nats `rtt()`, neo4j-driver
 * sessions) are raced against the run's signal instead, and closed within a
 * deadline: the library keeps its promise, the probe stops waiting for it.
 */

/** Rejects with the signal's reason as soon as it aborts; the promise itself keeps running. */
export function untilAborted<T>(promise: Promise<T>, signal: AbortSignal): Promise<T> {
  // Its rejection after an abort is nobody's business: never an unhandled rejection.
  promise.catch(() => undefined);
  if (signal.aborted) return Promise.reject(signal.reason as Error);
  return new Promise<T>((resolve, reject) => {
    const onAbort = (): void => reject(signal.reason as Error);
    signal.addEventListener('abort', onAbort, { once: true });
    promise.then(
      (value) => {
        signal.removeEventListener('abort', onAbort);
        resolve(value);
      },
      (error: unknown) => {
        signal.removeEventListener('abort', onAbort);
        reject(error as Error);
      },
    );
  });
}

/** Resolves when `promise` settles or after `ms`, whichever is first; never rejects, never holds the process open. */
export function withDeadline(promise: Promise<unknown>, ms: number): Promise<void> {
  return new Promise<void>((resolve) => {
    const timer = setTimeout(resolve, ms);
    timer.unref();
    const done = (): void => {
      clearTimeout(timer);
      resolve();
    };
    promise.then(done, done);
  });
}

/** What to throw when a run was aborted before it started: the runner's own reason when it gave one. */
export function abortReason(signal: AbortSignal): Error {
  return signal.reason instanceof Error ? signal.reason : new Error('check aborted');
}
