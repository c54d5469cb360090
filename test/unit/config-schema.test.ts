import { describe, expect, it } from 'vitest';
import { ConfigError, parseConfigText } from '../../src/config/load.js';
import type { VitalsConfig } from '../../src/core/settings.js';
import { fakeDefinitions } from '../fixtures/config/fake-definitions.js';

const load = (text: string, env: NodeJS.ProcessEnv = {}): VitalsConfig => parseConfigText(text, 'test.yaml', env, fakeDefinitions);

function issuesOf(text: string, env: NodeJS.ProcessEnv = {}): Array<{ path: string; message: string }> {
  try {
    load(text, env);
  } catch (error) {
    if (error instanceof ConfigError) return error.issues;
    throw error;
  }
  throw new Error('expected a ConfigError');
}

/** A config with one tcp probe; `extra` lines go into that probe (4-space indent). */
const oneProbe = (...extra: string[]): string =>
  ['probes:', '  - name: db', '    type: tcp', '    host: 127.0.0.1', '    port: 5432', ...extra.map((line) => `    ${line}`), ''].join('\n');

describe('defaults when the file says little', () => {
  it('a file with only "probes: []" gets every documented default', () => {
    const config = load('probes: []\n');
    expect(config).toEqual({
      service: { id: 'vitals', description: '' },
      server: { host: '0.0.0.0', port: 8080 },
      auth: { protectMetrics: false },
      defaults: { intervalMs: 30_000, timeoutMs: 2_000, failureThreshold: 2, successThreshold: 1 },
      shutdown: { drainDelayMs: 5_000, timeoutMs: 25_000 },
      probes: [],
      source: 'test.yaml',
      secrets: { all: [], declared: [] },
    });
  });

  it('a probe inherits type interval, built-in timeout, critical, [ready], thresholds', () => {
    expect(load(oneProbe()).probes[0]).toEqual({
      name: 'db',
      type: 'tcp',
      definition: expect.objectContaining({ type: 'tcp' }) as unknown,
      critical: true,
      groups: ['ready'],
      intervalMs: 30_000,
      timeoutMs: 2_000,
      failureThreshold: 2,
      successThreshold: 1,
      dependsOn: [],
      warn: { usedRatio: 0.8, daysLeft: 14 },
      fail: { usedRatio: 0.9, daysLeft: 3 },
      options: { host: '127.0.0.1', port: 5432, verbose: false },
    });
  });

  it('uses the type default groups and interval; a short interval shortens the built-in timeout', () => {
    const probe = load('probes:\n  - { name: loop, type: eventloop }\n').probes[0];
    expect(probe).toMatchObject({ groups: ['live'], intervalMs: 1_000, timeoutMs: 500 });
  });

  it('an explicit defaults.interval wins over the type default', () => {
    const probe = load('defaults: { interval: 15s }\nprobes:\n  - { name: loop, type: eventloop }\n').probes[0];
    expect(probe?.intervalMs).toBe(15_000);
  });

  it('an empty auth token means no token', () => {
    expect(load('auth: { token: "${VITALS_TOKEN:-}" }\nprobes: []\n').auth).toEqual({ protectMetrics: false });
  });

  it('probes can share settings through a YAML anchor and merge key', () => {
    const text = [
      'probes:',
      '  - &common { name: a, type: tls, host: h, interval: 7s, critical: false }',
      '  - { <<: *common, name: b }',
      '',
    ].join('\n');
    expect(load(text).probes.map((p) => [p.name, p.intervalMs, p.critical])).toEqual([
      ['a', 7_000, false],
      ['b', 7_000, false],
    ]);
  });

  it('server.rateLimits: each written limit as max per window in ms; unwritten ones stay absent', () => {
    const config = load('server: { rateLimits: { diagnostics: { max: 2, window: 1s }, adminRun: { max: 3, window: 1m } } }\nprobes: []\n');
    expect(config.server.rateLimits).toEqual({ diagnostics: { max: 2, timeWindowMs: 1_000 }, adminRun: { max: 3, timeWindowMs: 60_000 } });
  });

  it('removes duplicate groups', () => {
    expect(load(oneProbe('groups: [live, live, ready]')).probes[0]?.groups).toEqual(['live', 'ready']);
  });
});

describe('each rule, with its exact path and message', () => {
  it.each([
    // top level and sections
    { text: 'probes: []\nextra: 1\n', path: 'extra', message: 'unknown key (expected one of: service, server, auth, defaults, shutdown, statusPage, probes)' },
    { text: 'server: {}\n', path: 'probes', message: 'required (a list of probes; it may be [])' },
    { text: 'probes: {}\n', path: 'probes', message: 'must be a list of probes' },
    { text: 'server: { prot: 1 }\nprobes: []\n', path: 'server.prot', message: 'unknown key (did you mean port?)' },
    { text: 'server: { port: -1 }\nprobes: []\n', path: 'server.port', message: 'must be at least 0' },
    { text: 'server: { port: 80.5 }\nprobes: []\n', path: 'server.port', message: 'expected a whole number, got a number' },
    { text: 'server: { host: "" }\nprobes: []\n', path: 'server.host', message: 'must not be empty' },
    { text: 'server: { rateLimits: { diagnostics: { max: 0, window: 1s } } }\nprobes: []\n', path: 'server.rateLimits.diagnostics.max', message: 'must be at least 1' },
    { text: 'server: { rateLimits: { status: { max: 5, window: 5 } } }\nprobes: []\n', path: 'server.rateLimits.status.window', message: 'invalid duration 5 (use 500ms, 2s, 1m, 1h, 7d; a number needs a unit)' },
    { text: 'server: { rateLimits: { metrics: { max: 5, window: 1s } } }\nprobes: []\n', path: 'server.rateLimits.metrics', message: 'unknown key (expected one of: diagnostics, status, adminRun)' },
    { text: 'service: { id: "" }\nprobes: []\n', path: 'service.id', message: 'must not be empty' },
    { text: 'service: []\nprobes: []\n', path: 'service', message: 'expected a mapping (key: value), got a list' },
    { text: 'auth: { protectMetrics: yes }\nprobes: []\n', path: 'auth.protectMetrics', message: 'expected true or false, got a string' },
    { text: 'auth: { protectMetrics: true }\nprobes: []\n', path: 'auth.protectMetrics', message: 'needs auth.token: there is no token to protect /metrics with' },
    { text: 'defaults: { interval: 30 }\nprobes: []\n', path: 'defaults.interval', message: 'invalid duration 30 (use 500ms, 2s, 1m, 1h, 7d; a number needs a unit)' },
    { text: 'defaults: { timeout: 0s }\nprobes: []\n', path: 'defaults.timeout', message: 'must be longer than 0' },
    { text: 'defaults: { interval: 30d }\nprobes: []\n', path: 'defaults.interval', message: 'must be at most 24d (longer timers overflow)' },
    { text: 'defaults: { interval: 5s, timeout: 5s }\nprobes: []\n', path: 'defaults.timeout', message: 'must be less than interval (5s)' },
    { text: 'defaults: { failureThreshold: 0 }\nprobes: []\n', path: 'defaults.failureThreshold', message: 'must be at least 1' },
    { text: 'shutdown: { drainDelay: 30s }\nprobes: []\n', path: 'shutdown.drainDelay', message: 'must be less than shutdown.timeout (25s), which must also cover closing clients' },
    // probes
    { text: 'probes:\n  - just-a-name\n', path: 'probes[0]', message: 'must be a mapping with at least name and type (e.g. "- name: db" / "  type: postgres")' },
    { text: 'probes:\n  - { type: tls, host: h }\n', path: 'probes[0].name', message: 'required' },
    { text: 'probes:\n  - { name: a, host: h }\n', path: 'probes[0].type', message: 'required (available: tcp, tls, eventloop, custom)' },
    { text: 'probes:\n  - { name: a, type: tsl, host: h }\n', path: 'probes[0].type', message: 'unknown probe type "tsl" (did you mean tls? available: tcp, tls, eventloop, custom)' },
    { text: 'probes:\n  - { name: a, type: redis }\n', path: 'probes[0].type', message: 'unknown probe type "redis" (available: tcp, tls, eventloop, custom)' },
    { text: 'probes:\n  - { name: -db, type: tls, host: h }\n', path: 'probes[0].name', message: 'invalid name "-db": use lowercase letters, digits, - and _, starting with a letter or digit, at most 63 characters' },
    { text: `probes:\n  - { name: ${'a'.repeat(64)}, type: tls, host: h }\n`, path: 'probes[0].name', message: `invalid name "${'a'.repeat(64)}": use lowercase letters, digits, - and _, starting with a letter or digit, at most 63 characters` },
    { text: oneProbe('intervall: 10s'), path: 'probes[0].intervall', message: 'unknown key (did you mean interval?)' },
    { text: oneProbe('hots: x'), path: 'probes[0].hots', message: 'unknown key (did you mean host?)' },
    { text: oneProbe('critical: maybe'), path: 'probes[0].critical', message: 'expected true or false, got a string' },
    { text: oneProbe('groups: []'), path: 'probes[0].groups', message: 'must not be empty' },
    { text: oneProbe('groups: [startup]'), path: 'probes[0].groups[0]', message: 'must be one of live, ready (got "startup")' },
    { text: oneProbe('interval: 10'), path: 'probes[0].interval', message: 'invalid duration 10 (use 500ms, 2s, 1m, 1h, 7d; a number needs a unit)' },
    { text: oneProbe('timeout: 2 sec'), path: 'probes[0].timeout', message: 'invalid duration "2 sec" (use 500ms, 2s, 1m, 1h, 7d)' },
    { text: oneProbe('interval: 10s', 'timeout: 10s'), path: 'probes[0].timeout', message: 'must be less than interval (10s)' },
    { text: oneProbe('interval: 1s'), path: 'probes[0].timeout', message: undefined }, // built-in timeout shortens itself: no error
    { text: 'defaults: { timeout: 5s }\n' + oneProbe('interval: 5s'), path: 'probes[0].timeout', message: 'must be less than interval (5s) (the timeout 5s comes from defaults.timeout; set a shorter one here)' },
    { text: oneProbe('failureThreshold: 0'), path: 'probes[0].failureThreshold', message: 'must be at least 1' },
    { text: oneProbe('successThreshold: 1.5'), path: 'probes[0].successThreshold', message: 'expected a whole number, got a number' },
    { text: oneProbe().replace('port: 5432', 'port: 70000'), path: 'probes[0].port', message: 'must be at most 65535' },
    { text: oneProbe('verbose: 1'), path: 'probes[0].verbose', message: 'expected true or false, got a whole number' },
    // thresholds
    { text: oneProbe('warn: { latency: 100 }'), path: 'probes[0].warn.latency', message: 'unknown measurement for tcp (valid: connectTime, usedRatio, daysLeft)' },
    { text: oneProbe('fail: { usedRatoi: 0.5 }'), path: 'probes[0].fail.usedRatoi', message: 'unknown measurement for tcp (did you mean usedRatio? valid: connectTime, usedRatio, daysLeft)' },
    { text: oneProbe('warn: { connectTime: fast }'), path: 'probes[0].warn.connectTime', message: 'expected a number, got a string' },
    { text: oneProbe('warn: { usedRatio: 80 }'), path: 'probes[0].warn.usedRatio', message: 'must be between 0 and 1 (a ratio: 0.8 means 80%), got 80' },
    { text: oneProbe('warn: { connectTime: -5 }'), path: 'probes[0].warn.connectTime', message: 'must not be negative, got -5' },
    { text: oneProbe('fail: { usedRatio: 0.7 }'), path: 'probes[0].fail.usedRatio', message: '0.7 is below warn (0.8, the default); for usedRatio higher is worse, so warn must be ≤ fail' },
    { text: oneProbe('warn: { usedRatio: 0.95 }'), path: 'probes[0].warn.usedRatio', message: '0.95 is above fail (0.9, the default); for usedRatio higher is worse, so warn must be ≤ fail' },
    { text: oneProbe('warn: { daysLeft: 2 }'), path: 'probes[0].warn.daysLeft', message: '2 is below fail (3, the default); for daysLeft lower is worse, so warn must be ≥ fail' },
    { text: oneProbe('warn: { connectTime: 500 }', 'fail: { connectTime: 100 }'), path: 'probes[0].warn.connectTime', message: '500 is above fail (100); for connectTime higher is worse, so warn must be ≤ fail' },
  ])('$path: $message', ({ text, path, message }) => {
    if (message === undefined) {
      expect(() => load(text)).not.toThrow();
      return;
    }
    expect(issuesOf(text)).toEqual([{ path, message }]);
  });

  it('a misspelt probes key is unknown, and probes is then missing', () => {
    expect(issuesOf('probe: []\n')).toEqual([
      { path: 'probe', message: 'unknown key (did you mean probes?)' },
      { path: 'probes', message: 'required (a list of probes; it may be [])' },
    ]);
  });

  it('duplicate names point at the first use', () => {
    const text = 'probes:\n' + ['a', 'b', 'a', 'a'].map((name) => `  - { name: ${name}, type: tls, host: h }\n`).join('');
    expect(issuesOf(text)).toEqual([
      { path: 'probes[2].name', message: 'duplicate name "a" (also probes[0])' },
      { path: 'probes[3].name', message: 'duplicate name "a" (also probes[0])' },
    ]);
  });

  it('thresholds equal at warn and fail are allowed; null switches a default off', () => {
    const probe = load(oneProbe('warn: { usedRatio: 0.9, daysLeft: null }', 'fail: { daysLeft: null }')).probes[0];
    expect(probe?.warn).toEqual({ usedRatio: 0.9 });
    expect(probe?.fail).toEqual({ usedRatio: 0.9 });
  });

  it('a defaults.timeout clash is reported once, not again for every probe', () => {
    const text = 'defaults: { interval: 1s, timeout: 2s }\nprobes:\n  - { name: a, type: tls, host: h }\n  - { name: b, type: tls, host: h }\n';
    expect(issuesOf(text)).toEqual([{ path: 'defaults.timeout', message: 'must be less than interval (1s)' }]);
  });
});

describe('all problems at once', () => {
  it('one bad field does not hide the others in the same probe', () => {
    const text = oneProbe('critical: 3', 'interval: 1s', 'timeout: 1s', 'warn: { nope: 1 }', 'bogus: true').replace('name: db', 'name: Bad');
    expect(issuesOf(text).map((issue) => issue.path)).toEqual([
      'probes[0].name',
      'probes[0].critical',
      'probes[0].timeout',
      'probes[0].warn.nope',
      'probes[0].bogus',
    ]);
  });

  it('an unknown type still gets its common keys checked', () => {
    const text = 'probes:\n  - { name: x, type: nope, interval: 5, url: whatever }\n';
    expect(issuesOf(text).map((issue) => issue.path)).toEqual(['probes[0].type', 'probes[0].interval']);
  });

  it('a bad section does not hide bad probes, and issues come in file order', () => {
    const text = [
      'probes:',
      '  - { name: a, type: tls, host: h, timeout: 5 }',
      'server: { port: nope }',
      'defaults: { interval: 1x }',
      '',
    ].join('\n');
    expect(issuesOf(text).map((issue) => issue.path)).toEqual(['probes[0].timeout', 'server.port', 'defaults.interval']);
  });

  it('rejects a top level that is not a mapping', () => {
    expect(issuesOf('- a\n- b\n')).toEqual([{ path: '', message: expect.stringContaining('top level must be a mapping') as unknown }]);
  });

  it('quotes odd keys in paths', () => {
    expect(issuesOf(oneProbe('headers: { "X-Trace": 1 }'))).toEqual([{ path: 'probes[0].headers.X-Trace', message: 'expected a string, got a whole number' }]);
    expect(issuesOf('probes: []\n"a.b": 1\n')[0]?.path).toBe('["a.b"]');
  });
});

describe('ports: $VITALS_PORT, then $PORT, then server.port, then 8080', () => {
  it.each([
    { env: {}, file: '', port: 8080 },
    { env: {}, file: 'server: { port: 9000 }\n', port: 9000 },
    { env: { PORT: '7000' }, file: 'server: { port: 9000 }\n', port: 7000 },
    { env: { VITALS_PORT: '6000', PORT: '7000' }, file: 'server: { port: 9000 }\n', port: 6000 },
    { env: { VITALS_PORT: '', PORT: '7000' }, file: '', port: 7000 },
    { env: { VITALS_PORT: '0' }, file: '', port: 0 },
  ])('$env with "$file" → $port', ({ env, file, port }) => {
    expect(load(`${file}probes: []\n`, env).server.port).toBe(port);
  });

  it.each(['80a', '65536', '-1'])('VITALS_PORT=%s is reported', (value) => {
    expect(issuesOf('probes: []\n', { VITALS_PORT: value })).toEqual([
      { path: 'server.port', message: `VITALS_PORT="${value}" is not a port (0-65535); it overrides server.port when set` },
    ]);
  });
});
