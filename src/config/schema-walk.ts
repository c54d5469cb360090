import type { z } from 'zod';
import type { PathSegment } from './errors.js';

/**
 * Just enough zod introspection to (1) coerce "${PORT:-8080}"-style strings
 * where a number or boolean is expected and (2) list the keys an object
 * accepts, for "did you mean". Reads zod v4's `_zod.def`, which is its
 * documented extension surface for library authors.
 */
interface LooseDef {
  type: string;
  innerType?: z.ZodType;
  in?: z.ZodType;
  element?: z.ZodType;
  valueType?: z.ZodType;
  shape?: Record<string, z.ZodType>;
  getter?: () => z.ZodType;
}

function defOf(schema: z.ZodType): LooseDef {
  return schema._zod.def as unknown as LooseDef;
}

const WRAPPERS = new Set(['optional', 'nullable', 'default', 'prefault', 'readonly', 'catch', 'nonoptional']);

/** The schema under optional/default/pipe wrappers: what the input must look like. */
export function unwrap(schema: z.ZodType): z.ZodType {
  let current = schema;
  for (let depth = 0; depth < 32; depth++) {
    const def = defOf(current);
    if (WRAPPERS.has(def.type) && def.innerType !== undefined) current = def.innerType;
    else if (def.type === 'pipe' && def.in !== undefined) current = def.in;
    else if (def.type === 'lazy' && def.getter !== undefined) current = def.getter();
    else break;
  }
  return current;
}

/** The object keys a schema accepts, if it is an object. */
export function objectKeys(schema: z.ZodType): string[] | undefined {
  const def = defOf(unwrap(schema));
  return def.type === 'object' && def.shape !== undefined ? Object.keys(def.shape) : undefined;
}

/** The schema that validates the value at `path` below `schema`, if it can be followed. */
export function schemaAt(schema: z.ZodType, path: readonly PathSegment[]): z.ZodType | undefined {
  let current: z.ZodType | undefined = schema;
  for (const segment of path) {
    if (current === undefined) return undefined;
    const def = defOf(unwrap(current));
    if (def.type === 'object' && typeof segment === 'string') current = def.shape?.[segment];
    else if (def.type === 'array' && typeof segment === 'number') current = def.element;
    else if (def.type === 'record') current = def.valueType;
    else return undefined;
  }
  return current;
}

const CLEAN_NUMBER = /^-?(?:\d+(?:\.\d+)?|\.\d+)(?:[eE][+-]?\d+)?$/;

/**
 * Strings that are clean numbers or booleans become numbers or booleans, but
 * only where the schema expects exactly that (not in unions, not in strings).
 * This is what lets `port: "${PORT:-8080}"` work after env expansion.
 */
export function coerceScalars(schema: z.ZodType, value: unknown): unknown {
  const def = defOf(unwrap(schema));
  if (typeof value === 'string') {
    if (def.type === 'number' && CLEAN_NUMBER.test(value)) return Number(value);
    if (def.type === 'boolean') {
      const lower = value.toLowerCase();
      if (lower === 'true') return true;
      if (lower === 'false') return false;
    }
    return value;
  }
  if (Array.isArray(value)) {
    return def.type === 'array' && def.element !== undefined
      ? value.map((item) => coerceScalars(def.element as z.ZodType, item))
      : value;
  }
  if (value !== null && typeof value === 'object') {
    if (def.type === 'object' && def.shape !== undefined) {
      const shape = def.shape;
      return Object.fromEntries(
        Object.entries(value).map(([key, inner]) => {
          const child = shape[key];
          return [key, child === undefined ? inner : coerceScalars(child, inner)];
        }),
      );
    }
    if (def.type === 'record' && def.valueType !== undefined) {
      const valueType = def.valueType;
      return Object.fromEntries(Object.entries(value).map(([key, inner]) => [key, coerceScalars(valueType, inner)]));
    }
  }
  return value;
}
