import { createRequire } from 'node:module';
import type { Document } from 'yaml';
import { formatPath, type ConfigIssue, type PathSegment } from './errors.js';

type YamlLibrary = typeof import('yaml');
let library: YamlLibrary | undefined;

/**
 * The yaml library, loaded when a config file is first parsed: zero-config
 * reads no YAML and does not pay for it (test/e2e/lazy-libraries checks).
 * Synchronous (parseConfigText is); yaml ships CommonJS.
 */
function yaml(): YamlLibrary {
  library ??= createRequire(import.meta.url)('yaml') as YamlLibrary;
  return library;
}

export interface ParsedYaml {
  tree?: unknown;
  issues: ConfigIssue[];
  /** Offset in the file of the node at `path` (or of its nearest written ancestor), for ordering issues. */
  offsetOf(path: string): number;
}

/**
 * YAML text → plain JS tree. Syntax errors come back with line, column and a
 * hint, all of them at once (CF2). Strings stay strings: the core schema has
 * no timestamps or other surprises. Merge keys (`<<: *common`) are on, so
 * probes can share settings through an anchor.
 */
export function parseYaml(text: string): ParsedYaml {
  const { LineCounter, parseDocument, isMap } = yaml();
  const lineCounter = new LineCounter();
  const doc = parseDocument(text, { lineCounter, prettyErrors: false, uniqueKeys: true, merge: true });
  const offsets = collectOffsets(doc);
  const offsetOf = (path: string): number => nearestOffset(offsets, path);

  if (doc.errors.length > 0) {
    const issues = doc.errors.map((error) => {
      const { line, col } = lineCounter.linePos(error.pos[0]);
      return { path: '', message: `line ${line}, column ${col}: ${firstSentence(error.message)} (${hintFor(error.code)})` };
    });
    return { issues, offsetOf };
  }
  if (doc.contents === null || text.trim() === '') {
    return { issues: [{ path: '', message: 'config file is empty (write at least "probes: []", or remove the file to use zero-config)' }], offsetOf };
  }
  if (!isMap(doc.contents)) {
    return { issues: [{ path: '', message: 'the top level must be a mapping (service:, server:, auth:, defaults:, shutdown:, probes:)' }], offsetOf };
  }
  try {
    // maxAliasCount bounds alias expansion ("billion laughs").
    return { tree: doc.toJS({ maxAliasCount: 100 }), issues: [], offsetOf };
  } catch (error) {
    // An alias to an anchor that does not exist (`*a`), or one expanded too often,
    // surfaces only here, as a thrown error: a config problem like any other.
    const message = error instanceof Error ? firstSentence(error.message) : String(error);
    return { issues: [{ path: '', message: `YAML aliases: ${message} (check every *alias has a matching &anchor above it)` }], offsetOf };
  }
}

function firstSentence(message: string): string {
  const line = message.split('\n')[0] ?? message;
  return line.replace(/ at line \d+, column \d+:?$/, '').replace(/^./, (c) => c.toLowerCase());
}

function hintFor(code: string): string {
  switch (code) {
    case 'BLOCK_AS_IMPLICIT_KEY':
      return 'a value contains ": " — quote the value, or check the indentation of the line';
    case 'MULTILINE_IMPLICIT_KEY':
      return 'expected "key: value" — put a space after the colon, and check the indentation';
    case 'BAD_INDENT':
    case 'MISSING_CHAR':
      return 'check the indentation: keys of one mapping start in the same column, list items with "- "; close quotes and brackets';
    case 'TAB_AS_INDENT':
      return 'indent with spaces, not tabs';
    case 'DUPLICATE_KEY':
      return 'a key may appear only once in a mapping';
    default:
      return 'check for a space after each colon and consistent indentation';
  }
}

/** Start offset of every node, keyed by its formatted path. */
function collectOffsets(doc: Document): Map<string, number> {
  const offsets = new Map<string, number>();
  const walk = (node: unknown, path: PathSegment[]): void => {
    if (node === null || typeof node !== 'object') return;
    const range = (node as { range?: [number, number, number] }).range;
    if (range !== undefined) offsets.set(formatPath(path), range[0]);
    const items = (node as { items?: unknown[] }).items;
    if (!Array.isArray(items)) return;
    items.forEach((item, index) => {
      if (item !== null && typeof item === 'object' && 'key' in item && 'value' in item) {
        const pair = item as { key: unknown; value: unknown };
        const keyNode = pair.key as { value?: unknown; range?: [number, number, number] } | null;
        const key = keyNode !== null && typeof keyNode === 'object' ? String(keyNode.value) : String(pair.key);
        // The key's position: an issue about `probes[0].intervall` points at the key.
        const childPath = [...path, key];
        walk(pair.value, childPath);
        if (keyNode?.range !== undefined) offsets.set(formatPath(childPath), keyNode.range[0]);
      } else {
        walk(item, [...path, index]);
      }
    });
  };
  walk(doc.contents, []);
  return offsets;
}

function nearestOffset(offsets: Map<string, number>, path: string): number {
  let current = path;
  for (;;) {
    const found = offsets.get(current);
    if (found !== undefined) return found;
    if (current === '') return 0;
    const cut = Math.max(current.lastIndexOf('.'), current.lastIndexOf('['));
    current = cut <= 0 ? '' : current.slice(0, cut);
  }
}
