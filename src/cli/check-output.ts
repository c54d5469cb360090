import { summarizeRuns } from '../core/read-model.js';
import { rootCauses, underRoots, type DependencyFailure } from '../core/root-cause.js';
import type { ProbeSettings } from '../core/settings.js';
import { runSeverity, worstFirst } from '../core/worst-first.js';
import type { ProbeResult, Reason, Status } from '../core/types.js';

export interface CheckRow {
  settings: ProbeSettings;
  result: ProbeResult;
}

const SYMBOL: Record<Status, string> = { pass: '✓', warn: '!', fail: '✗' };
const COLOUR: Record<Status, string> = { pass: '\u001b[32m', warn: '\u001b[33m', fail: '\u001b[31m' };
const RESET = '\u001b[0m';
const DIM = '\u001b[2m';

/** The critical-failure rule lives in core: one summary per table. */
function summarize(rows: readonly CheckRow[]): ReturnType<typeof summarizeRuns> {
  return summarizeRuns(rows.map((r) => ({ status: r.result.status, critical: r.settings.critical })));
}

/** A row as shown: its own result, or the dependency explanation when a failing dependency accounts for it (core/root-cause.ts). */
interface ShownRow extends CheckRow {
  reason?: Reason;
  message?: string;
  hint?: string;
  dependency?: DependencyFailure;
}

function explain(rows: readonly CheckRow[]): ShownRow[] {
  const blamed = rootCauses(
    rows.map(({ settings, result }) => ({
      name: settings.name,
      dependsOn: settings.dependsOn,
      failing: result.status === 'fail',
      reason: result.reason ?? null,
      message: result.message ?? null,
      hint: result.hint ?? null,
    })),
  );
  return rows.map((row) => {
    const dependency = blamed.get(row.settings.name);
    const { reason, message, hint } = dependency ?? row.result;
    return {
      ...row,
      ...(reason === undefined ? {} : { reason }),
      ...(message === undefined || message === null ? {} : { message }),
      ...(hint === undefined || hint === null ? {} : { hint }),
      ...(dependency === undefined ? {} : { dependency }),
    };
  });
}

const DEPENDENT_MARK = '└ ';

function pad(text: string, width: number): string {
  return text + ' '.repeat(Math.max(0, width - [...text].length));
}

/**
 * The human table of `vitals check`: one line per probe (✓ / ! / ✗, name,
 * type, ms, reason), the hint on its own indented line under a non-pass row so
 * long remediations stay readable in an 80-column terminal. Worst first (the
 * core rule the status page uses too), so a failure is never lost mid-table.
 */
export function formatCheckTable(rows: readonly CheckRow[], options: { colour: boolean }): string {
  const paint = (status: Status, text: string): string => (options.colour ? `${COLOUR[status]}${text}${RESET}` : text);
  const dim = (text: string): string => (options.colour ? `${DIM}${text}${RESET}` : text);
  // Worst first (core/worst-first), then dependents under their root.
  const ordered = worstFirst(explain(rows), (r) => ({ severity: runSeverity(r.result.status), name: r.settings.name }));
  const shown = underRoots(ordered, (r) => r.settings.name, (r) => r.dependency?.roots[0]?.name);
  const label = ({ item, dependent }: (typeof shown)[number]): string => (dependent ? `${DEPENDENT_MARK}${item.settings.name}` : item.settings.name);
  const nameWidth = Math.max(4, ...shown.map((r) => [...label(r)].length));
  const typeWidth = Math.max(4, ...rows.map((r) => r.settings.type.length));
  const lines: string[] = [];
  lines.push(dim(`  ${pad('NAME', nameWidth)}  ${pad('TYPE', typeWidth)}  ${'MS'.padStart(7)}  RESULT`));
  for (const entry of shown) {
    const row = entry.item;
    const { settings, result } = row;
    const ms = result.durationMs < 10 ? result.durationMs.toFixed(1) : String(Math.round(result.durationMs));
    const critical = settings.critical ? '' : ' (non-critical)';
    const outcome = result.status === 'pass' ? 'ok' : `${row.reason ?? 'error'}: ${row.message ?? ''}`.replace(/: $/, '');
    lines.push(
      `${paint(result.status, SYMBOL[result.status])} ${pad(label(entry), nameWidth)}  ${pad(settings.type, typeWidth)}  ${ms.padStart(7)}  ${paint(result.status, outcome)}${dim(critical)}`,
    );
    const indent = `  ${' '.repeat(nameWidth + typeWidth + 13)}`;
    if (row.dependency !== undefined) {
      const cause = row.dependency.cause;
      lines.push(`${indent}${dim(`own result: ${`${cause.reason}: ${cause.message ?? ''}`.replace(/: $/, '')}`)}`);
    }
    if (result.status !== 'pass' && row.hint !== undefined) lines.push(`${indent}${dim(`hint: ${row.hint}`)}`);
  }
  const { passed, warned, failed, failedCritical } = summarize(rows);
  lines.push('');
  lines.push(
    `${passed} passed, ${warned} warned, ${failed} failed` +
      (failedCritical > 0 ? ` (${failedCritical} critical) — not ready` : ' — ready'),
  );
  return `${lines.join('\n')}\n`;
}

/** The `--json` document of `vitals check`: stable keys, no secrets (results are already redacted). */
export function checkJson(rows: readonly CheckRow[]): unknown {
  return {
    status: summarize(rows).status,
    probes: explain(rows).map(({ settings, result, reason, message, hint, dependency }) => ({
      name: settings.name,
      type: settings.type,
      critical: settings.critical,
      groups: settings.groups,
      ...(settings.dependsOn.length === 0 ? {} : { dependsOn: settings.dependsOn }),
      status: result.status,
      durationMs: result.durationMs,
      ...(reason === undefined ? {} : { reason }),
      ...(message === undefined ? {} : { message }),
      ...(hint === undefined ? {} : { hint }),
      ...(dependency === undefined ? {} : { cause: dependency.cause, roots: dependency.roots.map((r) => r.name) }),
      observations: result.observations,
      ...(result.info === undefined ? {} : { info: result.info }),
    })),
  };
}

/** CONTRACT §7: 1 when any critical probe failed, else 0. */
export function checkExitCode(rows: readonly CheckRow[]): 0 | 1 {
  return summarize(rows).failedCritical > 0 ? 1 : 0;
}
