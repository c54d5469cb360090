/**
 * A probe's client library, loaded the first time a probe of that type is
 * created rather than when the probe table is imported. The drivers are most
 * of vitals' memory and start-up (neo4j-driver, undici, ioredis, pg, nats:
 * 12–21 MiB each, measured), and zero-config uses none of them.
 */
export interface LazyLibrary<T> {
  /** Starts loading (idempotent). Call it in create(), so the first run rarely waits for it. */
  preload(): void;
  /** The library; the same promise every time. */
  get(): Promise<T>;
  /** Resolves once loading has settled, never rejects: a probe's prepare(), awaited before its run's clock starts. */
  ready(): Promise<void>;
}

export function lazyLibrary<T>(load: () => Promise<T>): LazyLibrary<T> {
  let loading: Promise<T> | undefined;
  const get = (): Promise<T> => {
    loading ??= load();
    return loading;
  };
  return {
    preload: () => {
      // A failed load surfaces from get() in the run that needs it, as that run's error.
      get().catch(() => undefined);
    },
    get,
    ready: () =>
      get().then(
        () => undefined,
        () => undefined,
      ),
  };
}
