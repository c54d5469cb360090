import net from 'node:net';
import { connect } from 'nats';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { freePort } from '../support/net.js';
import { startNatsServer, type NatsServer } from '../support/nats-server.js';
import { createProbe, runOnce, type ProbeUnderTest } from '../support/run-once.js';
import type { ProbeResult } from '../../src/core/types.js';

/** Against a real nats-server (monitoring, JetStream, user/password) on free loopback ports. */

let server: NatsServer;
const open: ProbeUnderTest[] = [];

beforeAll(async () => {
  // 1 MB (the least nats-server allows) so a stalled reader is dropped after a few megabytes.
  server = await startNatsServer({ maxPendingBytes: 1024 * 1024 });
});

afterEach(async () => {
  server.resume();
  await Promise.all(open.splice(0).map((p) => p.close()));
});

afterAll(async () => {
  server.resume();
  await server.stop();
});

function good(extra: Record<string, unknown> = {}): Record<string, unknown> {
  return { url: server.url, user: server.user, password: server.password, monitorUrl: server.monitorUrl, ...extra };
}

function live(options: Record<string, unknown>, overrides: Parameters<typeof createProbe>[2] = {}): ProbeUnderTest {
  const probe = createProbe('nats', options, overrides);
  open.push(probe);
  return probe;
}

function observed(result: ProbeResult, measurement: string): unknown {
  return result.observations.find((o) => o.measurement === measurement)?.value;
}

function expectNoSecret(result: ProbeResult, ...secrets: string[]): void {
  const text = JSON.stringify(result);
  for (const secret of secrets) expect(text).not.toContain(secret);
}

describe('nats probe against a real nats-server', () => {
  it('passes with rtt, server info and monitor figures (connections, slow consumers, JetStream)', async () => {
    // A stream, so the /jsz counts are not trivially zero.
    const admin = await connect({ servers: server.url, user: server.user, pass: server.password });
    const jsm = await admin.jetstreamManager();
    await jsm.streams.add({ name: 'ORDERS', subjects: ['orders.>'] });
    await jsm.consumers.add('ORDERS', { durable_name: 'billing', ack_policy: 'explicit' as never });
    try {
      const result = await runOnce('nats', good());
      expect(result.status, JSON.stringify(result)).toBe('pass');
      expect(result.reason).toBeUndefined();
      const rtt = observed(result, 'rtt');
      expect(typeof rtt).toBe('number');
      expect(rtt as number).toBeGreaterThanOrEqual(0);
      expect(rtt as number).toBeLessThan(1_000);
      // The admin connection and the probe's own.
      expect(observed(result, 'connections')).toBeGreaterThanOrEqual(2);
      expect(observed(result, 'slowConsumers')).toBe(0);
      expect(observed(result, 'jetstreamStreams')).toBe(1);
      expect(observed(result, 'jetstreamConsumers')).toBe(1);
      expect(observed(result, 'memory') as number).toBeGreaterThan(1_000_000);
      expect(result.info?.version).toMatch(/^\d+\.\d+\.\d+/);
      expect(result.info?.serverId).toMatch(/^N[A-Z0-9]{20,}$/);
      expect(result.info?.jetstream).toBe(true);
      expectNoSecret(result, server.password);
    } finally {
      await jsm.streams.delete('ORDERS');
      await admin.close();
    }
  });

  it('reads credentials from the URL, and never shows them', async () => {
    const url = `nats://${server.user}:${server.password}@127.0.0.1:${server.port}`;
    const result = await runOnce('nats', { url });
    expect(result.status, JSON.stringify(result)).toBe('pass');
    expect(observed(result, 'connections')).toBeUndefined(); // no monitorUrl, no monitor figures
    expectNoSecret(result, server.password);
  });

  it('NT1: nothing listening → refused, fast, with the NATS hint', async () => {
    const port = await freePort();
    const started = Date.now();
    const result = await runOnce('nats', { url: `nats://127.0.0.1:${port}`, user: 'u', password: 'refused-secret-1' }, { timeoutMs: 2_000 });
    expect(result.status).toBe('fail');
    expect(result.reason).toBe('refused');
    expect(result.message).toContain(`127.0.0.1:${port}`);
    expect(result.hint).toContain(`nats-server is running and listening on 127.0.0.1:${port}`);
    expect(Date.now() - started).toBeLessThan(2_000);
    expectNoSecret(result, 'refused-secret-1');
  });

  it('NT2: wrong password → auth, and the password appears nowhere', async () => {
    const secret = 'wrong-nats-password-93xk';
    const result = await runOnce('nats', good({ password: secret }));
    expect(result.status).toBe('fail');
    expect(result.reason).toBe('auth');
    expect(result.message).toMatch(/authorization violation/i);
    expect(result.hint).toMatch(/authorization/);
    expectNoSecret(result, secret, server.password);
  });

  it('NT2: a token the server does not know → auth, token redacted', async () => {
    const token = 'tok-nats-5c0ffee5-abcdef';
    const result = await runOnce('nats', { url: server.url, token });
    expect(result.reason).toBe('auth');
    expectNoSecret(result, token);
  });

  it('NT1: a hung server (SIGSTOP) → timeout within the probe timeout, then recovers on SIGCONT', async () => {
    const probe = live(good(), { timeoutMs: 500 });
    expect((await probe.run()).status).toBe('pass');

    server.pause();
    const started = Date.now();
    const hung = await probe.run();
    const elapsed = Date.now() - started;
    expect(hung.status).toBe('fail');
    expect(hung.reason).toBe('timeout');
    expect(hung.hint).toMatch(/hung or overloaded/);
    expect(hung.durationMs).toBeGreaterThanOrEqual(450);
    expect(elapsed).toBeLessThan(1_500);

    server.resume();
    const recovered = await probe.run();
    expect(recovered.status, JSON.stringify(recovered)).toBe('pass');
  });

  it('a hung server during the first connect → timeout; close() stays bounded', async () => {
    server.pause();
    const probe = createProbe('nats', good(), { timeoutMs: 500 });
    const result = await probe.run();
    expect(result.reason).toBe('timeout');
    expect(result.durationMs).toBeLessThan(1_500);
    const started = Date.now();
    await probe.probe.close(1_000);
    expect(Date.now() - started).toBeLessThan(1_500);
  });

  it('close() is bounded while the server is hung with an open connection', async () => {
    const probe = createProbe('nats', good(), { timeoutMs: 500 });
    expect((await probe.run()).status).toBe('pass');
    server.pause();
    const started = Date.now();
    await probe.probe.close(800);
    expect(Date.now() - started).toBeLessThan(1_500);
  });

  it('NT3: a real slow consumer (a subscriber that stops reading) → warn threshold with the backlog hint', async () => {
    const probe = live(good());
    const baseline = await probe.run();
    expect(baseline.status, JSON.stringify(baseline)).toBe('pass');
    expect(observed(baseline, 'slowConsumers')).toBe(0);

    // A raw NATS client: subscribe, then stop reading from the socket.
    const reader = net.connect(server.port, '127.0.0.1');
    await new Promise<void>((resolve, reject) => reader.once('connect', resolve).once('error', reject));
    reader.write(
      `CONNECT {"verbose":false,"pedantic":false,"user":${JSON.stringify(server.user)},"pass":${JSON.stringify(server.password)},"name":"stalled-reader"}\r\n` +
        'SUB flood 1\r\nPING\r\n',
    );
    await new Promise((resolve) => reader.once('data', resolve)); // INFO/PONG: subscribed
    reader.pause();
    reader.on('error', () => undefined); // the server drops it; that is the point

    const publisher = await connect({ servers: server.url, user: server.user, pass: server.password });
    try {
      const payload = new Uint8Array(64 * 1024);
      const deadline = Date.now() + 10_000;
      let slow: ProbeResult | undefined;
      while (Date.now() < deadline) {
        for (let i = 0; i < 50; i += 1) publisher.publish('flood', payload);
        await publisher.flush();
        const varz = (await (await fetch(`${server.monitorUrl}/varz`)).json()) as { slow_consumers: number };
        if (varz.slow_consumers > 0) {
          slow = await probe.run();
          break;
        }
      }
      expect(slow, 'nats-server never counted the stalled reader as a slow consumer').toBeDefined();
      const result = slow as ProbeResult;
      expect(result.status).toBe('warn');
      expect(result.reason).toBe('threshold');
      expect(result.message).toContain('slowConsumers 1 ≥ warn 1');
      expect(result.hint).toMatch(/more consumer workers|consumer workers/);
      expect(result.hint).toMatch(/JetStream/);
      expect(observed(result, 'slowConsumersTotal')).toBe(1);
      expect(observed(result, 'recentSlowConsumerClients')).toBe(1);
      expect(String(result.info?.slowConsumerClients)).toContain('stalled-reader');
      expectNoSecret(result, server.password);

      // The counter only grows: the next check reports no new ones and passes again.
      const after = await probe.run();
      expect(after.status, JSON.stringify(after)).toBe('pass');
      expect(observed(after, 'slowConsumers')).toBe(0);
      expect(observed(after, 'slowConsumersTotal')).toBe(1);
    } finally {
      reader.destroy();
      await publisher.close();
    }
  });

  it('an unreadable monitor endpoint degrades to warn, the connection itself is fine', async () => {
    const port = await freePort();
    const result = await runOnce('nats', good({ monitorUrl: `http://127.0.0.1:${port}` }));
    expect(result.status).toBe('warn');
    expect(result.reason).toBe('unavailable');
    expect(result.message).toContain('monitor');
    expect(result.hint).toMatch(/monitoring port/);
    expect(typeof observed(result, 'rtt')).toBe('number');
  });

  it('a bad URL is a config error', async () => {
    const result = await runOnce('nats', { url: 'nats://[broken' });
    expect(result.status).toBe('fail');
    expect(result.reason).toBe('config');
  });
});

describe('nats probe when the server goes away', () => {
  it('NT1: a server that exits under an open connection → the next check fails refused, then recovers on a new server', async () => {
    const doomed = await startNatsServer();
    const options = { url: doomed.url, user: doomed.user, password: doomed.password };
    const probe = createProbe('nats', options, { timeoutMs: 1_000 });
    try {
      expect((await probe.run()).status).toBe('pass');
      await doomed.stop();
      const started = Date.now();
      const down = await probe.run();
      expect(down.status).toBe('fail');
      expect(down.reason).toBe('refused');
      expect(Date.now() - started).toBeLessThan(1_500);
    } finally {
      await probe.close();
      await doomed.stop();
    }
  });
});
