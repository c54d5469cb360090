import http from 'node:http';
import https from 'node:https';
import type { AddressInfo, Socket } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openAgents } from '../../probes/shared/shared-agent.js';
import { createTestPki, type TestPki } from '../support/certs.js';
import { createProbe, type ProbeUnderTest } from '../support/run-once.js';

/** A loopback upstream that counts the connections it accepted and says which are open. */
interface Counting {
  origin: string;
  accepted: number;
  open: () => number;
  close: () => Promise<void>;
}

async function countingUpstream(tls?: { key: string; cert: string }): Promise<Counting> {
  const sockets = new Set<Socket>();
  const handler: http.RequestListener = (_req, res) => {
    res.writeHead(200, { 'content-type': 'text/plain' });
    res.end('ok');
  };
  const server = tls === undefined ? http.createServer(handler) : https.createServer(tls, handler);
  const state: Counting = { origin: '', accepted: 0, open: () => sockets.size, close: async () => undefined };
  server.on('connection', (socket: Socket) => {
    state.accepted += 1;
    sockets.add(socket);
    socket.once('close', () => sockets.delete(socket));
  });
  server.on('tlsClientError', () => undefined);
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  state.origin = `${tls === undefined ? 'http' : 'https'}://127.0.0.1:${(server.address() as AddressInfo).port}`;
  state.close = async () => {
    server.closeAllConnections();
    for (const socket of sockets) socket.destroy();
    await new Promise<void>((resolve) => server.close(() => resolve()));
  };
  return state;
}

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

/** One run, then a pause like the gap between scheduled runs (undici hands a connection back a moment after the body ends). */
async function runPaused(probe: ProbeUnderTest): Promise<Awaited<ReturnType<ProbeUnderTest['run']>>> {
  const result = await probe.run();
  await sleep(30);
  return result;
}

const until = async (condition: () => boolean, ms = 3_000): Promise<void> => {
  const started = Date.now();
  while (!condition() && Date.now() - started < ms) await new Promise((r) => setTimeout(r, 20));
};

describe('http probes share one agent per set of connection options', () => {
  let plain: Counting;
  let secure: Counting;
  let pki: TestPki;

  beforeAll(async () => {
    pki = await createTestPki();
    plain = await countingUpstream();
    secure = await countingUpstream(pki.valid);
  });

  afterAll(async () => {
    await plain?.close();
    await secure?.close();
    await pki?.cleanup();
  });

  it('probes of one upstream reuse one kept-alive connection; the last close closes it', async () => {
    const before = openAgents();
    const accepted = plain.accepted;
    // Different paths, headers and expectations: per request, so still one agent. (Not HEAD: undici
    // closes a connection after a HEAD, whoever owns it.)
    const probes: ProbeUnderTest[] = [
      createProbe('http', { url: `${plain.origin}/a` }, { name: 'a' }),
      createProbe('http', { url: `${plain.origin}/b`, expectStatus: [200] }, { name: 'b' }),
      createProbe('http', { url: `${plain.origin}/c`, headers: { 'x-key': 'secret-value-123' } }, { name: 'c' }),
    ];
    try {
      for (let round = 0; round < 3; round += 1) {
        for (const p of probes) expect((await runPaused(p)).status).toBe('pass');
      }
      expect(openAgents()).toBe(before + 1);
      // Runs one after another: one connection serves all nine (an agent per probe made at least three).
      expect(plain.accepted - accepted).toBe(1);
      await probes[0]!.close();
      await probes[1]!.close();
      // Another still holds it: still open, still working.
      expect(openAgents()).toBe(before + 1);
      expect((await runPaused(probes[2]!)).status).toBe('pass');
      expect(plain.open()).toBe(1);
    } finally {
      await Promise.all(probes.map((p) => p.close()));
    }
    expect(openAgents()).toBe(before);
    await until(() => plain.open() === 0);
    expect(plain.open()).toBe(0);
  });

  it('different CA or verification means a different agent', async () => {
    const before = openAgents();
    const trusting = createProbe('http', { url: `${secure.origin}/x`, ca: pki.ca.certFile }, { name: 'trusting' });
    const insecure = createProbe('http', { url: `${secure.origin}/x`, insecure: true }, { name: 'insecure' });
    // Plain http probes verify too and have no CA: this one's agent would be theirs (none open in this test).
    const strict = createProbe('http', { url: `${secure.origin}/x` }, { name: 'strict' });
    try {
      expect((await trusting.run()).status).toBe('pass');
      expect((await insecure.run()).status).toBe('pass');
      // No CA given: the test CA is unknown, so this one must fail, not ride the trusting probe's connection.
      const refused = await strict.run();
      expect(refused).toMatchObject({ status: 'fail', reason: 'tls' });
      expect(openAgents()).toBe(before + 3);
    } finally {
      await Promise.all([trusting.close(), insecure.close(), strict.close()]);
    }
    expect(openAgents()).toBe(before);
  });

  it('a probe riding another probe\'s kept-alive https connection still reports the certificate', async () => {
    const first = createProbe('http', { url: `${secure.origin}/one`, ca: pki.ca.certFile }, { name: 'first' });
    const second = createProbe('http', { url: `${secure.origin}/two`, ca: pki.ca.certFile }, { name: 'second' });
    try {
      const accepted = secure.accepted;
      const a = await runPaused(first);
      const b = await runPaused(second);
      expect(secure.accepted - accepted).toBe(1);
      for (const result of [a, b]) {
        expect(result.status).toBe('pass');
        expect(result.observations.find((o) => o.measurement === 'daysUntilExpiry')?.value).toBeGreaterThan(89);
        expect(result.info).toMatchObject({ subject: 'valid', verification: 'ok' });
        expect(result.certExpiry).toBe(a.certExpiry);
      }
    } finally {
      await Promise.all([first.close(), second.close()]);
    }
  });

  it('a closed probe leaves its agent to the others; a new probe with the same options joins it (reload)', async () => {
    const before = openAgents();
    const old = createProbe('http', { url: `${plain.origin}/r` }, { name: 'r' });
    expect((await runPaused(old)).status).toBe('pass');
    const accepted = plain.accepted;
    // A reload creates the changed probe's new instance, then closes the old one.
    const changed = createProbe('http', { url: `${plain.origin}/r2` }, { name: 'r' });
    expect((await runPaused(changed)).status).toBe('pass');
    await old.close();
    expect((await runPaused(changed)).status).toBe('pass');
    expect(plain.accepted - accepted).toBe(0);
    await changed.close();
    expect(openAgents()).toBe(before);
    // After the last close the next probe gets a fresh agent that works.
    const fresh = createProbe('http', { url: `${plain.origin}/f` }, { name: 'f' });
    try {
      expect((await fresh.run()).status).toBe('pass');
      expect(openAgents()).toBe(before + 1);
    } finally {
      await fresh.close();
    }
  });
});
