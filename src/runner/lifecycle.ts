import { maintenanceActive } from '../core/read-model.js';
import type { LifecycleState } from '../core/state.js';

/**
 * Service-level flags that hold readiness down: planned maintenance (with a
 * TTL) and shutdown. Expiry is evaluated on read, so no timer can be missed or
 * keep the process alive.
 */
export class Lifecycle {
  private maintenance: LifecycleState['maintenance'];
  private shuttingDown = false;
  readonly startedAt: number;

  constructor(private readonly now: () => number = Date.now) {
    this.startedAt = now();
  }

  state(): LifecycleState {
    if (!maintenanceActive(this.maintenance, this.now())) this.maintenance = undefined;
    return {
      shuttingDown: this.shuttingDown,
      startedAt: this.startedAt,
      ...(this.maintenance === undefined ? {} : { maintenance: { ...this.maintenance } }),
    };
  }

  startMaintenance(reason: string, ttlMs: number): NonNullable<LifecycleState['maintenance']> {
    const since = this.now();
    this.maintenance = { reason, since, until: since + ttlMs };
    return { ...this.maintenance };
  }

  /** Returns whether maintenance was on. */
  endMaintenance(): boolean {
    const wasOn = this.state().maintenance !== undefined;
    this.maintenance = undefined;
    return wasOn;
  }

  beginShutdown(): void {
    this.shuttingDown = true;
  }
}
