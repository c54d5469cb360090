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
import { startBoltStub, type BoltStub } from '../support/bolt-stub/server.js';
import { startNatsServer, type NatsServer } from '../support/nats-server.js';

/**
 * Zero-config (CONTRACT §5): with no config file, NATS_URL and
 * NEO4J_URL/NEO4J_USER/NEO4J_PASSWORD each add a probe, and those probes work
 * against a real nats-server and the Bolt stub, secrets redacted throughout.
 */

const NEO4J_PASSWORD = 'zero-config-neo4j-pw-8812';
let nats: NatsServer;
let bolt: BoltStub;
let cwd: string;

beforeAll(async () => {
  [nats, bolt] = await Promise.all([startNatsServer(), startBoltStub({ user: 'neo4j', password: NEO4J_PASSWORD })]);
  cwd = await mkdtemp(path.join(tmpdir(), 'vitals-zero-config-')); // no vitals.yaml here
});

afterAll(async () => {
  await Promise.all([nats?.stop(), bolt?.close(), cwd === undefined ? undefined : rm(cwd, { recursive: true, force: true })]);
});

function messagingEnv(overrides: Record<string, string> = {}): NodeJS.ProcessEnv {
  return {
    NATS_URL: `nats://${nats.user}:${nats.password}@127.0.0.1:${nats.port}`,
    NEO4J_URL: bolt.url,
    NEO4J_USER: 'neo4j',
    NEO4J_PASSWORD,
    ...overrides,
  };
}

async function runAll(config: VitalsConfig): Promise<Map<string, ProbeResult>> {
  const built = buildProbes(config, pino({ level: 'silent' }));
  const secrets = config.secrets.all;
  try {
    const results = await Promise.all(built.map((p) => runProbe(p.definition, p.probe, p.settings, { secrets })));
    return new Map(built.map((p, i) => [p.settings.name, results[i] as ProbeResult]));
  } finally {
    await Promise.all(built.map((p) => p.probe.close(1_000)));
  }
}

describe('zero-config picks up NATS and Neo4j from the environment', () => {
  it('adds a critical ready-group nats and neo4j probe, and both pass against real peers', async () => {
    const config = await loadConfig({ env: messagingEnv(), cwd });
    expect(config.source).toBe('zero-config');
    const byName = new Map(config.probes.map((p) => [p.name, p]));
    const natsProbe = byName.get('nats');
    const neo4jProbe = byName.get('neo4j');
    expect(natsProbe).toMatchObject({ type: 'nats', critical: true, groups: ['ready'] });
    expect(neo4jProbe).toMatchObject({ type: 'neo4j', critical: true, groups: ['ready'] });
    expect(neo4jProbe?.options).toMatchObject({ url: bolt.url, user: 'neo4j', password: NEO4J_PASSWORD });
    expect(natsProbe?.warn.slowConsumers).toBe(1);

    const results = await runAll({ ...config, probes: config.probes.filter((p) => p.type === 'nats' || p.type === 'neo4j') });
    expect(results.get('nats')?.status, JSON.stringify(results.get('nats'))).toBe('pass');
    expect(results.get('neo4j')?.status, JSON.stringify(results.get('neo4j'))).toBe('pass');

    const printed = JSON.stringify(redactedConfig(config));
    expect(printed).not.toContain(nats.password);
    expect(printed).not.toContain(NEO4J_PASSWORD);
  });

  it('wrong credentials from the environment → auth, with no secret in any field', async () => {
    const wrongNats = 'wrong-zero-config-nats-pw';
    const wrongNeo4j = 'wrong-zero-config-neo4j-pw';
    const config = await loadConfig({
      env: messagingEnv({ NATS_URL: `nats://${nats.user}:${wrongNats}@127.0.0.1:${nats.port}`, NEO4J_PASSWORD: wrongNeo4j }),
      cwd,
    });
    const results = await runAll({ ...config, probes: config.probes.filter((p) => p.type === 'nats' || p.type === 'neo4j') });
    for (const name of ['nats', 'neo4j']) {
      const result = results.get(name);
      expect(result?.status).toBe('fail');
      expect(result?.reason).toBe('auth');
      const text = JSON.stringify(result);
      expect(text).not.toContain(wrongNats);
      expect(text).not.toContain(wrongNeo4j);
    }
  });

  it('adds neither probe when the variables are unset or empty', async () => {
    const config = await loadConfig({ env: { NATS_URL: '', NEO4J_USER: 'neo4j' }, cwd });
    expect(config.probes.map((p) => p.type)).not.toContain('nats');
    expect(config.probes.map((p) => p.type)).not.toContain('neo4j');
  });
});
