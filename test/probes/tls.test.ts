import { X509Certificate } from 'node:crypto';
import net, { type AddressInfo, type Socket } from 'node:net';
import tls from 'node:tls';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestPki, type TestPki } from '../support/certs.js';
import { startHttpUpstream, type HttpUpstream } from '../support/http-upstream.js';
import { freePort } from '../support/net.js';
import { runOnce, settingsFor } from '../support/run-once.js';

interface Listener {
  port: number;
  close(): Promise<void>;
}

/** Starts a loopback server and tracks its sockets so close() never waits on a client. */
async function listen(server: net.Server): Promise<Listener> {
  const sockets = new Set<Socket>();
  server.on('connection', (socket: Socket) => {
    sockets.add(socket);
    socket.once('close', () => sockets.delete(socket));
  });
  server.on('tlsClientError', () => undefined);
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => resolve());
  });
  return {
    port: (server.address() as AddressInfo).port,
    close: async () => {
      for (const socket of sockets) socket.destroy();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}

let pki: TestPki;
const listeners: Listener[] = [];
const upstreams: HttpUpstream[] = [];

/** A TLS endpoint presenting `cert` (a PEM chain, leaf first). */
async function serveTls(key: string, cert: string): Promise<number> {
  const listener = await listen(tls.createServer({ key, cert }, (socket) => socket.end()));
  listeners.push(listener);
  return listener.port;
}

function notAfterSeconds(pem: string): number {
  return Math.floor(Date.parse(new X509Certificate(pem).validTo) / 1000);
}

function observation(result: Awaited<ReturnType<typeof runOnce>>, measurement: string): unknown {
  return result.observations.find((o) => o.measurement === measurement)?.value;
}

beforeAll(async () => {
  pki = await createTestPki();
});

afterAll(async () => {
  await Promise.all([...listeners.map((l) => l.close()), ...upstreams.map((u) => u.close())]);
  await pki?.cleanup();
});

describe('tls probe: trusted certificates', () => {
  it('passes for a valid certificate with the CA given; reports expiry, handshake, issuer, protocol', async () => {
    const port = await serveTls(pki.valid.key, pki.valid.cert);
    const result = await runOnce('tls', { host: '127.0.0.1', port, ca: pki.ca.certFile });
    expect(result.status).toBe('pass');
    const days = observation(result, 'daysUntilExpiry') as number;
    expect(days).toBeGreaterThan(89);
    expect(days).toBeLessThan(91);
    expect(observation(result, 'handshakeTime')).toBeGreaterThan(0);
    expect(result.info).toMatchObject({ subject: 'valid', issuer: 'vitals test CA', names: 'DNS:localhost, IP Address:127.0.0.1', verification: 'ok' });
    expect(result.info?.protocol).toMatch(/^TLSv1\.[23]$/);
    expect(result.certExpiry).toBe(notAfterSeconds(pki.valid.cert));
  });

  it('takes the earliest expiry in the presented chain (here the CA, which expires before the leaf)', async () => {
    const port = await serveTls(pki.outlivesCa.key, pki.outlivesCa.cert + pki.ca.cert);
    const result = await runOnce('tls', { host: '127.0.0.1', port, ca: pki.ca.certFile });
    expect(result.status).toBe('pass');
    expect(result.certExpiry).toBe(notAfterSeconds(pki.ca.cert));
    expect(result.certExpiry).toBeLessThan(notAfterSeconds(pki.outlivesCa.cert));
    expect(result.info).toMatchObject({ earliestExpiring: 'vitals test CA', chainLength: 2 });
  });

  it('checks the host name given as servername (SNI) too', async () => {
    const port = await serveTls(pki.valid.key, pki.valid.cert);
    const result = await runOnce('tls', { host: '127.0.0.1', port, servername: 'localhost', ca: pki.ca.certFile });
    expect(result.status).toBe('pass');
  });
});

describe('tls probe: expiry thresholds (NW3)', () => {
  it('warns with threshold when the certificate expires within 14 days', async () => {
    const port = await serveTls(pki.expiringSoon.key, pki.expiringSoon.cert);
    const result = await runOnce('tls', { host: '127.0.0.1', port, ca: pki.ca.certFile });
    expect(result).toMatchObject({ status: 'warn', reason: 'threshold' });
    expect(result.message).toMatch(/^daysUntilExpiry (9\.9\d*|10)d ≤ warn 14d$/);
    expect(result.hint).toMatch(/renew/);
  });

  it('fails with threshold when the certificate expires in 2 days (fail at 3)', async () => {
    const port = await serveTls(pki.expiringIn2Days.key, pki.expiringIn2Days.cert);
    const result = await runOnce('tls', { host: '127.0.0.1', port, ca: pki.ca.certFile });
    expect(result).toMatchObject({ status: 'fail', reason: 'threshold' });
    expect(result.message).toMatch(/^daysUntilExpiry (1\.9\d*|2)d ≤ fail 3d$/);
    expect(result.hint).toMatch(/certbot renew/);
    expect(result.certExpiry).toBe(notAfterSeconds(pki.expiringIn2Days.cert));
  });

  it('thresholds are configurable per probe', async () => {
    const port = await serveTls(pki.expiringSoon.key, pki.expiringSoon.cert);
    const result = await runOnce('tls', { host: '127.0.0.1', port, ca: pki.ca.certFile }, { warn: { daysUntilExpiry: 7 } });
    expect(result.status).toBe('pass');
  });
});

describe('tls probe: verification failures (NW2)', () => {
  it('an expired certificate is tls naming CERT_HAS_EXPIRED and when it expired', async () => {
    const port = await serveTls(pki.expired.key, pki.expired.cert);
    const result = await runOnce('tls', { host: '127.0.0.1', port, ca: pki.ca.certFile });
    expect(result).toMatchObject({ status: 'fail', reason: 'tls' });
    expect(result.message).toContain('CERT_HAS_EXPIRED: certificate has expired');
    expect(result.message).toContain(`notAfter ${new Date(new X509Certificate(pki.expired.cert).validTo).toISOString()}, certificate "expired"`);
    expect(result.hint).toMatch(/certbot renew/);
    expect(result.hint).toMatch(/full chain/);
    // The failed run still reports when the chain expired (for the expiry gauge and alerts) and what it saw.
    const notAfter = Math.floor(Date.parse(new X509Certificate(pki.expired.cert).validTo) / 1000);
    expect(result.certExpiry).toBe(notAfter);
    expect(result.info).toMatchObject({ subject: expect.stringContaining('expired'), verification: expect.stringContaining('CERT_HAS_EXPIRED') });
  });

  it('a certificate for another host is tls naming the mismatch', async () => {
    const port = await serveTls(pki.wrongHost.key, pki.wrongHost.cert);
    const result = await runOnce('tls', { host: '127.0.0.1', port, ca: pki.ca.certFile });
    expect(result).toMatchObject({ status: 'fail', reason: 'tls' });
    expect(result.message).toContain('ERR_TLS_CERT_ALTNAME_INVALID');
    expect(result.message).toContain('asked for 127.0.0.1; the certificate covers DNS:other.example');
    expect(result.hint).toMatch(/^the certificate is not issued for 127\.0\.0\.1 \(it covers DNS:other\.example\)/);
    expect(result.hint).not.toMatch(/renew/);
    expect(result.certExpiry).toBe(notAfterSeconds(pki.wrongHost.cert));
    expect(result.info).toMatchObject({ names: 'DNS:other.example' });
  });

  it('a self-signed certificate is tls without its CA, and passes with it', async () => {
    const port = await serveTls(pki.selfSigned.key, pki.selfSigned.cert);
    const untrusted = await runOnce('tls', { host: '127.0.0.1', port });
    expect(untrusted).toMatchObject({ status: 'fail', reason: 'tls' });
    expect(untrusted.message).toContain('DEPTH_ZERO_SELF_SIGNED_CERT');
    const trusted = await runOnce('tls', { host: '127.0.0.1', port, ca: pki.selfSigned.certFile });
    expect(trusted.status).toBe('pass');
  });

  it('a leaf from an unknown CA is tls (the CA was not given)', async () => {
    const port = await serveTls(pki.valid.key, pki.valid.cert);
    const result = await runOnce('tls', { host: '127.0.0.1', port });
    expect(result).toMatchObject({ status: 'fail', reason: 'tls' });
    expect(result.message).toContain('UNABLE_TO_VERIFY_LEAF_SIGNATURE');
  });

  it('insecure skips verification but still reports expiry (and an expired certificate still fails on it)', async () => {
    const selfSignedPort = await serveTls(pki.selfSigned.key, pki.selfSigned.cert);
    const selfSigned = await runOnce('tls', { host: '127.0.0.1', port: selfSignedPort, insecure: true });
    expect(selfSigned.status).toBe('pass');
    expect(selfSigned.info?.verification).toContain('DEPTH_ZERO_SELF_SIGNED_CERT');
    expect(selfSigned.certExpiry).toBe(notAfterSeconds(pki.selfSigned.cert));

    const expiredPort = await serveTls(pki.expired.key, pki.expired.cert);
    const expired = await runOnce('tls', { host: '127.0.0.1', port: expiredPort, insecure: true });
    expect(expired).toMatchObject({ status: 'fail', reason: 'threshold' });
    expect(observation(expired, 'daysUntilExpiry')).toBeLessThan(0);
  });
});

describe('tls probe: criticality (CONTRACT §5)', () => {
  it('is non-critical unless the config says critical: true; other types stay critical by default', () => {
    expect(settingsFor('tls', { host: '127.0.0.1' }).critical).toBe(false);
    expect(settingsFor('tls', { host: '127.0.0.1' }, { critical: true }).critical).toBe(true);
    expect(settingsFor('tcp', { host: '127.0.0.1', port: 1 }).critical).toBe(true);
  });
});

describe('tls probe: not reaching a TLS server', () => {
  it('nothing listening is refused', async () => {
    const port = await freePort();
    const result = await runOnce('tls', { host: '127.0.0.1', port });
    expect(result).toMatchObject({ status: 'fail', reason: 'refused' });
  });

  it('a listener that accepts and never speaks is a timeout within the bound', async () => {
    const silent = await listen(net.createServer(() => undefined));
    listeners.push(silent);
    const result = await runOnce('tls', { host: '127.0.0.1', port: silent.port }, { timeoutMs: 500 });
    expect(result).toMatchObject({ status: 'fail', reason: 'timeout' });
    expect(result.durationMs).toBeLessThan(5_000);
  });

  it('a plain-HTTP port is tls (the handshake fails), not a hang', async () => {
    const plain = await startHttpUpstream();
    upstreams.push(plain);
    const result = await runOnce('tls', { host: '127.0.0.1', port: plain.port });
    expect(result).toMatchObject({ status: 'fail', reason: 'tls' });
    expect(result.durationMs).toBeLessThan(2_000);
  });

  it('an unreadable ca file is a config error; a bad port is rejected by the schema', async () => {
    const result = await runOnce('tls', { host: '127.0.0.1', port: 1, ca: '/nonexistent/ca.pem' });
    expect(result).toMatchObject({ status: 'fail', reason: 'config' });
    expect(() => settingsFor('tls', { host: '127.0.0.1', port: 70_000 })).toThrow();
  });
});
