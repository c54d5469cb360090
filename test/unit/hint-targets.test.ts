import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { probeDefinitions } from '../../probes/index.js';
import type { ProbeDefinition } from '../../src/core/probe.js';
import type { ProbeType } from '../../src/core/types.js';
import { fillHint } from '../../src/runner/hints.js';
import { settingsFor } from '../support/run-once.js';

/** One realistic configuration per type, with a secret where the type can hold one. */
const SAMPLES: Readonly<Record<string, Record<string, unknown>>> = {
  postgres: { url: 'postgres://app:pg-s3cret@db.internal:5432/orders' },
  redis: { url: 'redis://:redis-s3cret@cache:6379/0' },
  nats: { url: 'nats://bus.internal:4222,nats://bus-2.internal:4222', password: 'nats-s3cret' },
  neo4j: { url: 'bolt://graph.internal:7687', user: 'neo4j', password: 'neo-s3cret' },
  http: { url: 'https://api.internal/health?api_key=http-s3cret' },
  tcp: { host: 'queue.internal', port: 5672 },
  dns: { host: 'api.internal', servers: ['10.0.0.2:5353'] },
  tls: { host: 'api.internal' },
  disk: { path: '/var/lib/data' },
  memory: {},
  eventloop: {},
  heartbeat: { expectEvery: '5m', token: 'hb-s3cret' },
};

/** Every hint string a type's table holds. */
function tableHints(definition: ProbeDefinition): string[] {
  return [...Object.values(definition.hints.reasons), ...Object.values(definition.hints.measurements ?? {})].filter(
    (hint): hint is string => hint !== undefined,
  );
}

/** `{key}` placeholders in a source file (a `${…}` template expression is not one). */
function placeholdersIn(file: string): string[] {
  const source = readFileSync(new URL(`../../probes/${file}`, import.meta.url), 'utf8');
  return [...source.matchAll(/(?<!\$)\{([A-Za-z]\w*)\}/g)].map((m) => m[1] as string);
}

const definitions: ProbeDefinition[] = Object.values(probeDefinitions);

/** The sample's options as config parses them, and the target its hints are filled from. */
function sampleTarget(type: ProbeType, options = SAMPLES[type] ?? {}): { definition: ProbeDefinition; target: Readonly<Record<string, string | number>> } {
  const settings = settingsFor(type, options);
  return { definition: settings.definition, target: settings.definition.hintTarget?.(settings.options) ?? {} };
}

describe.each(definitions.map((d) => [d.type, d] as const))('hints of %s', (type, definition) => {
  const { target } = sampleTarget(type);

  it('leave no placeholder unfilled and no HOST / PORT / PATH stand-in', () => {
    for (const hint of tableHints(definition)) {
      const filled = fillHint(hint, target);
      expect(filled, hint).not.toMatch(/\{[A-Za-z]\w*\}/);
      expect(filled, hint).not.toMatch(/\b(HOST|PORT|PATH|NAME|SERVER)\b/);
    }
  });

  it('name only keys its hintTarget supplies, also in hints thrown from code', () => {
    const keys = new Set(Object.keys(target));
    for (const key of placeholdersIn(`${type}.ts`)) expect(keys.has(key), `${type}.ts uses {${key}}`).toBe(true);
  });
});

describe('hints name the real target', () => {
  const hint = (type: ProbeType, reason: 'refused' | 'dns' | 'timeout' | 'tls', options?: Record<string, unknown>): string => {
    const { definition, target } = sampleTarget(type, options);
    return fillHint(definition.hints.reasons[reason] ?? '', target);
  };

  it('postgres, redis, tcp, dns, tls and http give commands for this host and port', () => {
    expect(hint('postgres', 'refused')).toContain('`pg_isready -h db.internal -p 5432 -d orders`');
    expect(hint('postgres', 'refused', { url: 'postgresql://app@db' })).toContain('`pg_isready -h db -p 5432 -d app`');
    expect(hint('redis', 'refused')).toContain('`redis-cli -h cache -p 6379 ping`');
    expect(hint('tcp', 'dns')).toContain('`nslookup queue.internal`');
    expect(hint('dns', 'dns')).toContain('`dig @10.0.0.2 -p 5353 api.internal A`');
    expect(hint('dns', 'dns', { host: 'api.internal' })).toContain('`dig api.internal A`');
    expect(hint('tls', 'tls')).toContain('`openssl s_client -connect api.internal:443 -servername api.internal -showcerts`');
    expect(hint('http', 'tls')).toContain('`openssl s_client -connect api.internal:443 -servername api.internal -showcerts`');
    expect(hint('http', 'dns')).toContain('`nslookup api.internal`');
    expect(hint('nats', 'refused')).toContain('bus.internal:4222');
    expect(hint('neo4j', 'refused')).toContain('graph.internal:7687');
  });

  it('shared TLS hints use only keys both tls and http supply', () => {
    for (const type of ['tls', 'http'] as const) {
      const keys = Object.keys(sampleTarget(type).target);
      for (const key of placeholdersIn('shared/tls-failure.ts')) expect(keys, `{${key}} for ${type}`).toContain(key);
    }
  });
});
