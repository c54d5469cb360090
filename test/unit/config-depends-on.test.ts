import { describe, expect, it } from 'vitest';
import { ConfigError, parseConfigText } from '../../src/config/load.js';
import { redactedConfig } from '../../src/config/print.js';
import type { VitalsConfig } from '../../src/core/settings.js';
import { fakeDefinitions } from '../fixtures/config/fake-definitions.js';

const load = (text: string): VitalsConfig => parseConfigText(text, 'test.yaml', {}, fakeDefinitions);

function issuesOf(text: string): Array<{ path: string; message: string }> {
  try {
    load(text);
  } catch (error) {
    if (error instanceof ConfigError) return error.issues;
    throw error;
  }
  throw new Error('expected a ConfigError');
}

/** tcp probes `name: [deps]`, in order. */
const probes = (...entries: Array<[string, string[] | undefined]>): string =>
  [
    'probes:',
    ...entries.map(([name, deps]) => `  - { name: ${name}, type: tcp, host: 127.0.0.1, port: 1${deps === undefined ? '' : `, dependsOn: [${deps.join(', ')}]`} }`),
    '',
  ].join('\n');

describe('dependsOn in the config', () => {
  it('is carried into the settings, [] when absent', () => {
    const config = load(probes(['net', undefined], ['dns', ['net']], ['db', ['dns', 'net']]));
    expect(config.probes.map((p) => [p.name, p.dependsOn])).toEqual([
      ['net', []],
      ['dns', ['net']],
      ['db', ['dns', 'net']],
    ]);
  });

  it('an unknown name is reported at its index with a suggestion', () => {
    expect(issuesOf(probes(['dns-internal', undefined], ['db', ['dns-internal', 'dns-internl', 'zzz']]))).toEqual([
      { path: 'probes[1].dependsOn[1]', message: 'unknown probe "dns-internl" (did you mean dns-internal? configured: dns-internal, db)' },
      { path: 'probes[1].dependsOn[2]', message: 'unknown probe "zzz" (configured: dns-internal, db)' },
    ]);
  });

  it('a probe may not depend on itself', () => {
    expect(issuesOf(probes(['db', ['db']]))).toEqual([{ path: 'probes[0].dependsOn[0]', message: 'a probe cannot depend on itself ("db")' }]);
  });

  it('a cycle is reported once, at its first probe in the file, with the whole loop', () => {
    expect(issuesOf(probes(['net', undefined], ['x', ['net']], ['db', ['net', 'dns']], ['dns', ['db']]))).toEqual([
      { path: 'probes[2].dependsOn[1]', message: 'cycle db → dns → db' },
    ]);
    expect(issuesOf(probes(['a', ['b']], ['b', ['c']], ['c', ['a']]))).toEqual([{ path: 'probes[0].dependsOn[0]', message: 'cycle a → b → c → a' }]);
  });

  it('a diamond is no cycle', () => {
    expect(load(probes(['net', undefined], ['dns', ['net']], ['tcp', ['net']], ['db', ['dns', 'tcp']])).probes).toHaveLength(4);
  });

  it('a name that is not a string is a clear error, not a crash', () => {
    expect(issuesOf(probes(['db', ['{ a: 1 }']]))).toEqual([{ path: 'probes[0].dependsOn[0]', message: 'must be a list of probe names' }]);
  });

  it('a probe with problems of its own is still a known name', () => {
    const text = ['probes:', '  - { name: net, type: tcp, host: 127.0.0.1, port: 1, timeout: nope }', '  - { name: db, type: tcp, host: 127.0.0.1, port: 1, dependsOn: [net] }', ''].join('\n');
    expect(issuesOf(text).map((i) => i.path)).toEqual(['probes[0].timeout']);
  });

  it('config print writes it back and the printed file loads to the same dependencies', () => {
    const config = load(probes(['net', undefined], ['db', ['net']]));
    const printed = redactedConfig(config) as { probes: Array<Record<string, unknown>> };
    expect(printed.probes[0]).not.toHaveProperty('dependsOn');
    expect(printed.probes[1]).toMatchObject({ dependsOn: ['net'] });
    // `source` says where the printed config came from; it is a comment-like extra, not a config key.
    const { source: _source, ...file } = printed as Record<string, unknown>;
    const again = parseConfigText(JSON.stringify(file), 'printed.yaml', {}, fakeDefinitions);
    expect(again.probes.map((p) => p.dependsOn)).toEqual([[], ['net']]);
  });
});
