/**
 * The pieces of the Prometheus text exposition format 0.0.4 that the probe
 * series are written with (metrics/probe-series.ts): escaping, number
 * formatting and the HELP/TYPE header of a family. Pure string functions.
 */

export type FamilyType = 'gauge' | 'counter' | 'histogram';

/** A label value inside double quotes: backslash, double quote and line feed escaped. */
export function escapeLabelValue(value: string): string {
  return /[\\"\n]/.test(value) ? value.replace(/\\/g, '\\\\').replace(/"/g, '\\"').replace(/\n/g, '\\n') : value;
}

/** HELP text: backslash and line feed escaped (a double quote stays as it is). */
export function escapeHelp(text: string): string {
  return text.replace(/\\/g, '\\\\').replace(/\n/g, '\\n');
}

/** `a="x",b="y"`: the inside of a label set, values escaped, in the order given. */
export function labelPairs(pairs: ReadonlyArray<readonly [string, string]>): string {
  return pairs.map(([name, value]) => `${name}="${escapeLabelValue(value)}"`).join(',');
}

/** A sample value as the format spells it: `NaN`, `+Inf`, `-Inf`, otherwise the shortest round-trip decimal. */
export function formatValue(value: number): string {
  if (Number.isNaN(value)) return 'NaN';
  if (value === Number.POSITIVE_INFINITY) return '+Inf';
  if (value === Number.NEGATIVE_INFINITY) return '-Inf';
  return `${value}`;
}

/** The two comment lines that open a family; every sample of the family must follow them, contiguously. */
export function familyHeader(name: string, help: string, type: FamilyType): string {
  return `# HELP ${name} ${escapeHelp(help)}\n# TYPE ${name} ${type}\n`;
}
