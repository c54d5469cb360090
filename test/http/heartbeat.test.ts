import { pino } from 'pino';
import { afterEach, describe, expect, it } from 'vitest';
import { ConfigError, parseConfigText, type ConfigIssue } from '../../src/config/load.js';
import { startService, type Service } from '../../src/server.js';
import { validateResponses } from '../support/openapi-responses.js';

const TOKEN = 'beat-token-7d1f0c3a9e';
const JOB_TOKEN = 'job-own-token-44ab12ce';
const DB_PASSWORD = 'pg-secret-91c3d7aa';

const services: Service[] = [];
afterEach(async () => {
  await Promise.all(services.splice(0).map((service) => service.shutdown()));
});

/**
 * The real service (config → probes → scheduler → HTTP) on a free loopback
 * port, driven through app.inject. expectEvery 1s + grace 200ms keeps the
 * timing tests short; the probe then checks every 100 ms (a tenth).
 */
async function serve(extraProbes: string[] = []): Promise<Service> {
  const yaml = [
    'server: { host: 127.0.0.1, port: 0 }',
    'shutdown: { drainDelay: 0ms, timeout: 2s }',
    `auth: { token: "${TOKEN}" }`,
    'probes:',
    '  - name: nightly-backup',
    '    type: heartbeat',
    '    expectEvery: 1s',
    '    grace: 200ms',
    '  - name: own-token',
    '    type: heartbeat',
    '    expectEvery: 1h',
    `    token: "${JOB_TOKEN}"`,
    '  - name: db',
    '    type: tcp',
    '    host: 127.0.0.1',
    '    port: 9',
    '    critical: false',
    '  - name: api',
    '    type: http',
    // Its password is a config secret: the /fail text must never show it.
    '    url: "http://backup:${PGPASSWORD}@127.0.0.1:9/"',
    '    critical: false',
    ...extraProbes,
    '',
  ].join('\n');
  const config = parseConfigText(yaml, 'heartbeat-test.yaml', { PGPASSWORD: DB_PASSWORD });
  const service = await startService(config, pino({ level: 'silent' }));
  // Every answer below must match openapi/openapi.yaml (status, content type, body schema).
  validateResponses(service.app);
  services.push(service);
  return service;
}

const bearer = (token = TOKEN) => ({ authorization: `Bearer ${token}` });

async function diagnosticsOf(service: Service, name: string): Promise<Record<string, unknown>> {
  const response = await service.app.inject({ method: 'GET', url: `/diagnostics?probe=${name}`, headers: bearer() });
  // 503 when the service's status is fail: the body is the same either way.
  expect([200, 503]).toContain(response.statusCode);
  const body = response.json() as { checks: Record<string, Array<Record<string, unknown>>> };
  const entry = Object.entries(body.checks).find(([key]) => key.startsWith(`${name}:`));
  expect(entry, `no ${name} in ${JSON.stringify(Object.keys(body.checks))}`).toBeDefined();
  return entry![1][0]!;
}

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

describe('heartbeat config', () => {
  it('defaults critical to false and checks at a tenth of expectEvery (at most 10 s)', async () => {
    const service = await serve();
    const beat = service.config().probes.find((p) => p.name === 'nightly-backup')!;
    expect(beat.critical).toBe(false);
    expect(beat.intervalMs).toBe(100);
    expect(service.config().probes.find((p) => p.name === 'own-token')!.intervalMs).toBe(10_000);
  });

  it('is a config error with its path when there is neither a token nor auth.token', () => {
    const issuesOf = (yaml: string): ConfigIssue[] => {
      try {
        parseConfigText(yaml, 'x.yaml', {});
      } catch (error) {
        if (error instanceof ConfigError) return error.issues;
        throw error;
      }
      return [];
    };
    const noToken = ['auth: { token: "" }', 'probes:', '  - name: job', '    type: heartbeat', '    expectEvery: 5m', ''].join('\n');
    expect(issuesOf(noToken)).toEqual([{ path: 'probes[0].token', message: expect.stringMatching(/needs a token.*auth\.token/) }]);
    // Reported together with the entry's other problems, not after they are fixed.
    const both = ['probes:', '  - { name: job, type: heartbeat, expectEvery: soon }', ''].join('\n');
    expect(issuesOf(both).map((issue) => issue.path).sort()).toEqual(['probes[0].expectEvery', 'probes[0].token']);
    const noEvery = ['auth: { token: t }', 'probes:', '  - name: job', '    type: heartbeat', ''].join('\n');
    expect(issuesOf(noEvery)).toEqual([{ path: 'probes[0].expectEvery', message: expect.stringMatching(/required/) }]);
  });
});

describe('POST /heartbeat/{name}', () => {
  it('a beat passes the probe at once; no beat within expectEvery + grace fails with the contract message', async () => {
    const service = await serve();
    const started = Date.now();
    const response = await service.app.inject({ method: 'POST', url: '/heartbeat/nightly-backup', headers: bearer() });
    expect(response.statusCode).toBe(200);
    expect(response.json()).toMatchObject({ name: 'nightly-backup', received: 'beat', status: 'pass' });
    expect(service.scheduler.get('nightly-backup')?.last?.status).toBe('pass');

    // No further beat: 1 s + 200 ms later the 100 ms checks must have failed it.
    while (service.scheduler.get('nightly-backup')?.last?.status !== 'fail') {
      expect(Date.now() - started, 'the missed beat was not detected within 3 s').toBeLessThan(3_000);
      await sleep(20);
    }
    expect(Date.now() - started).toBeGreaterThanOrEqual(1_200);
    const last = service.scheduler.get('nightly-backup')!.last!;
    expect(last.reason).toBe('timeout');
    expect(last.message).toMatch(/^no heartbeat for 1\.\ds; expected every 1s$/);
    expect(last.hint).toMatch(/logs/);
    // The reading survives the failure: it is what an alert or a graph wants most.
    expect(last.observations).toEqual([{ measurement: 'sinceLastBeat', value: expect.any(Number), unit: 'seconds' }]);
    expect(last.observations[0]!.value as number).toBeGreaterThanOrEqual(1.2);
    const metrics = await service.app.inject({ method: 'GET', url: '/metrics' });
    expect(metrics.body).toMatch(/vitals_probe_observed_value\{[^}]*probe="nightly-backup"[^}]*measurement="sinceLastBeat"[^}]*unit="seconds"[^}]*\} 1\.\d/);
    const diag = await diagnosticsOf(service, 'nightly-backup');
    expect(diag).toMatchObject({ status: 'fail', output: expect.stringMatching(/^no heartbeat for/) });
  });

  it('counts from start when no beat came yet', async () => {
    const service = await serve();
    await sleep(1_500);
    const last = service.scheduler.get('nightly-backup')!.last!;
    expect(last).toMatchObject({ status: 'fail', reason: 'timeout' });
    // Non-critical by default: a stopped job does not take the service out of rotation.
    const ready = await service.app.inject({ method: 'GET', url: '/ready?verbose' });
    expect(ready.statusCode, ready.body).toBe(200);
  });

  it('answers 401 with a challenge for a missing or wrong token, and takes the probe\'s own token only', async () => {
    const service = await serve();
    const missing = await service.app.inject({ method: 'POST', url: '/heartbeat/nightly-backup' });
    expect(missing.statusCode).toBe(401);
    expect(missing.headers['www-authenticate']).toMatch(/^Bearer realm="vitals"/);
    expect(missing.json()).toMatchObject({ code: 'VITALS_ERR_UNAUTHORIZED' });
    const wrong = await service.app.inject({ method: 'POST', url: '/heartbeat/nightly-backup', headers: bearer('nope') });
    expect(wrong.statusCode).toBe(401);
    // A probe with its own token does not take auth.token.
    expect((await service.app.inject({ method: 'POST', url: '/heartbeat/own-token', headers: bearer() })).statusCode).toBe(401);
    expect((await service.app.inject({ method: 'POST', url: '/heartbeat/own-token', headers: bearer(JOB_TOKEN) })).statusCode).toBe(200);
    // The job's token is a secret: never in /diagnostics.
    const diagnostics = await service.app.inject({ method: 'GET', url: '/diagnostics', headers: bearer() });
    expect(diagnostics.body).not.toContain(JOB_TOKEN);
    expect(diagnostics.body).not.toContain(TOKEN);
  });

  it('answers 404 for an unknown name and for a probe that is not a heartbeat, 405 for GET', async () => {
    const service = await serve();
    for (const name of ['nope', 'db']) {
      const response = await service.app.inject({ method: 'POST', url: `/heartbeat/${name}`, headers: bearer() });
      expect(response.statusCode, name).toBe(404);
      expect(response.json()).toMatchObject({ code: 'VITALS_ERR_PROBE_NOT_FOUND' });
    }
    const get = await service.app.inject({ method: 'GET', url: '/heartbeat/nightly-backup', headers: bearer() });
    expect(get.statusCode).toBe(405);
  });
});

describe('POST /heartbeat/{name}/fail', () => {
  it('fails the probe with reason unavailable and the redacted text until the next beat', async () => {
    const service = await serve();
    const text = `backup failed: pg_dump could not connect with password ${DB_PASSWORD}\nexit 1`;
    const response = await service.app.inject({
      method: 'POST',
      url: '/heartbeat/own-token/fail',
      headers: { ...bearer(JOB_TOKEN), 'content-type': 'application/x-www-form-urlencoded' },
      payload: text,
    });
    expect(response.statusCode).toBe(200);
    expect(response.json()).toMatchObject({ received: 'fail', status: 'fail', reason: 'unavailable' });
    expect(response.body).not.toContain(DB_PASSWORD);
    const last = service.scheduler.get('own-token')!.last!;
    expect(last).toMatchObject({ status: 'fail', reason: 'unavailable', message: 'backup failed: pg_dump could not connect with password *** exit 1' });
    const diag = await diagnosticsOf(service, 'own-token');
    expect(JSON.stringify(diag)).not.toContain(DB_PASSWORD);
    expect(diag.output).toContain('backup failed');

    const beat = await service.app.inject({ method: 'POST', url: '/heartbeat/own-token', headers: bearer(JOB_TOKEN) });
    expect(beat.json()).toMatchObject({ status: 'pass' });
  });

  it('answers 413 past 1 KiB and leaves the probe as it was; an empty body still fails it', async () => {
    const service = await serve();
    const big = await service.app.inject({
      method: 'POST',
      url: '/heartbeat/own-token/fail',
      headers: { ...bearer(JOB_TOKEN), 'content-type': 'text/plain' },
      payload: 'x'.repeat(1025),
    });
    expect(big.statusCode).toBe(413);
    expect(big.json()).toMatchObject({ code: 'VITALS_ERR_PAYLOAD_TOO_LARGE' });
    expect(service.scheduler.get('own-token')?.last?.reason).not.toBe('unavailable');
    // The token is checked before the body is read: a stranger gets 401, not 413.
    const stranger = await service.app.inject({
      method: 'POST',
      url: '/heartbeat/own-token/fail',
      headers: { 'content-type': 'text/plain' },
      payload: 'x'.repeat(64 * 1024),
    });
    expect(stranger.statusCode).toBe(401);

    const empty = await service.app.inject({ method: 'POST', url: '/heartbeat/own-token/fail', headers: bearer(JOB_TOKEN) });
    expect(empty.statusCode).toBe(200);
    expect(service.scheduler.get('own-token')!.last!).toMatchObject({ reason: 'unavailable', message: expect.stringContaining('no text') });
  });
});
