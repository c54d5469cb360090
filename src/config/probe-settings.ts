import type { z } from 'zod';
import type { MeasurementSpec, ProbeDefinition } from '../core/probe.js';
import type { ProbeSettings } from '../core/settings.js';
import { formatDuration } from '../core/duration.js';
import type { Group } from '../core/types.js';
import { CUSTOM_TYPE, customDefinitionFor, type CustomModules } from './custom-module.js';
import { issueAt, type ConfigIssue, type PathSegment } from './errors.js';
import { PROBE_COMMON_KEYS, probeCommonSchema } from './schema.js';
import { closest } from './suggest.js';
import { validate, validateFields } from './validate.js';

type CommonSettings = z.output<typeof probeCommonSchema>;

/** The probe types config accepts: probes/index.ts in production, a small fake table in config tests. */
export type DefinitionTable = Readonly<Record<string, ProbeDefinition>>;

/** What a probe entry is resolved against. */
export interface ProbeSources {
  definitions: DefinitionTable;
  /** `custom` modules, loaded beforehand (loading is asynchronous, building is not). */
  customs?: CustomModules;
  /** Directory a custom probe's `module` path is relative to: the config file's. */
  baseDir?: string;
}

/** What a probe inherits. `intervalMs`/`timeoutMs` are set only when the file wrote them in `defaults`. */
export interface Inherited {
  intervalMs?: number;
  timeoutMs?: number;
  /** Used when neither the probe nor `defaults` gives a timeout. */
  builtinTimeoutMs: number;
  failureThreshold: number;
  successThreshold: number;
}

export interface BuiltProbe {
  settings?: ProbeSettings;
  /** The type's definition, once resolved: also when the entry has other problems. */
  definition?: ProbeDefinition;
  issues: ConfigIssue[];
}

/**
 * One `probes[i]` entry → ProbeSettings. Common keys and the type's own
 * options are validated separately (a key unknown to both is an error),
 * and every problem in the entry is reported, not just the first.
 *
 * Interval: probe's `interval`, else the one the type derives from the probe's
 * own options (intervalFor: a heartbeat checks at a tenth of expectEvery), else
 * `defaults.interval` if the file wrote one, else the type's default (core
 * 10s, auxiliary 30s, external 60s).
 * Timeout: probe's `timeout`, else `defaults.timeout` if written; either must
 * be < interval. With neither, the built-in 2s, shortened to half the
 * interval for very short intervals (so a 1s interval still works).
 */
export function buildProbe(raw: unknown, index: number, inherited: Inherited, sources: ProbeSources): BuiltProbe {
  const at: PathSegment[] = ['probes', index];
  if (raw === null || typeof raw !== 'object' || Array.isArray(raw)) {
    return { issues: [issueAt(at, 'must be a mapping with at least name and type (e.g. "- name: db" / "  type: postgres")')] };
  }
  const entry = raw as Record<string, unknown>;
  const common: Record<string, unknown> = {};
  const rest: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(entry)) {
    if (PROBE_COMMON_KEYS.includes(key)) common[key] = value;
    else rest[key] = value;
  }

  const issues: ConfigIssue[] = [];
  // Field by field: a bad name must not hide a bad timeout or threshold.
  const parsed = validateFields(probeCommonSchema.shape, common, { at, allowOthers: true });
  issues.push(...parsed.issues);
  const settingsIn = parsed.data as Partial<CommonSettings>;

  let definition: ProbeDefinition | undefined;
  let modulePathWritten: string | undefined;
  if (entry.type === CUSTOM_TYPE) {
    const custom = customDefinitionFor(entry.module, at, sources);
    issues.push(...custom.issues);
    definition = custom.definition;
    modulePathWritten = custom.path;
    delete rest.module;
  } else {
    const typeCheck = resolveType(entry.type, sources.definitions);
    if (typeCheck.problem !== undefined) issues.push(issueAt([...at, 'type'], typeCheck.problem));
    definition = typeCheck.definition;
  }
  if (definition === undefined) return { issues };

  const strictOptions = definition.options.strict();
  const optionsResult = validate(strictOptions, rest, { at, siblingKeys: PROBE_COMMON_KEYS });
  issues.push(...optionsResult.issues);
  const options = optionsResult.data as Record<string, unknown> | undefined;

  const thresholds = effectiveThresholds(definition, settingsIn.warn, settingsIn.fail, at);
  issues.push(...thresholds.issues);

  const derivedIntervalMs = options === undefined ? undefined : definition.intervalFor?.(options);
  const intervalMs = settingsIn.interval ?? derivedIntervalMs ?? inherited.intervalMs ?? definition.defaultIntervalMs;
  let timeoutMs = settingsIn.timeout ?? inherited.timeoutMs;
  if (timeoutMs === undefined) {
    timeoutMs = Math.min(inherited.builtinTimeoutMs, Math.max(1, Math.floor(intervalMs / 2)));
  } else if (timeoutMs >= intervalMs && !parsed.failed.has('interval') && !parsed.failed.has('timeout')) {
    const origin = settingsIn.timeout === undefined ? ` (the timeout ${formatDuration(timeoutMs)} comes from defaults.timeout; set a shorter one here)` : '';
    issues.push(issueAt([...at, 'timeout'], `must be less than interval (${formatDuration(intervalMs)})${origin}`));
  }

  if (issues.length > 0 || options === undefined || settingsIn.name === undefined) return { issues, definition };
  const groups: Group[] = settingsIn.groups === undefined ? [...(definition.defaultGroups ?? ['ready'])] : [...new Set(settingsIn.groups)];
  return {
    issues,
    definition,
    settings: {
      name: settingsIn.name,
      type: definition.type,
      definition,
      ...(modulePathWritten === undefined ? {} : { module: modulePathWritten }),
      critical: settingsIn.critical ?? definition.defaultCritical ?? true,
      groups,
      intervalMs,
      timeoutMs,
      failureThreshold: settingsIn.failureThreshold ?? inherited.failureThreshold,
      successThreshold: settingsIn.successThreshold ?? inherited.successThreshold,
      // As written, repeats included: config errors point at dependsOn[i] by its written index.
      dependsOn: settingsIn.dependsOn ?? [],
      warn: thresholds.warn,
      fail: thresholds.fail,
      options,
    },
  };
}

function resolveType(type: unknown, definitions: DefinitionTable): { definition?: ProbeDefinition; problem?: string } {
  const available = [...Object.keys(definitions), CUSTOM_TYPE];
  const list = `available: ${available.join(', ')}`;
  if (type === undefined) return { problem: `required (${list})` };
  if (typeof type !== 'string') return { problem: `must be a probe type name (${list})` };
  const definition = Object.hasOwn(definitions, type) ? definitions[type] : undefined;
  if (definition !== undefined) return { definition };
  const suggestion = closest(type, available);
  return { problem: `unknown probe type "${type}" (${suggestion === undefined ? '' : `did you mean ${suggestion}? `}${list})` };
}

interface Thresholds {
  warn: Record<string, number>;
  fail: Record<string, number>;
  issues: ConfigIssue[];
}

/** Type defaults overlaid with the config; `null` switches a default off. */
function effectiveThresholds(
  definition: ProbeDefinition,
  warnConfig: Record<string, number | null> | undefined,
  failConfig: Record<string, number | null> | undefined,
  at: PathSegment[],
): Thresholds {
  const issues: ConfigIssue[] = [];
  // Out-of-range values are already reported; comparing them would only add noise.
  const outOfRangeNames = new Set<string>();
  const measurements = definition.measurements;
  const names = Object.keys(measurements);
  const overlay = (level: 'warn' | 'fail', config: Record<string, number | null> | undefined): Record<string, number> => {
    const out: Record<string, number> = {};
    for (const [name, spec] of Object.entries(measurements)) {
      const fallback = spec[level];
      if (fallback !== undefined) out[name] = fallback;
    }
    for (const [name, value] of Object.entries(config ?? {})) {
      const spec = measurements[name];
      if (spec === undefined) {
        const suggestion = closest(name, names);
        const valid = names.length === 0 ? `${definition.type} has no measurements` : `valid: ${names.join(', ')}`;
        issues.push(issueAt([...at, level, name], `unknown measurement for ${definition.type} (${suggestion === undefined ? '' : `did you mean ${suggestion}? `}${valid})`));
        continue;
      }
      if (value === null) {
        delete out[name];
        continue;
      }
      const rangeProblem = outOfRange(spec, value);
      if (rangeProblem !== undefined) {
        issues.push(issueAt([...at, level, name], rangeProblem));
        outOfRangeNames.add(name);
      }
      out[name] = value;
    }
    return out;
  };
  const warn = overlay('warn', warnConfig);
  const fail = overlay('fail', failConfig);

  for (const [name, spec] of Object.entries(measurements)) {
    const w = warn[name];
    const f = fail[name];
    if (w === undefined || f === undefined || outOfRangeNames.has(name)) continue;
    const higherIsWorse = (spec.worse ?? 'higher') === 'higher';
    if (higherIsWorse ? w <= f : w >= f) continue;
    const warnWritten = warnConfig?.[name] !== undefined;
    const failWritten = failConfig?.[name] !== undefined;
    const level = warnWritten ? 'warn' : 'fail';
    const other = level === 'warn' ? 'fail' : 'warn';
    const otherValue = level === 'warn' ? f : w;
    const otherWritten = level === 'warn' ? failWritten : warnWritten;
    const relation = higherIsWorse ? (level === 'warn' ? 'above' : 'below') : level === 'warn' ? 'below' : 'above';
    const rule = higherIsWorse ? 'higher is worse, so warn must be ≤ fail' : 'lower is worse, so warn must be ≥ fail';
    issues.push(
      issueAt(
        [...at, level, name],
        `${level === 'warn' ? w : f} is ${relation} ${other} (${otherValue}${otherWritten ? '' : ', the default'}); for ${name} ${rule}`,
      ),
    );
  }
  return { warn, fail, issues };
}

function outOfRange(spec: MeasurementSpec, value: number): string | undefined {
  if (spec.unit === 'ratio' && (value < 0 || value > 1)) return `must be between 0 and 1 (a ratio: 0.8 means 80%), got ${value}`;
  if (spec.unit === 'percent' && (value < 0 || value > 100)) return `must be between 0 and 100 (a percentage), got ${value}`;
  if (value < 0 && spec.unit !== 'code') return `must not be negative, got ${value}`;
  return undefined;
}
