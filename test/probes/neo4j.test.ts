import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { startBoltStub, type BoltStub, type BoltStubOptions } from '../support/bolt-stub/server.js';
import { freePort } from '../support/net.js';
import { createProbe, runOnce, type ProbeUnderTest } from '../support/run-once.js';
import type { ProbeResult } from '../../src/core/types.js';

/**
 * The neo4j probe through the real neo4j-driver. No Neo4j server can be
 * installed on these machines, so by default the peer is the Bolt stub in
 * test/support/bolt-stub. Set VITALS_TEST_NEO4J_URL (and
 * VITALS_TEST_NEO4J_USER / VITALS_TEST_NEO4J_PASSWORD) to run the tests a
 * real server can reproduce (pass, wrong password, unknown database) against
 * that server instead; the hang, unavailable and protocol-variant tests always
 * use the stub, because only a scripted server can hang or fail on demand.
 */

const REAL_URL = process.env.VITALS_TEST_NEO4J_URL;
const STUB_USER = 'neo4j';
const STUB_PASSWORD = 'stub-neo4j-secret-7d2e';

interface Target {
  url: string;
  user: string;
  password: string;
  kind: 'real' | 'stub';
}

let shared: BoltStub;
let target: Target;
const stubs: BoltStub[] = [];
const open: ProbeUnderTest[] = [];

async function stub(options: BoltStubOptions = {}): Promise<BoltStub> {
  const started = await startBoltStub({ user: STUB_USER, password: STUB_PASSWORD, ...options });
  stubs.push(started);
  return started;
}

function stubOptions(s: BoltStub, extra: Record<string, unknown> = {}): Record<string, unknown> {
  return { url: s.url, user: STUB_USER, password: STUB_PASSWORD, ...extra };
}

function live(options: Record<string, unknown>, overrides: Parameters<typeof createProbe>[2] = {}): ProbeUnderTest {
  const probe = createProbe('neo4j', options, overrides);
  open.push(probe);
  return probe;
}

function expectNoSecret(result: ProbeResult, ...secrets: string[]): void {
  const text = JSON.stringify(result);
  for (const secret of secrets) expect(text).not.toContain(secret);
}

beforeAll(async () => {
  shared = await stub();
  target =
    REAL_URL === undefined
      ? { url: shared.url, user: STUB_USER, password: STUB_PASSWORD, kind: 'stub' }
      : {
          url: REAL_URL,
          user: process.env.VITALS_TEST_NEO4J_USER ?? 'neo4j',
          password: process.env.VITALS_TEST_NEO4J_PASSWORD ?? '',
          kind: 'real',
        };
});

afterEach(async () => {
  for (const s of stubs) s.mode = 'normal'; // like SIGCONT: nothing stays hung past its test
  shared.queryDelayMs = 0;
  await Promise.all(open.splice(0).map((p) => p.close()));
});

afterAll(async () => {
  await Promise.all(stubs.splice(0).map((s) => s.close()));
});

describe(`neo4j probe (${REAL_URL === undefined ? 'Bolt stub' : 'real server'})`, () => {
  it('passes with responseTime and server agent, version and protocol', async () => {
    const result = await runOnce('neo4j', { url: target.url, user: target.user, password: target.password, database: 'neo4j' });
    expect(result.status, JSON.stringify(result)).toBe('pass');
    const responseTime = result.observations.find((o) => o.measurement === 'responseTime');
    expect(responseTime?.unit).toBe('ms');
    expect(responseTime?.value as number).toBeGreaterThan(0);
    expect(responseTime?.value as number).toBeLessThan(2_000);
    expect(result.info?.agent).toMatch(/^Neo4j\/\d+\.\d+/);
    expect(result.info?.version).toMatch(/^\d+\.\d+/);
    expect(result.info?.protocol).toMatch(/^\d+\.\d+$/);
    expect(result.info?.database).toBe('neo4j');
    if (target.kind === 'stub') expect(result.info?.protocol).toBe('5.8');
    expectNoSecret(result, target.password);
  });

  it('NJ1: nothing listening → refused, fast, with the Bolt-port hint', async () => {
    const port = await freePort();
    const started = Date.now();
    const result = await runOnce('neo4j', { url: `bolt://127.0.0.1:${port}`, user: 'neo4j', password: 'refused-neo4j-secret' });
    expect(result.status).toBe('fail');
    expect(result.reason).toBe('refused');
    expect(result.message).toContain('ECONNREFUSED');
    expect(result.hint).toMatch(/7687/);
    expect(Date.now() - started).toBeLessThan(2_000);
    expectNoSecret(result, 'refused-neo4j-secret');
  });

  it('NJ2: wrong password → auth (Neo.ClientError.Security.Unauthorized), the password appears nowhere', async () => {
    const wrong = 'wrong-neo4j-password-41qz';
    const result = await runOnce('neo4j', { url: target.url, user: target.user, password: wrong });
    expect(result.status).toBe('fail');
    expect(result.reason).toBe('auth');
    expect(result.message).toMatch(/Neo\.ClientError\.Security\.(Unauthorized|AuthenticationRateLimit)/);
    expect(result.hint).toContain('ALTER CURRENT USER SET PASSWORD');
    expectNoSecret(result, wrong, target.password);
  });

  it('a database that does not exist → config, naming the database option', async () => {
    const result = await runOnce('neo4j', { url: target.url, user: target.user, password: target.password, database: 'vitalsnosuchdb' });
    expect(result.status).toBe('fail');
    expect(result.reason).toBe('config');
    expect(result.message).toContain('DatabaseNotFound');
    expect(result.hint).toMatch(/database/);
  });
});

describe('neo4j probe against the Bolt stub only (faults a real server cannot produce on demand)', () => {
  it('a server that accepts TCP and never answers the handshake → timeout within the probe timeout; close() bounded', async () => {
    const silent = await stub({ mode: 'silent' });
    const probe = createProbe('neo4j', stubOptions(silent), { timeoutMs: 500 });
    const started = Date.now();
    const result = await probe.run();
    expect(result.status).toBe('fail');
    expect(result.reason).toBe('timeout');
    expect(result.hint).toMatch(/did not answer in time/);
    expect(result.durationMs).toBeGreaterThanOrEqual(450);
    expect(Date.now() - started).toBeLessThan(1_500);
    expect(silent.connectionsAccepted()).toBeGreaterThanOrEqual(1);
    const closing = Date.now();
    await probe.probe.close(1_000);
    expect(Date.now() - closing).toBeLessThan(1_500);
  });

  it('NJ1: a hung server (pooled connection stops answering) → timeout, then recovers when it answers again', async () => {
    const s = await stub();
    const probe = live(stubOptions(s), { timeoutMs: 500 });
    expect((await probe.run()).status).toBe('pass');

    s.mode = 'silent';
    const started = Date.now();
    const hung = await probe.run();
    expect(hung.reason).toBe('timeout');
    expect(Date.now() - started).toBeLessThan(1_500);
    const again = await probe.run(); // the next run must not queue behind the stuck one
    expect(again.reason).toBe('timeout');
    expect(again.durationMs).toBeLessThan(1_500);

    s.mode = 'normal';
    const recovered = await probe.run();
    expect(recovered.status, JSON.stringify(recovered)).toBe('pass');
  });

  it('close() is bounded while the server hangs with a connection open', async () => {
    const s = await stub();
    const probe = createProbe('neo4j', stubOptions(s), { timeoutMs: 500 });
    expect((await probe.run()).status).toBe('pass');
    s.mode = 'silent';
    const started = Date.now();
    await probe.probe.close(800);
    expect(Date.now() - started).toBeLessThan(1_500);
  });

  it('NJ1: database unavailable (stopped / still starting) → unavailable with the wait-for-it hint', async () => {
    const s = await stub({ mode: 'unavailable' });
    const result = await runOnce('neo4j', stubOptions(s));
    expect(result.status).toBe('fail');
    expect(result.reason).toBe('unavailable');
    expect(result.message).toContain('Neo.TransientError.General.DatabaseUnavailable');
    expect(result.hint).toMatch(/finish starting/);
    expectNoSecret(result, STUB_PASSWORD);
  });

  it('responseTime above its warn threshold → warn threshold', async () => {
    shared.queryDelayMs = 300;
    const result = await runOnce('neo4j', stubOptions(shared), { warn: { responseTime: 100 }, timeoutMs: 2_000 });
    expect(result.status).toBe('warn');
    expect(result.reason).toBe('threshold');
    expect(result.message).toMatch(/^responseTime \d+ms ≥ warn 100ms$/);
    expect(result.hint).toContain('SHOW TRANSACTIONS');
  });

  it('plain version negotiation (a 5.x server without the manifest) works', async () => {
    const s = await stub({ manifest: false });
    const result = await runOnce('neo4j', stubOptions(s));
    expect(result.status, JSON.stringify(result)).toBe('pass');
    expect(s.negotiated).toEqual(['5.8']);
  });

  it('a Bolt 4.4 server (credentials on HELLO, FAILURE with `code`) passes, and rejects a wrong password as auth', async () => {
    const s = await stub({ versions: [{ major: 4, minor: 4 }], agent: 'Neo4j/4.4.30' });
    const good = await runOnce('neo4j', stubOptions(s));
    expect(good.status, JSON.stringify(good)).toBe('pass');
    expect(good.info?.protocol).toBe('4.4');
    expect(good.info?.version).toBe('4.4.30');
    const bad = await runOnce('neo4j', stubOptions(s, { password: 'wrong-44-password' }));
    expect(bad.reason).toBe('auth');
    expect(s.received.some((m) => m.name === 'LOGON')).toBe(false);
  });

  it('the neo4j:// routing scheme (ROUTE, then the routed server) works', async () => {
    const s = await stub();
    const result = await runOnce('neo4j', stubOptions(s, { url: `neo4j://127.0.0.1:${s.port}` }));
    expect(result.status, JSON.stringify(result)).toBe('pass');
    expect(s.received.some((m) => m.name === 'ROUTE')).toBe(true);
  });

  it('a URL the driver cannot use → config', async () => {
    const result = await runOnce('neo4j', { url: 'http://127.0.0.1:7474', user: 'neo4j', password: 'x-secret-pw' });
    expect(result.status).toBe('fail');
    expect(result.reason).toBe('config');
    expectNoSecret(result, 'x-secret-pw');
  });
});
