import { describe, expect, it } from 'vitest';
import { expandEnv, expandString } from '../../src/config/expand-env.js';
import { ConfigError, parseConfigText } from '../../src/config/load.js';
import { fakeDefinitions } from '../fixtures/config/fake-definitions.js';

const env: NodeJS.ProcessEnv = { HOST: 'db.internal', EMPTY: '', PORT: '5432', DOLLAR: 'a$b' };

describe('expandString', () => {
  it.each([
    { input: 'plain', output: 'plain' },
    { input: '${HOST}', output: 'db.internal' },
    { input: 'postgres://${HOST}:${PORT}/app', output: 'postgres://db.internal:5432/app' },
    { input: '${MISSING:-fallback}', output: 'fallback' },
    { input: '${MISSING:-}', output: '' },
    { input: '${EMPTY:-fallback}', output: 'fallback' }, // POSIX: `:-` treats empty as unset
    { input: '${EMPTY-fallback}', output: '' }, // `-` only replaces unset
    { input: '${MISSING-fallback}', output: 'fallback' },
    { input: '${EMPTY}', output: '' }, // set, even if empty
    { input: '${HOST:-other}', output: 'db.internal' },
    { input: '${MISSING:-a:b/c?d=e}', output: 'a:b/c?d=e' },
    { input: '$$', output: '$' },
    { input: '$${HOST}', output: '${HOST}' },
    { input: 'pa$$word', output: 'pa$word' },
    { input: 'pa$word', output: 'pa$word' }, // a lone $ is kept
    { input: 'cost: 5$', output: 'cost: 5$' },
    { input: '${DOLLAR}', output: 'a$b' }, // values are not expanded again
  ])('$input → $output', ({ input, output }) => {
    expect(expandString(input, env)).toEqual({ text: output, problems: [], secrets: [] });
  });

  it.each([
    { input: '${MISSING}', problem: 'environment variable MISSING is not set (give it a value, or write ${MISSING:-default})' },
    { input: 'x ${HOST', problem: 'unterminated "${" (write ${NAME}, or $$ for a literal $)' },
    { input: '${1BAD}', problem: 'invalid reference "${1BAD}" (write ${NAME} or ${NAME:-default}; $$ for a literal $)' },
    { input: '${}', problem: 'invalid reference "${}" (write ${NAME} or ${NAME:-default}; $$ for a literal $)' },
    { input: '${A B}', problem: 'invalid reference "${A B}" (write ${NAME} or ${NAME:-default}; $$ for a literal $)' },
  ])('$input is a problem', ({ input, problem }) => {
    expect(expandString(input, env).problems).toEqual([problem]);
  });

  it('reports every missing variable of one value', () => {
    expect(expandString('${A}:${B}', {}).problems).toHaveLength(2);
  });

  it('remembers values of secret-named variables so they can be redacted later', () => {
    const result = expandString('Bearer ${OPENAI_API_KEY} ${HOST}', { OPENAI_API_KEY: 'sk-live-123', HOST: 'h' });
    expect(result.secrets).toEqual(['sk-live-123']);
  });
});

describe('expandEnv over a parsed tree', () => {
  it('expands strings at any depth, leaves keys, numbers and booleans alone', () => {
    const tree = { '${HOST}': 1, list: ['${HOST}', 2, true, null], nested: { deep: '${PORT}' } };
    expect(expandEnv(tree, env)).toEqual({
      value: { '${HOST}': 1, list: ['db.internal', 2, true, null], nested: { deep: '5432' } },
      issues: [],
      secrets: [],
    });
  });

  it('names the path of each missing variable', () => {
    const tree = { probes: [{ name: 'a' }, { headers: { Authorization: 'Bearer ${OPENAI_API_KEY}' } }] };
    expect(expandEnv(tree, {}).issues).toEqual([
      {
        path: 'probes[1].headers.Authorization',
        message: 'environment variable OPENAI_API_KEY is not set (give it a value, or write ${OPENAI_API_KEY:-default})',
      },
    ]);
  });

  it('a variable cannot inject YAML structure: its value stays one string', () => {
    const config = parseConfigText(
      'probes:\n  - name: a\n    type: tls\n    host: "${EVIL}"\n',
      'test.yaml',
      { EVIL: 'x\n    url: injected\n  - name: b' },
      fakeDefinitions,
    );
    expect(config.probes).toHaveLength(1);
    expect(config.probes[0]?.options).toEqual({ host: 'x\n    url: injected\n  - name: b' });
  });
});

describe('expansion inside a config file', () => {
  const definitions = fakeDefinitions;
  const load = (text: string, vars: NodeJS.ProcessEnv) => parseConfigText(text, 'test.yaml', vars, definitions);

  it.each([
    { what: 'a default number', port: '"${P:-8081}"', vars: {}, expected: 8081 },
    { what: 'a set number', port: '"${P:-8081}"', vars: { P: '9000' }, expected: 9000 },
    { what: 'a quoted literal number', port: '"9001"', vars: {}, expected: 9001 },
  ])('a number key accepts $what from a string', ({ port, vars, expected }) => {
    expect(load(`server: { port: ${port} }\nprobes: []\n`, vars).server.port).toBe(expected);
  });

  it('coerces booleans where a boolean is expected', () => {
    const config = load('auth: { token: t, protectMetrics: "${PROTECT:-true}" }\nprobes: []\n', {});
    expect(config.auth.protectMetrics).toBe(true);
  });

  it('does not coerce where a string is expected', () => {
    const config = load('service: { id: "${ID:-123}" }\nprobes: []\n', {});
    expect(config.service.id).toBe('123');
  });

  it('a string that is not a clean number is still an error', () => {
    expect(() => load('server: { port: "${P:-80x}" }\nprobes: []\n', {})).toThrowError(ConfigError);
    try {
      load('server: { port: "${P:-80x}" }\nprobes: []\n', {});
    } catch (error) {
      expect((error as ConfigError).issues).toEqual([{ path: 'server.port', message: 'expected a number, got a string' }]);
    }
  });

  it('an unset variable is reported once, at its path, not again as an invalid value', () => {
    try {
      load('probes:\n  - name: a\n    type: tcp\n    host: "${DB_HOST}"\n    port: "${DB_PORT}"\n', {});
      expect.unreachable();
    } catch (error) {
      expect((error as ConfigError).issues).toEqual([
        { path: 'probes[0].host', message: 'environment variable DB_HOST is not set (give it a value, or write ${DB_HOST:-default})' },
        { path: 'probes[0].port', message: 'environment variable DB_PORT is not set (give it a value, or write ${DB_PORT:-default})' },
      ]);
    }
  });

  it('$$ writes a literal dollar into a value', () => {
    const config = load('service: { description: "costs $$5 and $${HOME}" }\nprobes: []\n', {});
    expect(config.service.description).toBe('costs $5 and ${HOME}');
  });
});
