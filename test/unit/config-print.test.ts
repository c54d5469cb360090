import { describe, expect, it } from 'vitest';
import { stringify } from 'yaml';
import { ConfigError, formatConfigIssues, loadZeroConfig, parseConfigText, redactedConfig } from '../../src/config/load.js';
import { fakeDefinitions } from '../fixtures/config/fake-definitions.js';

const TOKEN = 'tok-9f8e7d6c5b4a';
const API_KEY = 'sk-proj-abcdef0123456789';
const DB_PASSWORD = 'pg-Secr3t-pass';
const FAKE_PASSWORD = 'fake-option-pw';

describe('redactedConfig', () => {
  const fileText = [
    'auth: { token: "${VITALS_TOKEN}" }',
    'probes:',
    '  - name: db',
    '    type: tcp',
    '    host: 127.0.0.1',
    '    port: 5432',
    '    password: "${DB_OPTION_PW}"',
    '    headers: { Authorization: "Bearer ${OPENAI_API_KEY}", X-Custom: "${OPENAI_API_KEY}" }',
    '  - name: cert',
    '    type: tls',
    '    host: example.test',
    `    url: "postgres://app:${DB_PASSWORD}@127.0.0.1/app?sslmode=disable"`,
    '',
  ].join('\n');
  const env = { VITALS_TOKEN: TOKEN, OPENAI_API_KEY: API_KEY, DB_OPTION_PW: FAKE_PASSWORD };
  const config = parseConfigText(fileText, 'test.yaml', env, fakeDefinitions);
  const printed = redactedConfig(config);

  it.each([TOKEN, API_KEY, DB_PASSWORD, FAKE_PASSWORD])('never contains %s, in JSON or YAML', (secret) => {
    expect(JSON.stringify(printed)).not.toContain(secret);
    expect(stringify(printed)).not.toContain(secret);
  });

  it('is shaped like the file, durations written back, secrets masked in place', () => {
    expect(printed).toMatchObject({
      source: 'test.yaml',
      auth: { token: '***', protectMetrics: false },
      defaults: { interval: '30s', timeout: '2s', failureThreshold: 2, successThreshold: 1 },
      shutdown: { drainDelay: '5s', timeout: '25s' },
      probes: [
        {
          name: 'db',
          type: 'tcp',
          interval: '30s',
          timeout: '2s',
          host: '127.0.0.1',
          port: 5432,
          password: '***',
          headers: { Authorization: '***', 'X-Custom': '***' },
        },
        { name: 'cert', type: 'tls', interval: '1m', url: 'postgres://app:***@127.0.0.1/app?sslmode=disable' },
      ],
    });
  });

  it('survives a JSON round trip unchanged (plain data only)', () => {
    expect(JSON.parse(JSON.stringify(printed))).toEqual(printed);
  });

  it('omits auth.token when there is none', () => {
    const plain = redactedConfig(parseConfigText('probes: []\n', 't.yaml', {}, fakeDefinitions));
    expect(plain.auth).toEqual({ protectMetrics: false });
  });

  it('config.secrets, gathered at load, lists what redactText must remove elsewhere', () => {
    const secrets = config.secrets.all;
    for (const secret of [TOKEN, API_KEY, FAKE_PASSWORD, DB_PASSWORD]) expect(secrets).toContain(secret);
  });

  it('masks the real types\' secrets too (zero-config with connection URLs)', () => {
    const zero = loadZeroConfig({
      DATABASE_URL: `postgres://app:${DB_PASSWORD}@127.0.0.1:5432/app`,
      REDIS_URL: `redis://:${DB_PASSWORD}x@127.0.0.1:6379`,
      NATS_URL: `nats://u:${DB_PASSWORD}y@127.0.0.1:4222`,
      NEO4J_URL: 'bolt://127.0.0.1:7687',
      NEO4J_USER: 'neo4j',
      NEO4J_PASSWORD: FAKE_PASSWORD,
      VITALS_TOKEN: TOKEN,
    });
    const text = JSON.stringify(redactedConfig(zero));
    for (const secret of [DB_PASSWORD, FAKE_PASSWORD, TOKEN]) expect(text).not.toContain(secret);
    expect(text).toContain('"token":"***"');
  });

  it('a URL password that is also an ordinary word masks only the password', () => {
    const zero = loadZeroConfig({ DATABASE_URL: 'postgres://postgres:postgres@127.0.0.1/postgres' });
    const db = (redactedConfig(zero).probes as Array<Record<string, unknown>>).find((p) => p.name === 'postgres');
    expect(db?.url).toBe('postgres://postgres:***@127.0.0.1/postgres');
  });
});

describe('formatConfigIssues', () => {
  it('names the file, then one "path: message" line per issue, no stack', () => {
    const error = new ConfigError('/etc/vitals.yaml', [
      { path: '', message: 'line 3, column 7: bad' },
      { path: 'probes[2].timeout', message: 'must be less than interval (10s)' },
    ]);
    expect(formatConfigIssues(error)).toBe('/etc/vitals.yaml: 2 problems\nline 3, column 7: bad\nprobes[2].timeout: must be less than interval (10s)');
  });

  it('never echoes a secret that a bad value quoted back', () => {
    try {
      parseConfigText(`probes:\n  - { name: a, type: tcp, host: h, port: 1, groups: ["\${OPENAI_API_KEY}"] }\n`, 't.yaml', { OPENAI_API_KEY: API_KEY }, fakeDefinitions);
      expect.unreachable();
    } catch (error) {
      const text = formatConfigIssues(error as ConfigError);
      expect(text).toContain('probes[0].groups[0]: must be one of live, ready');
      expect(text).not.toContain(API_KEY);
    }
  });
});
