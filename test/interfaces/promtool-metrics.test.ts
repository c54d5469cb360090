import { spawnSync } from 'node:child_process';
import net from 'node:net';
import tls from 'node:tls';
import { pino } from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseConfigText } from '../../src/config/load.js';
import { createMetrics, type VitalsMetrics } from '../../src/metrics/metrics.js';
import { DROPPED_PROCESS_METRICS } from '../../src/metrics/process-metrics.js';
import { buildProbes } from '../../src/runner/build-probes.js';
import { Lifecycle } from '../../src/runner/lifecycle.js';
import { Scheduler } from '../../src/runner/scheduler.js';
import { findTool } from '../deploy/tools.js';
import { startBoltStub, type BoltStub } from '../support/bolt-stub/server.js';
import { createTestPki, type TestPki } from '../support/certs.js';
import { startDnsResponder, TEST_ZONE, type DnsResponder } from '../support/dns-responder.js';
import { startHttpUpstream, type HttpUpstream } from '../support/http-upstream.js';
import { startNatsServer, type NatsServer } from '../support/nats-server.js';
import { startPostgres, type PostgresServer } from '../support/postgres-server.js';
import { startRedis, type RedisServer } from '../support/redis-server.js';

/**
 * `promtool check metrics` (Debian's prometheus package) over a full
 * /metrics: one probe of every built-in type, each run once against a real
 * local peer, plus prom-client's process metrics. Any CI gate on promtool
 * sees exactly this exposition.
 */

const promtool = findTool('promtool');

function check(exposition: string): { status: number | null; output: string } {
  if (promtool === null) throw new Error('promtool not found: apt-get install prometheus (scripts/install-test-deps.sh)');
  const run = spawnSync(promtool, ['check', 'metrics'], { input: exposition, encoding: 'utf8', timeout: 30_000 });
  return { status: run.status, output: `${run.stdout}${run.stderr}` };
}

async function listen(server: net.Server): Promise<number> {
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', () => resolve()));
  return (server.address() as net.AddressInfo).port;
}

// Not skipped when promtool is missing: scripts/install-test-deps.sh installs it, and a skipped gate is no gate.
describe('promtool check metrics', () => {
  let postgres: PostgresServer;
  let redis: RedisServer;
  let nats: NatsServer;
  let bolt: BoltStub;
  let upstream: HttpUpstream;
  let dns: DnsResponder;
  let pki: TestPki;
  const servers: net.Server[] = [];
  let scheduler: Scheduler | undefined;
  let metrics: VitalsMetrics | undefined;

  beforeAll(async () => {
    [postgres, redis, nats, bolt, upstream, dns, pki] = await Promise.all([
      startPostgres(),
      startRedis(),
      startNatsServer(),
      startBoltStub({ user: 'neo4j', password: 'bolt-pass-61c2' }),
      startHttpUpstream(),
      startDnsResponder(),
      createTestPki(),
    ]);
  }, 60_000);

  afterAll(async () => {
    metrics?.close();
    await scheduler?.close(1_000);
    for (const server of servers) server.close();
    await Promise.allSettled([postgres?.stop(), redis?.stop(), nats?.stop(), bolt?.close(), upstream?.close(), dns?.close(), pki?.cleanup()]);
  }, 30_000);

  it('accepts the full exposition: every probe type, run against real peers', async () => {
    const tcpPort = await listen(net.createServer((socket) => socket.end()));
    const tlsServer = tls.createServer({ key: pki.valid.key, cert: pki.valid.cert }, (socket) => socket.end());
    const tlsPort = await listen(tlsServer);
    servers.push(tlsServer);
    const config = parseConfigText(
      [
        'probes:',
        `  - { name: db, type: postgres, url: "${postgres.url()}" }`,
        `  - { name: cache, type: redis, url: "${redis.url()}" }`,
        `  - { name: bus, type: nats, url: "${nats.url}", user: "${nats.user}", password: "${nats.password}", monitorUrl: "${nats.monitorUrl}" }`,
        `  - { name: graph, type: neo4j, url: "${bolt.url}", user: neo4j, password: bolt-pass-61c2 }`,
        `  - { name: api, type: http, url: "${upstream.origin}/ok" }`,
        `  - { name: port, type: tcp, host: 127.0.0.1, port: ${tcpPort} }`,
        `  - { name: name, type: dns, host: ${TEST_ZONE.known}, servers: ["${dns.server}"] }`,
        `  - { name: cert, type: tls, host: 127.0.0.1, port: ${tlsPort}, servername: localhost, ca: "${pki.ca.certFile}" }`,
        '  - { name: root, type: disk, path: / }',
        '  - { name: mem, type: memory }',
        '  - { name: loop, type: eventloop }',
      ].join('\n'),
      'promtool-test.yaml',
      {},
    );
    const logger = pino({ level: 'silent' });
    scheduler = new Scheduler({ probes: buildProbes(config, logger), logger, secrets: [] });
    const lifecycle = new Lifecycle();
    metrics = createMetrics({ state: scheduler, config, lifecycle: () => lifecycle.state(), version: '1.0.0' });
    const results = await Promise.all(config.probes.map((p) => scheduler!.runNow(p.name)));
    expect(results.filter((r) => r.status === 'fail').map((r) => r.message)).toEqual([]);
    const exposition = await metrics.render();
    for (const type of ['postgres', 'redis', 'nats', 'neo4j', 'http', 'tcp', 'dns', 'tls', 'disk', 'memory', 'eventloop']) {
      expect(exposition).toContain(`type="${type}"`);
    }
    expect(exposition).toMatch(/^vitals_tls_cert_expiry_timestamp_seconds\{/m);
    // The process metrics users expect are still there.
    for (const name of ['process_cpu_seconds_total', 'process_resident_memory_bytes', 'nodejs_eventloop_lag_seconds', 'nodejs_heap_size_used_bytes', 'nodejs_active_handles']) {
      expect(exposition).toMatch(new RegExp(`^${name}[ {]`, 'm'));
    }
    for (const name of DROPPED_PROCESS_METRICS) expect(exposition).not.toContain(name);
    const run = check(exposition);
    expect(run.output).toBe('');
    expect(run.status).toBe(0);
  }, 60_000);

  it('is a check that can fail: a gauge named like a counter is rejected', () => {
    const run = check('# HELP demo_things_total Not a counter.\n# TYPE demo_things_total gauge\ndemo_things_total 3\n');
    expect(run.status).not.toBe(0);
    expect(run.output).toMatch(/demo_things_total non-counter metrics should not have "_total" suffix/);
  });
});
