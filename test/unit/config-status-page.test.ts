import { describe, expect, it } from 'vitest';
import { stringify } from 'yaml';
import { ConfigError, parseConfigText, redactedConfig } from '../../src/config/load.js';
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

const withPrometheus = (prometheus: Record<string, unknown>): string => stringify({ statusPage: { prometheus }, probes: [] });

describe('statusPage.prometheus', () => {
  it('absent: no statusPage in the config', () => {
    expect(load('probes: []\n').statusPage).toBeUndefined();
  });

  it('url alone gets every default: 5m interval, 10s timeout, every vitals_probe_up series, no headers', () => {
    expect(load(withPrometheus({ url: 'http://prometheus:9090/' })).statusPage).toEqual({
      prometheus: { url: 'http://prometheus:9090', intervalMs: 300_000, timeoutMs: 10_000, selector: '{}', headers: {} },
    });
  });

  it('takes a path prefix, a selector, a bearer token from the environment and extra headers', () => {
    const config = load(
      withPrometheus({
        url: 'https://mimir.example/prometheus',
        interval: '2m',
        timeout: '20s',
        selector: '{job="vitals", namespace=~"prod|stage"}',
        bearerToken: '${PROM_TOKEN}',
        headers: { 'X-Scope-OrgID': 'platform' },
      }),
      { PROM_TOKEN: 'prom-tok-5e6f7a8b' },
    );
    expect(config.statusPage?.prometheus).toEqual({
      url: 'https://mimir.example/prometheus',
      intervalMs: 120_000,
      timeoutMs: 20_000,
      selector: '{job="vitals", namespace=~"prod|stage"}',
      headers: { 'X-Scope-OrgID': 'platform', Authorization: 'Bearer prom-tok-5e6f7a8b' },
    });
    expect(config.secrets.declared).toEqual(expect.arrayContaining(['prom-tok-5e6f7a8b', 'Bearer prom-tok-5e6f7a8b', 'platform']));
  });

  it('user:password in the url becomes Basic auth (fetch refuses credentials in URLs); the password is a secret', () => {
    const config = load(withPrometheus({ url: 'http://admin:p%40ss-w0rd-77@127.0.0.1:9090' }));
    expect(config.statusPage?.prometheus?.url).toBe('http://127.0.0.1:9090');
    expect(config.statusPage?.prometheus?.headers).toEqual({ Authorization: `Basic ${Buffer.from('admin:p@ss-w0rd-77').toString('base64')}` });
    expect(config.secrets.declared).toEqual(expect.arrayContaining(['p@ss-w0rd-77']));
  });

  it('an empty bearerToken (an unset ${VAR:-}) means none', () => {
    expect(load(withPrometheus({ url: 'http://p:9090', bearerToken: '${PROM_TOKEN:-}' })).statusPage?.prometheus?.headers).toEqual({});
  });

  it('config print and /diagnostics (redactedConfig) show the shape, never a credential', () => {
    const config = load(withPrometheus({ url: 'http://admin:basic-pw-3141@p:9090', headers: { 'X-Scope-OrgID': 'tenant-secretish' } }));
    const printed = redactedConfig(config);
    const text = JSON.stringify(printed);
    for (const secret of ['basic-pw-3141', Buffer.from('admin:basic-pw-3141').toString('base64'), 'tenant-secretish']) expect(text).not.toContain(secret);
    expect(printed.statusPage).toEqual({
      prometheus: { url: 'http://p:9090', interval: '5m', timeout: '10s', selector: '{}', headers: { 'X-Scope-OrgID': '***', Authorization: '***' } },
    });
  });

  it.each([
    [{ url: 'prometheus:9090' }, 'statusPage.prometheus.url', 'must be an http:// or https:// URL'],
    [{ url: 'ftp://p' }, 'statusPage.prometheus.url', 'must be an http:// or https:// URL'],
    [{ url: 'http://p:9090/api/v1/query' }, 'statusPage.prometheus.url', "give the server's base URL"],
    [{ url: 'http://p:9090/?x=1' }, 'statusPage.prometheus.url', 'must not have a query or fragment'],
    [{}, 'statusPage.prometheus.url', 'required'],
    [{ url: 'http://p', interval: '5' }, 'statusPage.prometheus.interval', 'invalid duration'],
    [{ url: 'http://p', interval: '1s', timeout: '500ms' }, 'statusPage.prometheus.interval', 'must be at least 5s'],
    [{ url: 'http://p', interval: '30s', timeout: '30s' }, 'statusPage.prometheus.timeout', 'must be less than interval (30s)'],
    [{ url: 'http://p', selector: 'job="vitals"' }, 'statusPage.prometheus.selector', 'must be PromQL label matchers in braces'],
    [{ url: 'http://p', selector: '{job="vitals"}) or vector(1' }, 'statusPage.prometheus.selector', 'must be PromQL label matchers in braces'],
    [{ url: 'http://p', selector: '{job=vitals}' }, 'statusPage.prometheus.selector', 'must be PromQL label matchers in braces'],
    [{ url: 'http://p', headers: { 'bad header': 'x' } }, 'statusPage.prometheus.headers["bad header"]', 'invalid key'],
    [{ url: 'http://p', bearerToken: 'tok-1', headers: { authorization: 'Basic x' } }, 'statusPage.prometheus.bearerToken', 'credentials given twice'],
    [{ url: 'http://u:pw@p', bearerToken: 'tok-1' }, 'statusPage.prometheus.bearerToken', 'credentials given twice (bearerToken and user:password in url)'],
    [{ url: 'http://p', intervall: '5m' }, 'statusPage.prometheus.intervall', 'unknown key (did you mean interval?)'],
  ])('%j → %s: %s', (prometheus, path, message) => {
    const issues = issuesOf(withPrometheus(prometheus));
    expect(issues).toEqual([expect.objectContaining({ path, message: expect.stringContaining(message) as unknown })]);
  });

  it('an unknown key under statusPage is an error with its path', () => {
    expect(issuesOf(stringify({ statusPage: { prometheus: { url: 'http://p' }, refresh: 5 }, probes: [] }))).toEqual([
      expect.objectContaining({ path: 'statusPage.refresh' }),
    ]);
  });

  it('a bad token value never appears in the error', () => {
    const issues = issuesOf(withPrometheus({ url: 'http://p', bearerToken: 12345678 }));
    expect(issues.map((i) => i.path)).toEqual(['statusPage.prometheus.bearerToken']);
    expect(JSON.stringify(issues)).not.toContain('12345678');
  });

  it('accepts the selectors people write', () => {
    for (const selector of ['{}', '{ }', '{job="vitals"}', "{job='vitals',}", '{job=~"vit.*", env!="dev", team!~`a|b`}', '{app="a\\"b"}']) {
      expect(load(withPrometheus({ url: 'http://p', selector })).statusPage?.prometheus?.selector).toBe(selector);
    }
  });
});
