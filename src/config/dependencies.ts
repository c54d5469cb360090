import { issueAt, type ConfigIssue } from './errors.js';
import { closest } from './suggest.js';

/** One probe entry as far as dependencies go: its index in `probes`, name and `dependsOn` as written. */
export interface DependencyEntry {
  readonly index: number;
  readonly name: string;
  readonly dependsOn: readonly string[];
}

/**
 * `dependsOn` across probes (CONTRACT §9): every name must be another
 * configured probe, and following them must never come back to where it
 * started. Each problem is reported at the entry that writes it:
 * `probes[4].dependsOn[1]: unknown probe "x" (did you mean dns?)`,
 * `probes[2].dependsOn[0]: cycle db → dns → db` (once per cycle, at its
 * first probe in file order).
 */
export function dependencyIssues(entries: readonly DependencyEntry[]): ConfigIssue[] {
  const issues: ConfigIssue[] = [];
  const byName = new Map(entries.map((e) => [e.name, e]));
  const names = [...byName.keys()];
  for (const entry of entries) {
    entry.dependsOn.forEach((dep, i) => {
      const at = ['probes', entry.index, 'dependsOn', i];
      if (dep === entry.name) issues.push(issueAt(at, `a probe cannot depend on itself ("${dep}")`));
      else if (!byName.has(dep)) {
        const suggestion = closest(dep, names.filter((n) => n !== entry.name));
        issues.push(issueAt(at, `unknown probe "${dep}" (${suggestion === undefined ? '' : `did you mean ${suggestion}? `}configured: ${names.join(', ')})`));
      }
    });
  }

  // Depth-first search; each cycle found is reported once, from the probe of it that comes first in the file
  // (a tangle of several cycles is reported at least once, which is what it takes to go and fix it).
  const reported = new Set<string>();
  const done = new Set<string>();
  const visit = (name: string, path: readonly string[]): void => {
    const entry = byName.get(name);
    if (entry === undefined || done.has(name)) return;
    const seenAt = path.indexOf(name);
    if (seenAt >= 0) {
      const cycle = path.slice(seenAt);
      const key = [...cycle].sort().join(' ');
      if (reported.has(key)) return;
      reported.add(key);
      const first = cycle.reduce((a, b) => (byName.get(a)!.index <= byName.get(b)!.index ? a : b));
      const start = cycle.indexOf(first);
      const ordered = [...cycle.slice(start), ...cycle.slice(0, start)];
      const from = byName.get(first)!;
      const next = ordered[1] ?? first;
      issues.push(issueAt(['probes', from.index, 'dependsOn', from.dependsOn.indexOf(next)], `cycle ${[...ordered, first].join(' → ')}`));
      return;
    }
    for (const dep of entry.dependsOn) if (dep !== name) visit(dep, [...path, name]);
    // Fully explored: any cycle through it has been found already (keeps a diamond-rich graph linear).
    done.add(name);
  };
  for (const entry of entries) visit(entry.name, []);
  return issues;
}
