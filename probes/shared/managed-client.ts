import { untilAborted, withDeadline } from './abortable.js';

/**
 * The one connection strategy of the probes that hold a client between runs
 * (redis, nats, neo4j, http): opened lazily by the first run, one open at a
 * time (runs that time out and the next run join the open in flight instead
 * of piling up connects), dropped when a run is aborted or fails in a way
 * that leaves it unusable, and closed within a deadline even when the peer
 * hangs. What differs between probes is only how to open, test and close.
 */
export interface ClientSpec<C> {
  /** Opens one client (and loads its library, via lazyLibrary). May be slow; never raced here. */
  open(): Promise<C>;
  /** Whether an open client can serve the next run. Default: yes until dropped. */
  isUsable?(client: C): boolean;
  /** Polite release; the kit bounds it and then calls `destroy`, if given. */
  close(client: C): Promise<unknown>;
  /** Immediate release when `close` does not finish in time. */
  destroy?(client: C): unknown;
}

export interface ManagedClient<C> {
  /** The open client, or the open in flight; rejects with the signal's reason when the run is aborted first. */
  get(signal: AbortSignal): Promise<C>;
  /** Forgets `client` (default: the current one) and closes it in the background. A newer client is left alone. */
  drop(client?: C): void;
  /** Closes the current client and any open in flight, within `deadlineMs`. Later get() calls reject. */
  close(deadlineMs: number): Promise<void>;
}

/** How long a dropped client gets to close politely before it is destroyed. */
const DROP_DEADLINE_MS = 2_000;

export function managedClient<C>(spec: ClientSpec<C>): ManagedClient<C> {
  let current: C | undefined;
  let opening: Promise<C> | undefined;
  let closed = false;

  const release = async (client: C, deadlineMs: number): Promise<void> => {
    let finished = false;
    const polite = Promise.resolve()
      .then(() => spec.close(client))
      .then(
        () => (finished = true),
        () => (finished = true),
      );
    await withDeadline(polite, deadlineMs);
    if (!finished) await withDeadline(Promise.resolve().then(() => spec.destroy?.(client)), Math.max(1, deadlineMs / 4));
  };

  const openOnce = (): Promise<C> => {
    opening ??= (async () => {
      try {
        const fresh = await spec.open();
        if (closed) {
          // close() ran while we were connecting: nobody will use this one.
          void release(fresh, DROP_DEADLINE_MS);
          throw new Error('probe is closed');
        }
        current = fresh;
        return fresh;
      } finally {
        opening = undefined;
      }
    })();
    return opening;
  };

  return {
    get(signal) {
      if (closed) return Promise.reject(new Error('probe is closed'));
      if (current !== undefined && (spec.isUsable?.(current) ?? true)) return Promise.resolve(current);
      if (current !== undefined) this.drop(current);
      return untilAborted(openOnce(), signal);
    },
    drop(client = current) {
      if (client === undefined) return;
      if (current === client) current = undefined;
      void release(client, DROP_DEADLINE_MS);
    },
    async close(deadlineMs) {
      closed = true;
      const pending = opening;
      const open = current;
      current = undefined;
      const releases: Promise<void>[] = [];
      if (open !== undefined) releases.push(release(open, deadlineMs));
      if (pending !== undefined) {
        releases.push(
          withDeadline(
            pending.then(
              () => undefined,
              () => undefined,
            ),
            deadlineMs,
          ),
        );
      }
      await withDeadline(Promise.all(releases), deadlineMs);
    },
  };
}
