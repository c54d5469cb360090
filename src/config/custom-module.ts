import { stat } from 'node:fs/promises';
import { isAbsolute, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { z } from 'zod';
import { ProbeError } from '../core/errors.js';
import type { ProbeDefinition } from '../core/probe.js';
import { REASONS } from '../core/types.js';
import { issueAt, type ConfigIssue, type PathSegment } from './errors.js';

/** The type name of probes whose definition a user's module provides (CONTRACT §1). */
export const CUSTOM_TYPE = 'custom';

/** What a `custom` module gets when it exports a function: what it needs to write a probe without installing anything. */
export interface CustomProbeKit {
  z: typeof z;
  /** Throw `new ProbeError('auth', 'token rejected')` to choose the reason yourself. */
  ProbeError: typeof ProbeError;
}

export type LoadedModule = { definition: ProbeDefinition } | { problem: string };
/** Keyed by the module's absolute path. */
export type CustomModules = ReadonlyMap<string, LoadedModule>;

/** A module's top level runs at config time: one that never settles must not hang `vitals serve`. */
const LOAD_TIMEOUT_MS = 5_000;

const unitSchema = z.enum(['ms', 'seconds', 'ratio', 'count', 'bytes', 'days', 'percent', 'code', 'info']);
const fn = z.custom<(...args: never[]) => unknown>((value) => typeof value === 'function', 'must be a function');

/** The definition shape the built-in probes use; everything but create() has a default for user modules. */
const definitionShape = z.object({
  type: z.string().optional(),
  componentType: z.enum(['datastore', 'component', 'system']).default('component'),
  defaultIntervalMs: z.number().int().positive().default(30_000),
  defaultGroups: z.array(z.enum(['live', 'ready'])).min(1).optional(),
  defaultCritical: z.boolean().optional(),
  options: z
    .custom<z.ZodObject>((value) => value instanceof z.ZodObject, 'must be a zod object schema made with the `z` the module is handed (or zod 4 from vitals itself)')
    .default(() => z.object({})),
  measurements: z
    .record(
      z.string(),
      z.object({
        unit: unitSchema,
        worse: z.enum(['higher', 'lower']).optional(),
        warn: z.number().optional(),
        fail: z.number().optional(),
        description: z.string().default(''),
      }),
    )
    .default({}),
  hints: z
    .object({
      reasons: z.partialRecord(z.enum(REASONS), z.string()).default({}),
      measurements: z.record(z.string(), z.string()).optional(),
    })
    .default({ reasons: {} }),
  classifyError: fn.optional(),
  hintTarget: fn.optional(),
  secretOptions: z.array(z.string()).optional(),
  create: fn,
});

/** `module:` as written → the absolute path it names (relative to the config file's directory). */
export function modulePath(written: string, baseDir: string): string {
  return isAbsolute(written) ? written : resolve(baseDir, written);
}

/**
 * Imports every module the probes of type `custom` name, once per path.
 * Never throws: a module that cannot be loaded is recorded as a problem,
 * reported by config with the probe's path.
 */
export async function loadCustomModules(tree: unknown, baseDir: string): Promise<CustomModules> {
  const loaded = new Map<string, LoadedModule>();
  const probes = tree !== null && typeof tree === 'object' ? (tree as Record<string, unknown>).probes : undefined;
  if (!Array.isArray(probes)) return loaded;
  for (const entry of probes as unknown[]) {
    if (entry === null || typeof entry !== 'object') continue;
    const { type, module } = entry as Record<string, unknown>;
    if (type !== CUSTOM_TYPE || typeof module !== 'string' || module === '') continue;
    const path = modulePath(module, baseDir);
    if (!loaded.has(path)) loaded.set(path, await loadModule(path, module));
  }
  return loaded;
}

async function loadModule(path: string, written: string): Promise<LoadedModule> {
  try {
    if (!(await stat(path)).isFile()) return { problem: `cannot load ${written} (${path}): not a file` };
  } catch {
    return { problem: `cannot load ${written} (${path}): file not found` };
  }
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_resolve, reject) => {
    timer = setTimeout(() => reject(new Error(`did not finish loading within ${LOAD_TIMEOUT_MS / 1000}s (a top-level await that never settles?)`)), LOAD_TIMEOUT_MS);
  });
  let namespace: Record<string, unknown>;
  try {
    namespace = (await Promise.race([import(pathToFileURL(path).href), timeout])) as Record<string, unknown>;
  } catch (error) {
    return { problem: `cannot load ${written} (${path}): ${loadFailure(error)}` };
  } finally {
    clearTimeout(timer);
  }
  return definitionFrom(namespace, written);
}

function loadFailure(error: unknown): string {
  const message = error instanceof Error ? `${error.name}: ${error.message}` : String(error);
  // One line, no stack: the message is shown beside the probe's path.
  return (message.split('\n')[0] ?? message).slice(0, 300);
}

function definitionFrom(namespace: Record<string, unknown>, written: string): LoadedModule {
  const exported = namespace.default ?? namespace.probe;
  if (exported === undefined) {
    return { problem: `${written} exports no probe: export default (or export const probe =) a definition { create(options, ctx) { return { check, close } } }` };
  }
  let candidate: unknown = exported;
  if (typeof exported === 'function') {
    try {
      candidate = (exported as (kit: CustomProbeKit) => unknown)({ z, ProbeError });
    } catch (error) {
      return { problem: `${written}: its exported function threw: ${loadFailure(error)}` };
    }
  }
  const parsed = definitionShape.safeParse(candidate);
  if (!parsed.success) {
    const details = parsed.error.issues.map((issue) => `${issue.path.length === 0 ? 'the export' : issue.path.join('.')} ${issue.message}`);
    return { problem: `${written} does not export a probe definition: ${details.join('; ')}` };
  }
  const { type: _ignored, ...shape } = parsed.data;
  // The metric label and every reader say `custom`, whatever the module calls itself.
  return { definition: { ...shape, type: CUSTOM_TYPE } as ProbeDefinition };
}

export interface ResolvedCustom {
  definition?: ProbeDefinition;
  path?: string;
  issues: ConfigIssue[];
}

/** The definition for one `type: custom` entry, or the issue at `probes[i].module`. */
export function customDefinitionFor(
  written: unknown,
  at: readonly PathSegment[],
  sources: { customs?: CustomModules; baseDir?: string },
): ResolvedCustom {
  const where = [...at, 'module'];
  if (written === undefined) return { issues: [issueAt(where, 'required for type custom: the path of an ES module exporting a probe definition, relative to the config file')] };
  if (typeof written !== 'string' || written === '') return { issues: [issueAt(where, 'must be a path to an ES module (e.g. ./probes/queue-depth.mjs)')] };
  const path = modulePath(written, sources.baseDir ?? process.cwd());
  const loaded = sources.customs?.get(path);
  if (loaded === undefined) return { issues: [issueAt(where, `${written} was not loaded (custom probes are loaded by loadConfig)`)] };
  if ('problem' in loaded) return { issues: [issueAt(where, loaded.problem)] };
  return { definition: loaded.definition, path: written, issues: [] };
}
