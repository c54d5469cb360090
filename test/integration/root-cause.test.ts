import { pino } from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { probeDefinitions } from '../../probes/index.js';
import { checkJson, formatCheckTable, type CheckRow } from '../../src/cli/check-output.js';
import { parseConfigText } from '../../src/config/load.js';
import type { VitalsConfig } from '../../src/core/settings.js';
import { buildApp } from '../../src/http/app.js';
import { createMetrics } from '../../src/metrics/metrics.js';
import type { Scheduler } from '../../src/runner/scheduler.js';
import { wireProbes } from '../../src/runtime.js';
import { startDnsResponder, TEST_ZONE, type DnsResponder } from '../support/dns-responder.js';
import { startHttpUpstream, type HttpUpstream } from '../support/http-upstream.js';
import { parseExposition } from '../support/prom-text.js';
import { startRedis, type RedisServer } from '../support/redis-server.js';

/**
 * Root cause across probes (CONTRACT §9) against real servers: a tcp probe of
 * a real redis-server's port is the root of the redis probe; a dns probe of the
 * loopback responder is the root of http probes of a real upstream. Probes run
 * through the real Scheduler, and /diagnostics, /metrics, /status and the
 * `vitals check` outputs are read from the real app.
 */

interface Running {
  scheduler: Scheduler;
  app: ReturnType<typeof buildApp>;
  config: VitalsConfig;
  /** Every probe once, in parallel; the rows `vitals check` would print. */
  round(): Promise<CheckRow[]>;
  diagnostics(): Promise<Record<string, Record<string, unknown>>>;
  metric(name: string, probe: string): Promise<number>;
  close(): Promise<void>;
}

async function run(yaml: string): Promise<Running> {
  const config = parseConfigText(yaml, 'root-cause.yaml', {}, probeDefinitions);
  const logger = pino({ level: 'silent' });
  const { probes, scheduler } = wireProbes(config, logger);
  const lifecycle = { shuttingDown: false, startedAt: Date.now() };
  const metrics = createMetrics({ state: scheduler, config, lifecycle: () => lifecycle, version: '0.0.0-test' });
  const app = buildApp({ config, state: scheduler, lifecycle: () => lifecycle, metrics, version: '0.0.0-test' });
  await app.ready();
  return {
    scheduler,
    app,
    config,
    async round() {
      const results = await Promise.all(probes.map(({ settings }) => scheduler.runNow(settings.name)));
      return probes.map(({ settings }, i) => ({ settings, result: results[i]! }));
    },
    async diagnostics() {
      const res = await app.inject({ method: 'GET', url: '/diagnostics' });
      // 503 while the service's status is fail: the body is the same document.
      expect([200, 503]).toContain(res.statusCode);
      return (res.json() as { vitals: { probes: Record<string, Record<string, unknown>> } }).vitals.probes;
    },
    async metric(name, probe) {
      const res = await app.inject({ method: 'GET', url: '/metrics' });
      return parseExposition(res.body).value(name, { probe });
    },
    async close() {
      metrics.close();
      await app.close();
      await scheduler.close(1_000);
    },
  };
}

describe('a tcp probe of redis-server\'s port is the root of the redis probe', () => {
  let redis: RedisServer;
  let vitals: Running;

  beforeAll(async () => {
    redis = await startRedis();
    vitals = await run(
      [
        'probes:',
        `  - { name: redis, type: redis, url: "${redis.url()}", timeout: 1s, dependsOn: [redis-port] }`,
        `  - { name: redis-port, type: tcp, host: 127.0.0.1, port: ${redis.port}, timeout: 1s }`,
        '',
      ].join('\n'),
    );
  });

  afterAll(async () => {
    await vitals?.close();
    await redis?.stop();
  });

  it('both pass while redis runs: own results, gauge 0', async () => {
    const rows = await vitals.round();
    expect(rows.map((r) => r.result.status)).toEqual(['pass', 'pass']);
    const probes = await vitals.diagnostics();
    expect(probes.redis).toMatchObject({ reason: null, dependsOn: ['redis-port'] });
    expect(probes.redis).not.toHaveProperty('cause');
    expect(await vitals.metric('vitals_probe_dependency_failing', 'redis')).toBe(0);
  });

  it('redis stopped: the root fails refused, redis fails with reason dependency naming it, the root\'s hint and its own cause', async () => {
    await redis.halt();
    const rows = await vitals.round();
    expect(rows.map((r) => [r.settings.name, r.result.status, r.result.reason])).toEqual([
      ['redis', 'fail', 'refused'],
      ['redis-port', 'fail', 'refused'],
    ]);
    const probes = await vitals.diagnostics();
    const root = probes['redis-port']!;
    expect(root).toMatchObject({ status: 'fail', reason: 'refused', dependsOn: [] });
    expect(root).not.toHaveProperty('cause');
    expect(probes.redis).toMatchObject({
      status: 'fail',
      reason: 'dependency',
      message: 'depends on redis-port, which fails: refused',
      hint: root.hint,
      cause: { reason: 'refused' },
      roots: [{ name: 'redis-port', reason: 'refused', message: root.message, hint: root.hint }],
    });
    expect(typeof root.hint).toBe('string');
    expect(await vitals.metric('vitals_probe_dependency_failing', 'redis')).toBe(1);
    expect(await vitals.metric('vitals_probe_dependency_failing', 'redis-port')).toBe(0);
    // The failures counter keeps counting what each run itself saw.
    const own = parseExposition((await vitals.app.inject({ method: 'GET', url: '/metrics' })).body);
    expect(own.value('vitals_probe_failures_total', { probe: 'redis', reason: 'refused' })).toBe(1);
    expect(own.value('vitals_probe_failures_total', { probe: 'redis', reason: 'dependency' })).toBe(0);

    // vitals check: the dependent under its root (config lists it first), its own result beside it.
    const table = formatCheckTable(rows, { colour: false });
    const lines = table.split('\n');
    const rootLine = lines.findIndex((l) => /^✗ redis-port /.test(l));
    const dependentLine = lines.findIndex((l) => /^✗ └ redis /.test(l));
    expect(rootLine, table).toBeGreaterThan(0);
    expect(dependentLine, table).toBeGreaterThan(rootLine);
    expect(lines[dependentLine]).toContain('dependency: depends on redis-port, which fails: refused');
    expect(table).toMatch(/own result: refused: /);
    const json = checkJson(rows) as { probes: Array<Record<string, unknown>> };
    expect(json.probes.find((p) => p.name === 'redis')).toMatchObject({
      reason: 'dependency',
      cause: { reason: 'refused' },
      roots: ['redis-port'],
      dependsOn: ['redis-port'],
    });

    // /status: the dependent's row right after its root's, marked as a dependent.
    const page = (await vitals.app.inject({ method: 'GET', url: '/status' })).body;
    const rootAt = page.indexOf('data-probe="redis-port"');
    const dependentAt = page.indexOf('data-probe="redis"');
    expect(rootAt).toBeGreaterThan(0);
    expect(dependentAt).toBeGreaterThan(rootAt);
    expect(page).toMatch(/<tr class="probe row-\w+ dependent" data-probe="redis"/);
    expect(page).toContain('own result: refused');
    expect(page).not.toContain(redis.password);
  });

  it('redis back: both pass, the gauge drops to 0', async () => {
    await redis.restart();
    const rows = await vitals.round();
    expect(rows.map((r) => r.result.status)).toEqual(['pass', 'pass']);
    const probes = await vitals.diagnostics();
    expect(probes.redis).toMatchObject({ reason: null });
    expect(probes.redis).not.toHaveProperty('cause');
    expect(await vitals.metric('vitals_probe_dependency_failing', 'redis')).toBe(0);
  });
});

describe('a dns probe of the loopback responder is the root of http probes', () => {
  let dns: DnsResponder;
  let upstream: HttpUpstream;
  let vitals: Running;

  beforeAll(async () => {
    [dns, upstream] = await Promise.all([startDnsResponder(), startHttpUpstream()]);
    vitals = await run(
      [
        'probes:',
        `  - { name: resolver, type: dns, host: ${TEST_ZONE.known}, servers: ["${dns.server}"], timeout: 500ms }`,
        `  - { name: api, type: http, url: "${upstream.origin}/ok", timeout: 1s, dependsOn: [resolver] }`,
        `  - { name: broken-api, type: http, url: "${upstream.origin}/error", timeout: 1s, dependsOn: [resolver] }`,
        '',
      ].join('\n'),
    );
  });

  afterAll(async () => {
    await vitals?.close();
    await Promise.all([dns?.close(), upstream?.close()]);
  });

  it('resolver passing: a failing dependent keeps its own reason', async () => {
    const rows = await vitals.round();
    expect(rows.map((r) => r.result.status)).toEqual(['pass', 'pass', 'fail']);
    const probes = await vitals.diagnostics();
    expect(probes['broken-api']!.reason).toBe(rows[2]!.result.reason);
    expect(probes['broken-api']!.reason).not.toBe('dependency');
    expect(await vitals.metric('vitals_probe_dependency_failing', 'broken-api')).toBe(0);
  });

  it('resolver silent: it fails timeout, the failing dependent reads dependency, the passing one stays pass', async () => {
    dns.setSilent(true);
    try {
      const rows = await vitals.round();
      expect(rows.map((r) => [r.result.status, r.result.reason])).toEqual([
        ['fail', 'timeout'],
        ['pass', undefined],
        ['fail', rows[2]!.result.reason],
      ]);
      const probes = await vitals.diagnostics();
      expect(probes['broken-api']).toMatchObject({
        reason: 'dependency',
        message: 'depends on resolver, which fails: timeout',
        hint: probes.resolver!.hint,
        cause: { reason: rows[2]!.result.reason, message: rows[2]!.result.message },
      });
      expect(probes.api).toMatchObject({ status: 'pass', reason: null });
      expect(await vitals.metric('vitals_probe_dependency_failing', 'broken-api')).toBe(1);
      expect(await vitals.metric('vitals_probe_dependency_failing', 'api')).toBe(0);
    } finally {
      dns.setSilent(false);
    }
  });
});
