import type { Reason } from './types.js';

/**
 * The root-cause rule (CONTRACT §9), the one place it is decided. Pure.
 *
 * "Failing" means: the latest run failed (a stale probe counts, as everywhere
 * else). Not the hysteresis state: a probe's own alerts and its
 * vitals_probe_up follow its runs, and both probes run on their own clocks,
 * so judging the root by its state would leave a dependent's first failures
 * (and its alert, if its threshold is lower) unexplained until the root had
 * failed `failureThreshold` times. With the latest run, the dependent is
 * explained — and its alert suppressed — from the root's first failed run.
 */

/** What the rule needs of one probe: its name, what it depends on, and how its latest run went. */
export interface RootCauseInput {
  readonly name: string;
  readonly dependsOn: readonly string[];
  readonly failing: boolean;
  readonly reason: Reason | null;
  readonly message: string | null;
  readonly hint: string | null;
}

/** A failing probe a dependent's failure is blamed on: one with no failing dependency of its own. */
export interface FailingRoot {
  readonly name: string;
  readonly reason: Reason;
  readonly message: string | null;
  readonly hint: string | null;
}

/** A failing probe explained by failing dependencies: what it shows instead of its own explanation. */
export interface DependencyFailure {
  readonly reason: 'dependency';
  readonly message: string;
  readonly hint: string | null;
  /** Every failing root, in the order the probes are given (configuration order). */
  readonly roots: readonly FailingRoot[];
  /** The probe's own reason and message for the same run. */
  readonly cause: { readonly reason: Reason; readonly message: string | null };
}

/**
 * For every failing probe that depends (directly or transitively) on a
 * failing probe: its DependencyFailure. Probes that pass, or fail while all
 * their dependencies pass, are absent (they keep their own reason).
 * Names a probe depends on but that are not in `probes` are ignored (config
 * rejects them; a filtered `vitals check --probe` run may leave them out).
 */
export function rootCauses(probes: readonly RootCauseInput[]): Map<string, DependencyFailure> {
  const byName = new Map(probes.map((p) => [p.name, p]));
  const order = new Map(probes.map((p, i) => [p.name, i]));
  const reachableMemo = new Map<string, ReadonlySet<string>>();
  // Everything a probe depends on, directly or not. Config rejects cycles; `visiting` keeps a bad input finite anyway.
  const reachable = (name: string, visiting: Set<string> = new Set()): ReadonlySet<string> => {
    const known = reachableMemo.get(name);
    if (known !== undefined) return known;
    const out = new Set<string>();
    visiting.add(name);
    for (const dep of byName.get(name)?.dependsOn ?? []) {
      if (!byName.has(dep) || visiting.has(dep)) continue;
      out.add(dep);
      for (const further of reachable(dep, visiting)) out.add(further);
    }
    visiting.delete(name);
    reachableMemo.set(name, out);
    return out;
  };
  const hasFailingDependency = (name: string): boolean => [...reachable(name)].some((d) => byName.get(d)?.failing === true);

  const out = new Map<string, DependencyFailure>();
  for (const probe of probes) {
    if (!probe.failing) continue;
    const roots = [...reachable(probe.name)]
      .map((d) => byName.get(d)!)
      .filter((d) => d.failing && !hasFailingDependency(d.name))
      .sort((a, b) => order.get(a.name)! - order.get(b.name)!)
      .map((d): FailingRoot => ({ name: d.name, reason: d.reason ?? 'error', message: d.message, hint: d.hint }));
    if (roots.length === 0) continue;
    out.set(probe.name, {
      reason: 'dependency',
      message: dependencyMessage(probe.dependsOn, roots, reachable),
      hint: roots.length === 1 ? roots[0]!.hint : joinHints(roots),
      roots,
      cause: { reason: probe.reason ?? 'error', message: probe.message },
    });
  }
  return out;
}

/**
 * `depends on dns-internal, which fails: dns` — the direct dependency the
 * root is reached through, then the root if it is further down:
 * `depends on api (via net, which fails: refused)`.
 */
function dependencyMessage(
  direct: readonly string[],
  roots: readonly FailingRoot[],
  reachable: (name: string) => ReadonlySet<string>,
): string {
  const parts = roots.map((root) => {
    const via = direct.includes(root.name) ? undefined : direct.find((d) => reachable(d).has(root.name));
    return via === undefined ? `${root.name}, which fails: ${root.reason}` : `${via} (via ${root.name}, which fails: ${root.reason})`;
  });
  return `depends on ${parts.join('; ')}`;
}

function joinHints(roots: readonly FailingRoot[]): string | null {
  const hints = roots.filter((r) => r.hint !== null).map((r) => `${r.name}: ${r.hint}`);
  return hints.length === 0 ? null : hints.join(' | ');
}

/**
 * The order outputs list probes in (vitals check, /status): configuration
 * order, except that a probe blamed on failing roots follows its first root,
 * one level in. Roots are never blamed themselves, so one level is all there is.
 */
export function underRoots<T>(items: readonly T[], nameOf: (item: T) => string, rootOf: (item: T) => string | undefined): Array<{ item: T; dependent: boolean }> {
  const names = new Set(items.map(nameOf));
  const under = new Map<string, T[]>();
  const top: T[] = [];
  for (const item of items) {
    const root = rootOf(item);
    // A root missing from the list (filtered out) leaves its dependent where it was.
    if (root === undefined || !names.has(root)) top.push(item);
    else under.set(root, [...(under.get(root) ?? []), item]);
  }
  return top.flatMap((item) => [{ item, dependent: false }, ...(under.get(nameOf(item)) ?? []).map((d) => ({ item: d, dependent: true }))]);
}
