import type { z } from 'zod';
import { issueAt, type ConfigIssue, type PathSegment } from './errors.js';
import { coerceScalars, objectKeys, schemaAt } from './schema-walk.js';
import { closest } from './suggest.js';

type RawIssue = z.core.$ZodRawIssue;
type Issue = z.core.$ZodIssue;

export interface Validated<T> {
  data?: T;
  issues: ConfigIssue[];
}

export interface ValidateOptions {
  /** Where `value` sits in the file, prefixed to every issue path. */
  at?: readonly PathSegment[];
  /** More keys valid at the root (for "did you mean" when the root object is only part of what is allowed). */
  siblingKeys?: readonly string[];
}

/** Parse `value` with `schema`, turning every zod issue into a `path: message` the user can act on. */
export function validate<S extends z.ZodType>(
  schema: S,
  value: unknown,
  options: ValidateOptions = {},
): Validated<z.output<S>> {
  const at = options.at ?? [];
  const result = schema.safeParse(coerceScalars(schema, value), { reportInput: true, error: describeIssue });
  if (result.success) return { data: result.data, issues: [] };
  const issues: ConfigIssue[] = [];
  for (const issue of result.error.issues) {
    const path = [...at, ...toSegments(issue.path)];
    if (issue.code === 'unrecognized_keys') {
      const local = toSegments(issue.path);
      const known = [...(objectKeys(schemaAt(schema, local) ?? schema) ?? []), ...(local.length === 0 ? (options.siblingKeys ?? []) : [])];
      for (const key of issue.keys) issues.push(issueAt([...path, key], unknownKeyMessage(key, known)));
    } else {
      issues.push(issueAt(path, issue.message));
    }
  }
  return { issues };
}

export function unknownKeyMessage(key: string, known: readonly string[]): string {
  const suggestion = closest(key, known);
  if (suggestion !== undefined) return `unknown key (did you mean ${suggestion}?)`;
  return known.length > 0 ? `unknown key (expected one of: ${known.join(', ')})` : 'unknown key';
}

function toSegments(path: readonly PropertyKey[]): PathSegment[] {
  return path.map((segment) => (typeof segment === 'number' ? segment : String(segment)));
}

/**
 * Messages for issues whose schema did not set its own (zod calls a per-parse
 * error map only then, so probe authors' custom messages are kept).
 */
function describeIssue(issue: RawIssue): string | undefined {
  switch (issue.code) {
    case 'invalid_type':
      if (issue.input === undefined) return 'required';
      return `expected ${describeExpected(issue.expected)}, got ${describeValue(issue.input)}`;
    case 'too_small':
      return describeBound('at least', 'greater than', issue.origin, issue.minimum, issue.inclusive);
    case 'too_big':
      return describeBound('at most', 'less than', issue.origin, issue.maximum, issue.inclusive);
    case 'invalid_value': {
      const allowed = issue.values.map((v) => String(v));
      const got = typeof issue.input === 'string' ? `"${issue.input}"` : describeValue(issue.input);
      const suggestion = typeof issue.input === 'string' ? closest(issue.input, allowed) : undefined;
      const hint = suggestion === undefined ? '' : `; did you mean ${suggestion}?`;
      return allowed.length === 1 ? `must be ${allowed[0]}, got ${got}` : `must be one of ${allowed.join(', ')} (got ${got}${hint})`;
    }
    case 'invalid_format':
      if (issue.format === 'regex') return `does not match the pattern ${issue.pattern ?? ''}`.trimEnd();
      return `must be a valid ${issue.format === 'url' ? 'URL' : issue.format}`;
    case 'not_multiple_of':
      return `must be a multiple of ${issue.divisor}`;
    case 'invalid_union':
      return describeUnion(issue.errors, issue.input);
    case 'invalid_key':
      return 'invalid key';
    case 'invalid_element':
      return 'invalid item';
    case 'unrecognized_keys':
      return 'unknown key';
    default:
      return undefined;
  }
}

function describeExpected(expected: string): string {
  switch (expected) {
    case 'number':
      return 'a number';
    case 'int':
      return 'a whole number';
    case 'string':
      return 'a string';
    case 'boolean':
      return 'true or false';
    case 'object':
    case 'record':
      return 'a mapping (key: value)';
    case 'array':
    case 'tuple':
      return 'a list';
    default:
      return expected;
  }
}

/** The shape of a value, never the value itself: it might be a secret. */
function describeValue(value: unknown): string {
  if (value === null) return 'an empty value';
  if (Array.isArray(value)) return 'a list';
  if (typeof value === 'object') return 'a mapping';
  if (typeof value === 'string') return value === '' ? 'an empty string' : 'a string';
  if (typeof value === 'number') return Number.isInteger(value) ? 'a whole number' : 'a number';
  return `${typeof value}`;
}

function describeBound(
  word: string,
  strictWord: string,
  origin: string,
  bound: number | bigint,
  inclusive: boolean | undefined,
): string {
  if (origin === 'string') return Number(bound) <= 1 && word === 'at least' ? 'must not be empty' : `must be ${word} ${bound} characters`;
  if (origin === 'array' || origin === 'set') {
    return Number(bound) <= 1 && word === 'at least' ? 'must not be empty' : `must have ${word} ${bound} items`;
  }
  return inclusive === false ? `must be ${strictWord} ${bound}` : `must be ${word} ${bound}`;
}

function describeUnion(branches: readonly (readonly Issue[])[], input: unknown): string {
  const expected = new Set<string>();
  for (const branch of branches) {
    const first = branch[0];
    if (first === undefined) continue;
    if (first.code === 'invalid_type' && first.path.length === 0) expected.add(describeExpected(first.expected));
    else return first.message;
  }
  if (expected.size === 0) return 'invalid value';
  return `expected ${[...expected].join(' or ')}, got ${describeValue(input)}`;
}

export interface ValidatedFields {
  /** Parsed value per key that passed; keys that failed are absent. */
  data: Record<string, unknown>;
  /** Keys that were present but failed. */
  failed: Set<string>;
  issues: ConfigIssue[];
}

/**
 * Validates an object field by field, so one bad field does not hide what can
 * still be checked with the others (cross-field rules, thresholds).
 * Keys not in `shape` are reported as unknown unless `allowOthers`.
 */
export function validateFields(
  shape: Record<string, z.ZodType>,
  value: Record<string, unknown>,
  options: { at: readonly PathSegment[]; allowOthers?: boolean },
): ValidatedFields {
  const data: Record<string, unknown> = {};
  const failed = new Set<string>();
  const issues: ConfigIssue[] = [];
  const known = Object.keys(shape);
  for (const key of Object.keys(value)) {
    if (!(key in shape) && options.allowOthers !== true) issues.push(issueAt([...options.at, key], unknownKeyMessage(key, known)));
  }
  for (const [key, schema] of Object.entries(shape)) {
    const result = validate(schema, value[key], { at: [...options.at, key] });
    if (result.issues.length > 0) {
      failed.add(key);
      issues.push(...result.issues);
    } else if (result.data !== undefined) {
      data[key] = result.data;
    }
  }
  return { data, failed, issues };
}
