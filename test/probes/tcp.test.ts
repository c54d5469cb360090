import net, { type AddressInfo, type Socket } from 'node:net';
import { afterAll, afterEach, describe, expect, it } from 'vitest';
import { freePort } from '../support/net.js';
import { startProcess, type ManagedProcess } from '../support/process.js';
import { createProbe, runOnce, settingsFor } from '../support/run-once.js';

const cleanups: (() => Promise<void> | void)[] = [];

afterEach(async () => {
  while (cleanups.length > 0) await cleanups.pop()?.();
});

afterAll(async () => {
  while (cleanups.length > 0) await cleanups.pop()?.();
});

/** Connects and reports whether the handshake completed within `waitMs` (the socket is returned either way). */
function tryConnect(port: number, waitMs: number): Promise<{ socket: Socket; connected: boolean }> {
  return new Promise((resolve) => {
    const socket = net.connect({ host: '127.0.0.1', port });
    socket.on('error', () => undefined);
    const timer = setTimeout(() => resolve({ socket, connected: false }), waitMs);
    socket.once('connect', () => {
      clearTimeout(timer);
      resolve({ socket, connected: true });
    });
  });
}

/**
 * A listener whose accept queue is full, so the kernel drops further SYNs and
 * connect() hangs: a child process listens with backlog 1 and is SIGSTOPped
 * (it never calls accept), then we connect until a handshake no longer completes.
 */
async function fullBacklogPort(): Promise<number> {
  const script =
    "const s=require('net').createServer();s.listen({port:0,host:'127.0.0.1',backlog:1},()=>console.log('PORT='+s.address().port))";
  const child: ManagedProcess = startProcess(process.execPath, ['-e', script]);
  cleanups.push(() => child.stop());
  const deadline = Date.now() + 10_000;
  let port: number | undefined;
  while (port === undefined) {
    const match = /PORT=(\d+)/.exec(child.output());
    if (match !== null) port = Number(match[1]);
    else if (Date.now() > deadline) throw new Error(`listener did not start: ${child.output()}`);
    else await new Promise((r) => setTimeout(r, 20));
  }
  child.pause();
  cleanups.push(() => child.resume());
  for (let attempt = 0; attempt < 64; attempt += 1) {
    const { socket, connected } = await tryConnect(port, 300);
    cleanups.push(() => void socket.destroy());
    if (!connected) return port;
  }
  throw new Error('the accept queue never filled');
}

describe('tcp probe', () => {
  it('passes against an open listener and reports connectTime', async () => {
    const server = net.createServer((socket) => socket.destroy());
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', () => resolve()));
    cleanups.push(() => new Promise<void>((resolve) => server.close(() => resolve())));
    const { port } = server.address() as AddressInfo;

    const result = await runOnce('tcp', { host: '127.0.0.1', port });
    expect(result.status).toBe('pass');
    const connectTime = result.observations.find((o) => o.measurement === 'connectTime');
    expect(connectTime).toMatchObject({ unit: 'ms', status: 'pass' });
    expect(connectTime?.value).toBeGreaterThan(0);
    expect(result.info?.remote).toBe(`127.0.0.1:${port}`);
  });

  it('NW4: a closed port is refused, with a hint about the service listening', async () => {
    const port = await freePort();
    const result = await runOnce('tcp', { host: '127.0.0.1', port });
    expect(result).toMatchObject({ status: 'fail', reason: 'refused' });
    expect(result.message).toContain(`ECONNREFUSED 127.0.0.1:${port}`);
    expect(result.hint).toContain(`nothing is listening on 127.0.0.1:${port}`);
    expect(result.durationMs).toBeLessThan(2_000);
  });

  it('NW4: a listener that never accepts (full backlog) is a timeout within the bound, hinting at firewalls', async () => {
    const port = await fullBacklogPort();
    const started = Date.now();
    const result = await runOnce('tcp', { host: '127.0.0.1', port }, { timeoutMs: 500 });
    expect(result).toMatchObject({ status: 'fail', reason: 'timeout' });
    expect(result.message).toBe('no answer within 500ms');
    expect(result.hint).toMatch(/firewall/);
    expect(result.hint).toMatch(/NetworkPolicy/);
    expect(result.durationMs).toBeGreaterThanOrEqual(450);
    expect(Date.now() - started).toBeLessThan(5_000);
  });

  it('a connectTime threshold turns a slow connect into threshold', async () => {
    const server = net.createServer((socket) => socket.destroy());
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', () => resolve()));
    cleanups.push(() => new Promise<void>((resolve) => server.close(() => resolve())));
    const { port } = server.address() as AddressInfo;
    // Any real connect takes more than 0.0001 ms: the threshold path, not the network, is under test.
    const result = await runOnce('tcp', { host: '127.0.0.1', port }, { warn: { connectTime: 0.0001 } });
    expect(result).toMatchObject({ status: 'warn', reason: 'threshold' });
    expect(result.message).toMatch(/^connectTime [\d.]+ms ≥ warn 0ms$/);
  });

  it('rejects a missing or out-of-range port at parse time', () => {
    expect(() => settingsFor('tcp', { host: '127.0.0.1' })).toThrow();
    expect(() => settingsFor('tcp', { host: '127.0.0.1', port: 0 })).toThrow();
  });
});

describe('tcp probe: hints filled once per probe', () => {
  it('each probe keeps its own filled hint across runs, also when probes fail alternately', async () => {
    const [portA, portB] = [await freePort(), await freePort()];
    const a = createProbe('tcp', { host: '127.0.0.1', port: portA }, { name: 'a' });
    const b = createProbe('tcp', { host: '127.0.0.1', port: portB }, { name: 'b' });
    cleanups.push(() => a.close(), () => b.close());
    const hints: string[] = [];
    for (let i = 0; i < 3; i += 1) {
      for (const [probe, port] of [[a, portA], [b, portB]] as const) {
        const result = await probe.run();
        expect(result.reason).toBe('refused');
        expect(result.hint).toContain(`127.0.0.1:${port}`);
        hints.push(result.hint!);
      }
    }
    expect(new Set(hints).size).toBe(2);
  });
});
