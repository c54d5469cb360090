import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { ConfigError, parseConfigText } from '../../src/config/load.js';
import { formatDuration, parseDuration } from '../../src/core/duration.js';
import { fakeDefinitions } from '../fixtures/config/fake-definitions.js';

/** Property-based: bad input, many times over. Case counts are fixed (numRuns) so the run stays seconds long. */
const STACK = /\n\s+at\s|\bat .*\.(?:ts|js):\d+/;
const validFull = readFileSync(fileURLToPath(new URL('../fixtures/config/valid-full.yaml', import.meta.url)), 'utf8');

/** Either a config, or a ConfigError whose every issue has a path string and a one-line message without a stack. */
const ENV = { VITALS_TOKEN: 't0ken-value' };
function loadsOrExplains(text: string): void {
  try {
    parseConfigText(text, 'prop.yaml', ENV, fakeDefinitions);
  } catch (error) {
    expect(error).toBeInstanceOf(ConfigError);
    const issues = (error as ConfigError).issues;
    expect(issues.length).toBeGreaterThan(0);
    for (const issue of issues) {
      expect(typeof issue.path).toBe('string');
      expect(issue.message).not.toMatch(STACK);
      expect(issue.message.trim()).not.toBe('');
    }
  }
}

/** One edit to a valid file: delete, insert, replace a span, or duplicate / drop / swap lines. */
const mutation = fc.oneof(
  fc.record({ kind: fc.constant('delete' as const), at: fc.nat(), length: fc.integer({ min: 1, max: 20 }) }),
  fc.record({ kind: fc.constant('insert' as const), at: fc.nat(), text: fc.string({ maxLength: 12 }) }),
  fc.record({
    kind: fc.constant('replace' as const),
    at: fc.nat(),
    text: fc.constantFrom(':', '- ', '[', ']', '{', '}', '"', "'", '\t', '\n', '&a', '*a', '!!binary', '${X}', '0x', '-1', '1e309', 'null', '~', '#'),
  }),
  fc.record({ kind: fc.constant('lines' as const), at: fc.nat(), op: fc.constantFrom('dup', 'drop', 'swap', 'indent', 'dedent') }),
);
type Mutation = typeof mutation extends fc.Arbitrary<infer T> ? T : never;

function mutate(text: string, edit: Mutation): string {
  const at = edit.at % Math.max(1, text.length);
  switch (edit.kind) {
    case 'delete':
      return text.slice(0, at) + text.slice(at + edit.length);
    case 'insert':
    case 'replace':
      return text.slice(0, at) + edit.text + text.slice(edit.kind === 'replace' ? at + 1 : at);
    case 'lines': {
      const lines = text.split('\n');
      const i = edit.at % lines.length;
      const line = lines[i] ?? '';
      if (edit.op === 'dup') lines.splice(i, 0, line);
      if (edit.op === 'drop') lines.splice(i, 1);
      if (edit.op === 'swap' && i + 1 < lines.length) [lines[i], lines[i + 1]] = [lines[i + 1] ?? '', line];
      if (edit.op === 'indent') lines[i] = `   ${line}`;
      if (edit.op === 'dedent') lines[i] = line.trimStart();
      return lines.join('\n');
    }
  }
}

describe('property: config loader', () => {
  it('random text: a config or a ConfigError with paths, never anything else (500 cases)', () => {
    fc.assert(fc.property(fc.string({ unit: 'binary', maxLength: 200 }), loadsOrExplains), { numRuns: 500 });
  });

  it('random YAML-shaped values: a config or a ConfigError with paths (500 cases)', () => {
    const scalar = fc.oneof(fc.string({ maxLength: 10 }), fc.integer(), fc.double(), fc.boolean(), fc.constant(null), fc.constantFrom('10s', '0ms', '-1s', 'postgres', 'tcp', 'http'));
    const keys = fc.constantFrom('server', 'probes', 'defaults', 'auth', 'shutdown', 'service', 'name', 'type', 'url', 'host', 'port', 'interval', 'timeout', 'critical', 'groups', 'warn', 'fail', 'token', 'x');
    const value = fc.letrec((tie) => ({
      node: fc.oneof({ depthSize: 'small' }, scalar, fc.array(tie('node'), { maxLength: 3 }), fc.dictionary(keys, tie('node'), { maxKeys: 4 })),
    })).node;
    fc.assert(
      fc.property(fc.dictionary(keys, value, { maxKeys: 5 }), (tree) => loadsOrExplains(JSON.stringify(tree))),
      { numRuns: 500 },
    );
  });

  it('mutations of a valid full config: a config or a ConfigError with paths (1000 cases)', () => {
    expect(() => parseConfigText(validFull, 'prop.yaml', ENV, fakeDefinitions)).not.toThrow();
    fc.assert(
      fc.property(fc.array(mutation, { minLength: 1, maxLength: 4 }), (edits) => loadsOrExplains(edits.reduce(mutate, validFull))),
      { numRuns: 1_000 },
    );
  });
});

describe('property: durations', () => {
  it('any string parses to a finite non-negative integer of ms or to undefined, never throws (2000 cases)', () => {
    fc.assert(
      fc.property(fc.oneof(fc.string({ unit: 'binary' }), fc.stringMatching(/^\s*\d{0,30}(\.\d{0,10})?(ms|s|m|h|d|x)?\s*$/)), (text) => {
        const ms = parseDuration(text);
        if (ms !== undefined) {
          expect(Number.isInteger(ms)).toBe(true);
          expect(ms).toBeGreaterThanOrEqual(0);
        }
      }),
      { numRuns: 2_000 },
    );
  });

  it('formatDuration and parseDuration round-trip every whole ms (1000 cases)', () => {
    fc.assert(
      fc.property(fc.integer({ min: 0, max: 10 * 365 * 86_400_000 }), (ms) => {
        expect(parseDuration(formatDuration(ms))).toBe(ms);
      }),
      { numRuns: 1_000 },
    );
  });
});
