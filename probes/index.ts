import type { ProbeDefinition } from '../src/core/probe.js';
import { diskProbe } from './disk.js';
import { dnsProbe } from './dns.js';
import { eventloopProbe } from './eventloop.js';
import { heartbeatProbe } from './heartbeat.js';
import { httpProbe } from './http.js';
import { memoryProbe } from './memory.js';
import { natsProbe } from './nats.js';
import { neo4jProbe } from './neo4j.js';
import { postgresProbe } from './postgres.js';
import { redisProbe } from './redis.js';
import { tcpProbe } from './tcp.js';
import { tlsProbe } from './tls.js';

/**
 * Every built-in probe type, one line each: this table IS the list of types.
 * Adding a type is one file in probes/ and one line here; config, metrics,
 * the HTTP layer and the CLI learn it from here. Importing a probe file is
 * cheap: each loads its client library only when its first probe connects
 * (probes/shared/lazy-library.ts), so unused types cost no memory.
 * test/unit/probe-table.test.ts checks each entry's `type` is its own key.
 * `custom` is not in the table: its definition comes from the user's module.
 */
export const probeDefinitions = {
  postgres: postgresProbe,
  redis: redisProbe,
  nats: natsProbe,
  neo4j: neo4jProbe,
  http: httpProbe,
  tcp: tcpProbe,
  dns: dnsProbe,
  tls: tlsProbe,
  disk: diskProbe,
  memory: memoryProbe,
  eventloop: eventloopProbe,
  heartbeat: heartbeatProbe,
} as const satisfies Readonly<Record<string, ProbeDefinition>>;

export type BuiltinProbeType = keyof typeof probeDefinitions;
