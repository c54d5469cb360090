import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { pino } from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadConfig, redactedConfig } from '../../src/config/load.js';
import type { VitalsConfig } from '../../src/core/settings.js';
import type { ProbeResult } from '../../src/core/types.js';
import { buildProbes } from '../../src/runner/build-probes.js';
import { runProbe } from '../../src/runner/run-probe.js';
import { startPostgres, type PostgresServer } from '../support/postgres-server.js';
import { startRedis, type RedisServer } from '../support/redis-server.js';

/**
 * Zero-config (CONTRACT §5): with no config file, DATABASE_URL (or
 * POSTGRES_URL) adds a postgres probe and REDIS_URL a redis probe, and those
 * probes work against a real PostgreSQL and redis-server, secrets redacted.
 */

let postgres: PostgresServer;
let redis: RedisServer;
let cwd: string;

beforeAll(async () => {
  [postgres, redis] = await Promise.all([startPostgres(), startRedis()]);
  cwd = await mkdtemp(path.join(tmpdir(), 'vitals-zero-config-')); // no vitals.yaml here
});

afterAll(async () => {
  await Promise.all([postgres?.stop(), redis?.stop(), cwd === undefined ? undefined : rm(cwd, { recursive: true, force: true })]);
});

async function runDatastores(config: VitalsConfig): Promise<Map<string, ProbeResult>> {
  const datastores = { ...config, probes: config.probes.filter((p) => p.type === 'postgres' || p.type === 'redis') };
  const built = buildProbes(datastores, pino({ level: 'silent' }));
  const secrets = config.secrets.all;
  try {
    const results = await Promise.all(built.map((p) => runProbe(p.definition, p.probe, p.settings, { secrets })));
    return new Map(built.map((p, i) => [p.settings.name, results[i] as ProbeResult]));
  } finally {
    await Promise.all(built.map((p) => p.probe.close(1_000)));
  }
}

describe('zero-config picks up PostgreSQL and Redis from the environment', () => {
  it('DATABASE_URL and REDIS_URL add critical ready-group probes with default thresholds, and both pass', async () => {
    const config = await loadConfig({ env: { DATABASE_URL: postgres.url(), REDIS_URL: redis.url() }, cwd });
    expect(config.source).toBe('zero-config');
    const byType = new Map(config.probes.map((p) => [p.type, p]));
    expect(byType.get('postgres')).toMatchObject({ name: 'postgres', critical: true, groups: ['ready'], options: { url: postgres.url(), longQueryAge: '5m' } });
    expect(byType.get('postgres')?.warn.connectionsUtilization).toBe(0.8);
    expect(byType.get('postgres')?.fail.connectionsUtilization).toBe(0.95);
    expect(byType.get('redis')).toMatchObject({ name: 'redis', critical: true, groups: ['ready'], options: { url: redis.url() } });
    expect(byType.get('redis')?.warn.memoryUtilization).toBe(0.8);
    expect(byType.get('redis')?.fail.memoryUtilization).toBe(0.95);

    const results = await runDatastores(config);
    expect(results.get('postgres')?.status, JSON.stringify(results.get('postgres'))).toBe('pass');
    expect(results.get('redis')?.status, JSON.stringify(results.get('redis'))).toBe('pass');

    const printed = JSON.stringify(redactedConfig(config));
    expect(printed).not.toContain(postgres.password);
    expect(printed).not.toContain(redis.password);
  });

  it('POSTGRES_URL works when DATABASE_URL is unset, and DATABASE_URL wins when both are set', async () => {
    const only = await loadConfig({ env: { POSTGRES_URL: postgres.url() }, cwd });
    expect(only.probes.find((p) => p.type === 'postgres')?.options.url).toBe(postgres.url());
    expect((await runDatastores(only)).get('postgres')?.status).toBe('pass');

    const both = await loadConfig({ env: { DATABASE_URL: postgres.url(), POSTGRES_URL: postgres.url({ database: 'other' }) }, cwd });
    const probes = both.probes.filter((p) => p.type === 'postgres');
    expect(probes).toHaveLength(1);
    expect(probes[0]?.options.url).toBe(postgres.url());
  });

  it('wrong passwords in the environment → auth for both, no secret in any field', async () => {
    const wrongPg = 'wrong-zero-config-pg-pw-1';
    const wrongRedis = 'wrong-zero-config-redis-pw-2';
    const config = await loadConfig({
      env: { DATABASE_URL: postgres.url({ password: wrongPg }), REDIS_URL: redis.url({ password: wrongRedis }) },
      cwd,
    });
    const results = await runDatastores(config);
    for (const name of ['postgres', 'redis']) {
      const result = results.get(name);
      expect(result?.status).toBe('fail');
      expect(result?.reason).toBe('auth');
      const text = JSON.stringify(result);
      expect(text).not.toContain(wrongPg);
      expect(text).not.toContain(wrongRedis);
    }
  });

  it('adds neither probe when the variables are unset or empty', async () => {
    const config = await loadConfig({ env: { DATABASE_URL: '', REDIS_URL: '' }, cwd });
    expect(config.probes.map((p) => p.type)).not.toContain('postgres');
    expect(config.probes.map((p) => p.type)).not.toContain('redis');
  });
});
