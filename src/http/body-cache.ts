/**
 * A rendered response body reused for a short while: an operator endpoint
 * polled by several dashboards renders once per `maxAgeMs` per variant (the
 * query), whatever the number of clients, and concurrent requests share one
 * render in flight. A body is served only while its `version` still matches
 * (what the caller says it shows beyond probe results, e.g. maintenance) and
 * it is younger than `maxAgeMs`.
 */
export class BodyCache<T> {
  private readonly entries = new Map<string, { at: number; version: string; body: Promise<T> }>();

  constructor(
    private readonly maxAgeMs: number,
    private readonly now: () => number,
    /** Variants kept (query strings); the oldest goes first. */
    private readonly maxVariants = 16,
  ) {}

  get(variant: string, version: string, render: () => Promise<T>): Promise<T> {
    const at = this.now();
    const hit = this.entries.get(variant);
    if (hit !== undefined && hit.version === version && at - hit.at < this.maxAgeMs && at >= hit.at) return hit.body;
    const body = render();
    this.entries.delete(variant);
    this.entries.set(variant, { at, version, body });
    // A failed render is not kept: the next request tries again.
    body.catch(() => {
      if (this.entries.get(variant)?.body === body) this.entries.delete(variant);
    });
    while (this.entries.size > this.maxVariants) this.entries.delete(this.entries.keys().next().value as string);
    return body;
  }
}
