import type { ProbeDefinition } from '../src/core/probe.js';
import type { ProbeType } from '../src/core/types.js';
import { postgresProbe } from './postgres.js';
import { redisProbe } from './redis.js';
import { eventloopProbe } from './eventloop.js';
import { memoryProbe } from './memory.js';
import { diskProbe } from './disk.js';
import { natsProbe } from './nats.js';
import { neo4jProbe } from './neo4j.js';
import { httpProbe } from './http.js';
import { tcpProbe } from './tcp.js';
import { dnsProbe } from './dns.js';
import { tlsProbe } from './tls.js';

/**
 * Every probe type, one line each. Adding a type = one file in probes/ and one
 * line here. (Typed Partial while the types arrive; see PROBE_TYPES.)
 */
export const probeDefinitions: Partial<Record<ProbeType, ProbeDefinition>> = {
  postgres: postgresProbe,
  redis: redisProbe,
  eventloop: eventloopProbe,
  memory: memoryProbe,
  disk: diskProbe,
  nats: natsProbe,
  neo4j: neo4jProbe,
  http: httpProbe,
  tcp: tcpProbe,
  dns: dnsProbe,
  tls: tlsProbe,
};

export function definitionFor(type: ProbeType): ProbeDefinition {
  const definition = probeDefinitions[type];
  if (definition === undefined) throw new Error(`probe type ${type} is not available`);
  return definition;
}
