import net from 'node:net';
import { performance } from 'node:perf_hooks';
import { z } from 'zod';
import { describe, expect, it } from 'vitest';
import { ProbeError } from '../../src/core/errors.js';
import type { Probe, ProbeDefinition } from '../../src/core/probe.js';
import type { ProbeSettings } from '../../src/core/settings.js';
import type { CheckReport, ProbeResult } from '../../src/core/types.js';
import { GENERIC_HINTS } from '../../src/runner/hints.js';
import { RunControl, runProbe } from '../../src/runner/run-probe.js';
import { freePort } from '../support/net.js';

const definition: ProbeDefinition = {
  type: 'tcp',
  componentType: 'component',
  defaultIntervalMs: 10_000,
  options: z.strictObject({ url: z.string().optional() }),
  measurements: {
    connectionsUtilization: { unit: 'ratio', warn: 0.8, fail: 0.95, description: 'used / max connections' },
    daysUntilExpiry: { unit: 'days', worse: 'lower', warn: 14, fail: 3, description: 'days left' },
    responseTime: { unit: 'ms', description: 'round trip' },
  },
  hints: {
    reasons: { refused: 'start the test server', threshold: 'type-level threshold hint' },
    measurements: { connectionsUtilization: 'raise max_connections or shrink pools' },
  },
  create: () => {
    throw new Error('not used here');
  },
};

function settings(overrides: Partial<ProbeSettings> = {}): ProbeSettings {
  return {
    name: 'db',
    type: 'tcp',
    definition,
    critical: true,
    groups: ['ready'],
    intervalMs: 10_000,
    timeoutMs: 1_000,
    failureThreshold: 2,
    successThreshold: 1,
    dependsOn: [],
    warn: { connectionsUtilization: 0.8, daysUntilExpiry: 14 },
    fail: { connectionsUtilization: 0.95, daysUntilExpiry: 3 },
    options: {},
    ...overrides,
  };
}

function probe(check: (signal: AbortSignal) => Promise<CheckReport>): Probe {
  return { check, close: async () => undefined };
}

const report = (observations: CheckReport['observations'], extra: Partial<CheckReport> = {}): CheckReport => ({ observations, ...extra });

function expectExplained(result: ProbeResult): void {
  expect(result.reason).toBeDefined();
  expect(result.message).toBeTruthy();
  expect(result.hint).toBeTruthy();
  expect(result.message).not.toMatch(/\n|\s+at\s+\S+\s+\(/);
}

describe('runProbe: timeout', () => {
  it('ends a check that never resolves at the timeout, with reason timeout', async () => {
    let sawAbort = false;
    const started = performance.now();
    const result = await runProbe(
      definition,
      probe(
        (signal) =>
          new Promise(() => {
            signal.addEventListener('abort', () => (sawAbort = true));
          }),
      ),
      settings({ timeoutMs: 300 }),
    );
    const elapsed = performance.now() - started;
    expect(result).toMatchObject({ status: 'fail', reason: 'timeout', message: 'no answer within 300ms' });
    expect(result.hint).toBe(GENERIC_HINTS.timeout);
    expect(elapsed).toBeGreaterThanOrEqual(290);
    expect(elapsed).toBeLessThan(2_000);
    expect(result.durationMs).toBeGreaterThanOrEqual(290);
    expect(sawAbort).toBe(true);
  });

  it('keeps the timeout reason when the check rejects from its abort listener', async () => {
    const result = await runProbe(
      definition,
      probe(
        (signal) =>
          new Promise((_resolve, reject) => {
            signal.addEventListener('abort', () => reject(Object.assign(new Error('socket destroyed'), { code: 'ECONNRESET' })));
          }),
      ),
      settings({ timeoutMs: 200 }),
    );
    expect(result).toMatchObject({ status: 'fail', reason: 'timeout', message: 'no answer within 200ms' });
  });

  it('follows the caller signal', async () => {
    const controller = new AbortController();
    setTimeout(() => controller.abort(), 50);
    const started = performance.now();
    const result = await runProbe(definition, probe(() => new Promise(() => undefined)), settings({ timeoutMs: 5_000 }), {
      signal: controller.signal,
    });
    expect(performance.now() - started).toBeLessThan(1_000);
    expect(result).toMatchObject({ status: 'fail', reason: 'timeout' });
    expect(result.message).toMatch(/aborted/);
  });

  it('shares one controller with a RunControl: stop() ends a hung check, the timeout aborts it without marking it stopped', async () => {
    const stopped = new RunControl();
    let seen: AbortSignal | undefined;
    setTimeout(() => stopped.stop(), 50);
    const started = performance.now();
    const result = await runProbe(
      definition,
      probe((signal) => {
        seen = signal;
        return new Promise(() => undefined);
      }),
      settings({ timeoutMs: 5_000 }),
      { control: stopped },
    );
    expect(performance.now() - started).toBeLessThan(1_000);
    expect(result).toMatchObject({ status: 'fail', reason: 'timeout', message: 'run aborted before an answer (vitals is stopping)' });
    expect(seen).toBe(stopped.controller.signal);
    expect(seen?.aborted).toBe(true);

    const timedOut = new RunControl();
    const late = await runProbe(definition, probe(() => new Promise(() => undefined)), settings({ timeoutMs: 100 }), { control: timedOut });
    expect(late).toMatchObject({ status: 'fail', reason: 'timeout' });
    expect(late.message).toMatch(/no answer within/);
    expect(timedOut.controller.signal.aborted).toBe(true);
    expect(timedOut.stopped).toBe(false);

    // Stopped before the run began: it ends at once, the check seeing an aborted signal.
    const early = new RunControl();
    early.stop();
    let abortedAtStart: boolean | undefined;
    const before = await runProbe(
      definition,
      probe(async (signal) => {
        abortedAtStart = signal.aborted;
        return report([]);
      }),
      settings({ timeoutMs: 5_000 }),
      { control: early },
    );
    expect(before).toMatchObject({ status: 'fail', reason: 'timeout' });
    expect(abortedAtStart).toBe(true);
  });

  it('uses the given wall clock', async () => {
    let t = 1_000_000;
    const result = await runProbe(definition, probe(async () => report([])), settings(), { now: () => (t += 5) });
    expect(result.startedAt).toBe(1_000_005);
    expect(result.finishedAt).toBe(1_000_010);
  });
});

describe('runProbe: errors', () => {
  it('keeps a ProbeError reason and hint', async () => {
    const result = await runProbe(
      definition,
      probe(async () => {
        throw new ProbeError('auth', 'password authentication failed for user "app"', { hint: 'check DATABASE_URL' });
      }),
      settings(),
    );
    expect(result).toMatchObject({
      status: 'fail',
      reason: 'auth',
      message: 'password authentication failed for user "app"',
      hint: 'check DATABASE_URL',
      observations: [],
    });
  });

  it('keeps what a failing check still learned (info, certificate expiry), with secrets scrubbed from info', async () => {
    const result = await runProbe(
      definition,
      probe(async () => {
        throw new ProbeError('tls', 'certificate has expired', {
          details: { certExpiry: 1_700_000_000, info: { issuer: 'CN=ca', seenAt: 'https://u:hunter22@host/x' } },
        });
      }),
      settings(),
    );
    expect(result).toMatchObject({ status: 'fail', reason: 'tls', certExpiry: 1_700_000_000, info: { issuer: 'CN=ca' } });
    expect(JSON.stringify(result)).not.toContain('hunter22');
  });

  it('a ProbeError without hint gets the type hint, else the generic one', async () => {
    const refused = await runProbe(definition, probe(async () => Promise.reject(new ProbeError('refused', 'down'))), settings());
    expect(refused.hint).toBe('start the test server');
    const dns = await runProbe(definition, probe(async () => Promise.reject(new ProbeError('dns', 'no such host'))), settings());
    expect(dns.hint).toBe(GENERIC_HINTS.dns);
  });

  it('a real refused connection → refused, with the type hint', async () => {
    const port = await freePort();
    const result = await runProbe(
      definition,
      probe(
        () =>
          new Promise((resolve, reject) => {
            const socket = net.connect({ host: '127.0.0.1', port });
            socket.once('error', reject);
            socket.once('connect', () => {
              socket.destroy();
              resolve(report([]));
            });
          }),
      ),
      settings(),
    );
    expect(result).toMatchObject({ status: 'fail', reason: 'refused', message: `connect ECONNREFUSED 127.0.0.1:${port}`, hint: 'start the test server' });
  });

  it('asks the type classifier first, then falls back to the generic rules', async () => {
    const typed: ProbeDefinition = {
      ...definition,
      classifyError: (error) =>
        (error as { code?: string }).code === '28P01' ? { reason: 'auth', message: 'password rejected', hint: 'fix the password' } : undefined,
    };
    const auth = await runProbe(typed, probe(async () => Promise.reject(Object.assign(new Error('x'), { code: '28P01' }))), settings());
    expect(auth).toMatchObject({ reason: 'auth', message: 'password rejected', hint: 'fix the password' });
    const reset = await runProbe(typed, probe(async () => Promise.reject(Object.assign(new Error('read ECONNRESET'), { code: 'ECONNRESET' }))), settings());
    expect(reset).toMatchObject({ reason: 'refused', message: 'read ECONNRESET' });
  });

  it('survives a classifier that throws', async () => {
    const broken: ProbeDefinition = {
      ...definition,
      classifyError: () => {
        throw new Error('classifier bug');
      },
    };
    const result = await runProbe(broken, probe(async () => Promise.reject(new Error('boom'))), settings());
    expect(result).toMatchObject({ status: 'fail', reason: 'error', message: 'boom' });
  });

  it('turns a synchronous throw into a failed run', async () => {
    const result = await runProbe(
      definition,
      {
        check: () => {
          throw new Error('sync boom');
        },
        close: async () => undefined,
      },
      settings(),
    );
    expect(result).toMatchObject({ status: 'fail', reason: 'error', message: 'sync boom' });
  });

  it('never rejects, whatever is thrown', async () => {
    for (const thrown of [undefined, null, 42, 'text', { weird: true }, new AggregateError([], '')]) {
      const result = await runProbe(definition, probe(async () => Promise.reject(thrown)), settings());
      expect(result.status).toBe('fail');
      expectExplained(result);
    }
  });

  it('redacts secrets, strips stacks and caps the length', async () => {
    const url = 'postgres://app:s3cr3t-pa55@db.internal:5432/app';
    const error = new Error(`could not connect to ${url}\n    at Client.connect (/app/node_modules/pg/lib/client.js:1:1)\n    at x`);
    const result = await runProbe(definition, probe(async () => Promise.reject(error)), settings({ options: { url } }));
    expect(result.message).toBe('could not connect to postgres://app:***@db.internal:5432/app');
    expect(JSON.stringify(result)).not.toContain('s3cr3t-pa55');

    // A known secret that is not URL-shaped is removed too.
    const token = 'tok-0123456789abcdef';
    const leaky = await runProbe(definition, probe(async () => Promise.reject(new Error(`server said: bad ${token}`))), settings(), {
      secrets: [token],
    });
    expect(leaky.message).not.toContain(token);

    const long = await runProbe(definition, probe(async () => Promise.reject(new Error('x'.repeat(5_000)))), settings());
    expect(long.message!.length).toBeLessThanOrEqual(300);
  });
});

describe('runProbe: thresholds', () => {
  it('passes below thresholds, with pass status on each observation', async () => {
    const result = await runProbe(
      definition,
      probe(async () => report([{ measurement: 'connectionsUtilization', value: 0.5 }, { measurement: 'responseTime', value: 3, unit: 'ms' }])),
      settings(),
    );
    expect(result.status).toBe('pass');
    expect(result.reason).toBeUndefined();
    expect(result.observations).toEqual([
      { measurement: 'connectionsUtilization', value: 0.5, unit: 'ratio', status: 'pass' },
      { measurement: 'responseTime', value: 3, unit: 'ms', status: 'pass' },
    ]);
  });

  it('higher is worse: fail breach → threshold, measurement hint', async () => {
    const result = await runProbe(definition, probe(async () => report([{ measurement: 'connectionsUtilization', value: 0.97 }])), settings());
    expect(result).toMatchObject({
      status: 'fail',
      reason: 'threshold',
      message: 'connectionsUtilization 0.97 ≥ fail 0.95',
      hint: 'raise max_connections or shrink pools',
    });
    expect(result.observations[0]).toMatchObject({ status: 'fail', output: 'connectionsUtilization 0.97 ≥ fail 0.95' });
  });

  it('lower is worse: warn breach, type threshold hint', async () => {
    const result = await runProbe(definition, probe(async () => report([{ measurement: 'daysUntilExpiry', value: 10 }])), settings());
    expect(result).toMatchObject({ status: 'warn', reason: 'threshold', message: 'daysUntilExpiry 10d ≤ warn 14d', hint: 'type-level threshold hint' });
    const fine = await runProbe(definition, probe(async () => report([{ measurement: 'daysUntilExpiry', value: 60 }])), settings());
    expect(fine.status).toBe('pass');
  });

  it('uses the effective settings thresholds, not only the type defaults', async () => {
    const result = await runProbe(
      definition,
      probe(async () => report([{ measurement: 'responseTime', value: 250, unit: 'ms' }])),
      settings({ warn: { responseTime: 100 }, fail: {} }),
    );
    expect(result).toMatchObject({ status: 'warn', reason: 'threshold', message: 'responseTime 250ms ≥ warn 100ms', hint: 'type-level threshold hint' });
  });

  it('ignores NaN and null readings', async () => {
    const result = await runProbe(
      definition,
      probe(async () => report([{ measurement: 'connectionsUtilization', value: Number.NaN }, { measurement: 'daysUntilExpiry', value: null }])),
      settings(),
    );
    expect(result.status).toBe('pass');
  });

  it('keeps a status preset by the probe, and the worse of preset and threshold wins', async () => {
    const preset = await runProbe(
      definition,
      probe(async () => report([{ measurement: 'migration', value: '0041', status: 'fail', output: 'expected migration 0042, found 0041' }])),
      settings(),
    );
    expect(preset).toMatchObject({ status: 'fail', reason: 'threshold', message: 'expected migration 0042, found 0041' });
    const both = await runProbe(
      definition,
      probe(async () => report([{ measurement: 'connectionsUtilization', value: 0.97, status: 'warn', output: 'probe says warn' }])),
      settings(),
    );
    expect(both).toMatchObject({ status: 'fail', message: 'connectionsUtilization 0.97 ≥ fail 0.95' });
  });

  it('lists every breached measurement at the worst level', async () => {
    const result = await runProbe(
      definition,
      probe(async () => report([
        { measurement: 'connectionsUtilization', value: 0.99 },
        { measurement: 'daysUntilExpiry', value: 1 },
        { measurement: 'responseTime', value: 1 },
      ])),
      settings(),
    );
    expect(result.message).toBe('connectionsUtilization 0.99 ≥ fail 0.95; daysUntilExpiry 1d ≤ fail 3d');
  });
});

describe('runProbe: warnings, info, certExpiry', () => {
  it('a warning makes the run warn with its reason and hint', async () => {
    const result = await runProbe(
      definition,
      probe(async () => report([{ measurement: 'responseTime', value: 5, unit: 'ms' }], { warnings: [{ reason: 'unavailable', message: 'HTTP 429 Too Many Requests', hint: 'lower the request rate' }] })),
      settings(),
    );
    expect(result).toMatchObject({ status: 'warn', reason: 'unavailable', message: 'HTTP 429 Too Many Requests', hint: 'lower the request rate' });
  });

  it('a warning without hint gets the type hint or the generic one', async () => {
    const result = await runProbe(definition, probe(async () => report([], { warnings: [{ reason: 'unavailable', message: 'busy' }] })), settings());
    expect(result.hint).toBe(GENERIC_HINTS.unavailable);
  });

  it('a fail threshold outranks a warning', async () => {
    const result = await runProbe(
      definition,
      probe(async () => report([{ measurement: 'connectionsUtilization', value: 0.99 }], { warnings: [{ reason: 'unavailable', message: 'busy' }] })),
      settings(),
    );
    expect(result).toMatchObject({ status: 'fail', reason: 'threshold' });
  });

  it('copies info and certExpiry, redacting info strings', async () => {
    const result = await runProbe(
      definition,
      probe(async () => report([], { info: { version: '15.4', dsn: 'postgres://u:hunter2hunter2@h/db', replicas: 2 }, certExpiry: 1_900_000_000 })),
      settings(),
    );
    expect(result.info).toEqual({ version: '15.4', dsn: 'postgres://u:***@h/db', replicas: 2 });
    expect(result.certExpiry).toBe(1_900_000_000);
  });

  it('a malformed report fails the run instead of throwing', async () => {
    const result = await runProbe(definition, probe(async () => ({}) as CheckReport), settings());
    expect(result).toMatchObject({ status: 'fail', reason: 'error' });
    expect(result.message).toMatch(/malformed/);
  });
});

describe('runProbe: prepare() (a client library loading) happens before the clock starts', () => {
  it('a slow prepare does not eat the timeout, and the duration excludes it', async () => {
    let prepared = false;
    const probe: Probe = {
      prepare: () => new Promise((resolve) => setTimeout(() => ((prepared = true), resolve()), 300)),
      check: async () => {
        expect(prepared).toBe(true);
        return { observations: [] };
      },
      close: async () => undefined,
    };
    const result = await runProbe(definition, probe, settings({ timeoutMs: 100 }));
    expect(result.status).toBe('pass');
    expect(result.durationMs).toBeLessThan(100);
  });

  it('a prepare that rejects still lets the run happen (its error surfaces from check)', async () => {
    const probe: Probe = {
      prepare: () => Promise.reject(new Error('cannot load the driver')),
      check: async () => {
        throw new Error('driver missing');
      },
      close: async () => undefined,
    };
    expect(await runProbe(definition, probe, settings())).toMatchObject({ status: 'fail', message: 'driver missing' });
  });
});

describe('runProbe: hints name the probe target', () => {
  const targeted: ProbeDefinition = {
    ...definition,
    hints: {
      reasons: { refused: 'check with `pg_isready -h {host} -p {port}`', timeout: 'open {url} by hand; {unknown} stays' },
      measurements: { connectionsUtilization: 'ask {host} for SELECT count(*)' },
    },
    hintTarget: () => ({ host: 'db.internal', port: 5432, url: 'postgres://app:s3cret-pw@db.internal:5432/app' }),
  };
  const targetSettings = settings({ definition: targeted, options: { url: 'postgres://app:s3cret-pw@db.internal:5432/app' } });

  it('fills {host}/{port} in a type hint, a ProbeError hint and a classifier hint; unknown placeholders stay visible', async () => {
    const refused = await runProbe(targeted, probe(async () => Promise.reject(new ProbeError('refused', 'down'))), targetSettings);
    expect(refused.hint).toBe('check with `pg_isready -h db.internal -p 5432`');
    const given = await runProbe(
      targeted,
      probe(async () => Promise.reject(new ProbeError('auth', 'no', { hint: 'psql -h {host} -p {port}' }))),
      targetSettings,
    );
    expect(given.hint).toBe('psql -h db.internal -p 5432');
    const breach = await runProbe(targeted, probe(async () => report([{ measurement: 'connectionsUtilization', value: 0.99 }])), targetSettings);
    expect(breach.hint).toBe('ask db.internal for SELECT count(*)');
  });

  it('redacts a secret a target carries, and survives a hintTarget that throws', async () => {
    const timeout = await runProbe(targeted, probe(async () => Promise.reject(new ProbeError('timeout', 'slow'))), targetSettings);
    expect(timeout.hint).not.toContain('s3cret-pw');
    expect(timeout.hint).toMatch(/^open postgres:\/\/app:\S+@db\.internal:5432\/app by hand; \{unknown\} stays$/);
    const broken: ProbeDefinition = {
      ...targeted,
      hintTarget: () => {
        throw new Error('target bug');
      },
    };
    const result = await runProbe(broken, probe(async () => Promise.reject(new ProbeError('refused', 'down'))), settings({ definition: broken }));
    expect(result.hint).toBe('check with `pg_isready -h {host} -p {port}`');
  });
});
