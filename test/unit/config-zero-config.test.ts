import { describe, expect, it } from 'vitest';
import { ConfigError, loadZeroConfig } from '../../src/config/load.js';
import { fakeDefinitions } from '../fixtures/config/fake-definitions.js';


describe('zero-config (no file)', () => {
  it('with no variables: eventloop (live, critical), memory (live), disk (ready, path /)', () => {
    const config = loadZeroConfig({});
    expect(config.source).toBe('zero-config');
    expect(config.auth).toEqual({ protectMetrics: false });
    expect(config.server).toEqual({ host: '0.0.0.0', port: 8080 });
    expect(config.probes.map((p) => ({ name: p.name, type: p.type, groups: p.groups, critical: p.critical }))).toEqual([
      { name: 'eventloop', type: 'eventloop', groups: ['live'], critical: true },
      { name: 'memory', type: 'memory', groups: ['live'], critical: false },
      { name: 'disk', type: 'disk', groups: ['ready'], critical: false },
    ]);
    expect(config.probes[2]?.options).toMatchObject({ path: '/' });
    for (const probe of config.probes) expect(probe.timeoutMs).toBeLessThan(probe.intervalMs);
  });

  it.each([
    { type: 'postgres' as const, env: { DATABASE_URL: 'postgres://app:pw@127.0.0.1:5432/app' }, options: { url: 'postgres://app:pw@127.0.0.1:5432/app' } },
    { type: 'postgres' as const, env: { POSTGRES_URL: 'postgres://127.0.0.1/b' }, options: { url: 'postgres://127.0.0.1/b' } },
    { type: 'postgres' as const, env: { DATABASE_URL: 'postgres://127.0.0.1/a', POSTGRES_URL: 'postgres://127.0.0.1/b' }, options: { url: 'postgres://127.0.0.1/a' } },
    { type: 'redis' as const, env: { REDIS_URL: 'redis://127.0.0.1:6379' }, options: { url: 'redis://127.0.0.1:6379' } },
    { type: 'nats' as const, env: { NATS_URL: 'nats://127.0.0.1:4222' }, options: { url: 'nats://127.0.0.1:4222' } },
    {
      type: 'neo4j' as const,
      env: { NEO4J_URL: 'bolt://127.0.0.1:7687', NEO4J_USER: 'neo4j', NEO4J_PASSWORD: 'pw' },
      options: { url: 'bolt://127.0.0.1:7687', user: 'neo4j', password: 'pw' },
    },
  ])('$env → a critical ready $type probe', ({ type, env, options }) => {
    const probe = loadZeroConfig(env).probes.find((p) => p.type === type);
    expect(probe).toMatchObject({ name: type, type, critical: true, groups: ['ready'] });
    expect(probe?.options).toMatchObject(options);
  });

  it('an empty variable does not conjure a probe', () => {
    const types = loadZeroConfig({ DATABASE_URL: '', REDIS_URL: '' }).probes.map((p) => p.type);
    expect(types).not.toContain('postgres');
    expect(types).not.toContain('redis');
  });

  it('types missing from the probe table are skipped, not errors', () => {
    const config = loadZeroConfig({ DATABASE_URL: 'postgres://h/db', NATS_URL: 'nats://h' }, fakeDefinitions);
    expect(config.probes.map((p) => p.name)).toEqual(['eventloop']);
  });

  it('VITALS_TOKEN becomes auth.token; an empty one means no token', () => {
    expect(loadZeroConfig({ VITALS_TOKEN: 's3cret-token' }, fakeDefinitions).auth).toEqual({ token: 's3cret-token', protectMetrics: false });
    expect(loadZeroConfig({ VITALS_TOKEN: '' }, fakeDefinitions).auth).toEqual({ protectMetrics: false });
  });

  it.each([
    { env: { PORT: '3000' }, port: 3000 },
    { env: { VITALS_PORT: '4000', PORT: '3000' }, port: 4000 },
  ])('port from $env', ({ env, port }) => {
    expect(loadZeroConfig(env, fakeDefinitions).server.port).toBe(port);
  });

  it('a bad URL variable is a config error named after the variable, with the password kept out', () => {
    try {
      loadZeroConfig({ DATABASE_URL: 'mysql://root:hunter2pw@127.0.0.1/app' });
      expect.unreachable();
    } catch (error) {
      expect(error).toBeInstanceOf(ConfigError);
      const { issues, source } = error as ConfigError;
      expect(source).toBe('zero-config');
      expect(issues.map((issue) => issue.path)).toEqual(['DATABASE_URL']);
      expect(JSON.stringify(issues)).not.toContain('hunter2pw');
    }
  });
});
