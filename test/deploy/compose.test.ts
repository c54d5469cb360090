import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { interpolate, parseEnvFile } from './compose-env.js';
import { parseDuration } from '../../src/core/duration.js';
import { findTool, ROOT, runTool } from './tools.js';
import { probeTargets, validateWithCli, type VitalsFile } from './vitals-config.js';

// The other images of the stack cannot be pulled here (no registry), so it is
// checked statically, the vitals config with the real CLI, and the Prometheus
// config with promtool; the vitals image itself is built by scripts/ci-container.sh.

interface Healthcheck {
  test?: string[] | string;
  interval?: string;
  timeout?: string;
  retries?: number;
  disable?: boolean;
}
interface Service {
  image?: string;
  build?: string | { context: string };
  command?: string[];
  environment?: Record<string, string>;
  volumes?: string[];
  ports?: string[];
  healthcheck?: Healthcheck;
  depends_on?: Record<string, { condition: string }>;
  stop_grace_period?: string;
  read_only?: boolean;
}
interface ComposeFile {
  services: Record<string, Service>;
  volumes?: Record<string, unknown>;
}

const envExample = parseEnvFile(readFileSync(join(ROOT, '.env.example'), 'utf8'));
const missingVars: string[] = [];

/** Interpolates every string in the parsed file, as compose does after parsing. */
function interpolateTree(node: unknown): unknown {
  if (typeof node === 'string') return interpolate(node, envExample, missingVars);
  if (Array.isArray(node)) return node.map(interpolateTree);
  if (node !== null && typeof node === 'object') {
    return Object.fromEntries(Object.entries(node).map(([key, value]) => [key, interpolateTree(value)]));
  }
  return node;
}

const compose = interpolateTree(parse(readFileSync(join(ROOT, 'docker-compose.yml'), 'utf8'))) as ComposeFile;
const services = compose.services;
const vitals = services.vitals as Service;

/** host path → container path of a service's bind mounts. */
function bindMounts(service: Service): { host: string; container: string }[] {
  return (service.volumes ?? [])
    .filter((volume) => volume.startsWith('./') || volume.startsWith('/'))
    .map((volume) => {
      const [host = '', container = ''] = volume.split(':');
      return { host, container };
    });
}

const configMount = bindMounts(vitals).find((m) => m.container === vitals.environment?.VITALS_CONFIG);
const vitalsConfigPath = join(ROOT, configMount?.host ?? 'missing');
const vitalsEnv = vitals.environment ?? {};
const vitalsConfig = parse(interpolate(readFileSync(vitalsConfigPath, 'utf8'), vitalsEnv)) as VitalsFile;

/** Ports each service's process listens on inside the network (from its image and command). */
const LISTENS: Record<string, number[]> = {
  postgres: [5432],
  redis: [6379],
  nats: [4222, 8222],
  neo4j: [7687, 7474],
  prometheus: [9090],
  vitals: [vitalsConfig.server?.port ?? 8080],
};

describe('docker-compose.yml', () => {
  it('has the whole platform', () => {
    expect(Object.keys(services).sort()).toEqual(['nats', 'neo4j', 'postgres', 'prometheus', 'redis', 'vitals']);
  });

  it('gets every variable it needs from .env.example', () => {
    expect(missingVars).toEqual([]);
  });

  it.each(Object.keys(services))('service %s has its own healthcheck', (name) => {
    const check = services[name]?.healthcheck;
    expect(check?.disable).not.toBe(true);
    expect(Array.isArray(check?.test) ? check.test.length : 0).toBeGreaterThan(1);
    expect(check?.interval).toMatch(/^\d+s$/);
    expect(check?.timeout).toMatch(/^\d+s$/);
    expect(check?.retries).toBeGreaterThan(0);
  });

  it('starts each service only after its dependencies are healthy', () => {
    for (const [name, service] of Object.entries(services)) {
      for (const [dependency, spec] of Object.entries(service.depends_on ?? {})) {
        expect(services[dependency], `${name} depends on unknown ${dependency}`).toBeDefined();
        expect(spec.condition, `${name} → ${dependency}`).toBe('service_healthy');
      }
    }
    expect(Object.keys(vitals.depends_on ?? {}).sort()).toEqual(['nats', 'neo4j', 'postgres', 'redis']);
    expect(Object.keys(services.prometheus?.depends_on ?? {})).toEqual(['vitals']);
  });

  it('refers only to files that exist and volumes it declares', () => {
    for (const [name, service] of Object.entries(services)) {
      for (const mount of bindMounts(service)) expect(existsSync(join(ROOT, mount.host)), `${name}: ${mount.host}`).toBe(true);
      for (const volume of service.volumes ?? []) {
        const source = volume.split(':')[0] ?? '';
        if (!source.startsWith('.') && !source.startsWith('/')) expect(compose.volumes, `${name}: volume ${source}`).toHaveProperty(source);
      }
    }
    const context = typeof vitals.build === 'string' ? vitals.build : vitals.build?.context;
    expect(existsSync(join(ROOT, context ?? 'missing', 'Dockerfile'))).toBe(true);
  });

  it('publishes ports on loopback only', () => {
    for (const [name, service] of Object.entries(services)) {
      for (const port of service.ports ?? []) expect(port, name).toMatch(/^127\.0\.0\.1:\d+:\d+$/);
    }
  });

  it('runs NATS with JetStream and monitoring, and Redis with a memory limit', () => {
    const nats = services.nats?.command ?? [];
    expect(nats).toContain('-js');
    expect(nats.slice(nats.indexOf('-m'))[1]).toBe('8222');
    expect(services.redis?.command).toContain('--maxmemory');
  });

  it('gives vitals more stop time than its drain and shutdown deadlines', () => {
    const drain = parseDuration(vitalsConfig.shutdown?.drainDelay ?? '5s') ?? NaN;
    const timeout = parseDuration(vitalsConfig.shutdown?.timeout ?? '25s') ?? NaN;
    expect(parseDuration(vitals.stop_grace_period ?? '10s')).toBeGreaterThan(drain + timeout);
    expect(vitals.read_only).toBe(true);
    const healthcheck = (vitals.healthcheck?.test as string[]).join(' ');
    expect(healthcheck).toContain(`127.0.0.1:${LISTENS.vitals?.[0]}/health`);
    expect(healthcheck).not.toMatch(/curl|wget/);
  });
});

describe('the vitals config of the compose stack', () => {
  it('is the file mounted at $VITALS_CONFIG', () => {
    expect(configMount?.host).toBe('./deploy/vitals.compose.yaml');
  });

  it('points every probe at a compose service, on a port that service listens on', () => {
    const targets = vitalsConfig.probes.flatMap(probeTargets);
    expect(targets.length).toBeGreaterThanOrEqual(5);
    for (const target of targets) {
      expect(Object.keys(services), `${target.probe} → ${target.host}`).toContain(target.host);
      expect(LISTENS[target.host], `${target.probe} → ${target.host}:${target.port}`).toContain(target.port);
    }
  });

  it('probes every other service of the stack', () => {
    const probed = new Set(vitalsConfig.probes.flatMap(probeTargets).map((t) => t.host));
    for (const name of Object.keys(services).filter((s) => s !== 'vitals')) expect(probed, name).toContain(name);
    const types = vitalsConfig.probes.map((p) => p.type);
    for (const type of ['postgres', 'redis', 'nats', 'neo4j']) expect(types).toContain(type);
  });

  it('uses the credentials compose gives the servers', () => {
    const db = new URL(vitalsEnv.DATABASE_URL ?? '');
    expect([db.username, db.password, db.pathname.slice(1)]).toEqual([envExample.POSTGRES_USER, envExample.POSTGRES_PASSWORD, envExample.POSTGRES_DB]);
    expect(new URL(vitalsEnv.REDIS_URL ?? '').password).toBe(envExample.REDIS_PASSWORD);
    expect(services.redis?.command).toContain(envExample.REDIS_PASSWORD);
    expect(services.nats?.command).toEqual(expect.arrayContaining([envExample.NATS_USER, envExample.NATS_PASSWORD]));
    expect(services.neo4j?.environment?.NEO4J_AUTH).toBe(`neo4j/${vitalsEnv.NEO4J_PASSWORD}`);
  });

  it('passes `vitals config validate` with the environment compose gives it', () => {
    const run = validateWithCli(vitalsConfigPath, vitalsEnv);
    expect(run.status, run.output).toBe(0);
    expect(run.output).toMatch(/valid/);
  });

  it('is rejected by `vitals config validate` without that environment (the check can fail)', () => {
    const run = validateWithCli(vitalsConfigPath, {});
    expect(run.status, run.output).toBe(2);
    expect(run.output).toMatch(/DATABASE_URL/);
  });
});

const promtool = findTool('promtool');

describe('the Prometheus config of the compose stack', () => {
  const prometheus = services.prometheus as Service;
  const promConfig = parse(readFileSync(join(ROOT, 'deploy/prometheus/prometheus.yml'), 'utf8')) as {
    rule_files: string[];
    scrape_configs: { job_name: string; static_configs: { targets: string[] }[] }[];
  };

  it('mounts the alert rules beside prometheus.yml, where rule_files finds them', () => {
    const mounts = bindMounts(prometheus);
    const configDir = mounts.find((m) => m.host === './deploy/prometheus/prometheus.yml')?.container.replace(/\/[^/]+$/, '');
    expect(configDir).toBeDefined();
    for (const rules of promConfig.rule_files) {
      const inContainer = rules.startsWith('/') ? rules : `${configDir}/${rules}`;
      expect(mounts.map((m) => m.container)).toContain(inContainer);
    }
    expect(mounts.find((m) => m.host === './deploy/prometheus/alerts.yml')).toBeDefined();
  });

  it('scrapes vitals under a job name the alert rules match', () => {
    const job = promConfig.scrape_configs.find((c) => c.static_configs.some((s) => s.targets.includes(`vitals:${LISTENS.vitals?.[0]}`)));
    expect(job?.job_name).toMatch(/vitals/);
  });

  it.skipIf(promtool === null)('passes promtool check config (with its rule files)', () => {
    const run = runTool(promtool ?? 'promtool', ['check', 'config', join(ROOT, 'deploy/prometheus/prometheus.yml')]);
    expect(run.status, run.output).toBe(0);
    expect(run.output).toContain('rule files found');
  });
});
