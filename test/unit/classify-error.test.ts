import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import net from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import tls from 'node:tls';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Reason } from '../../src/core/types.js';
import { classifyError, describeError, errorTree, reasonOf } from '../../src/runner/classify-error.js';
import { freePort } from '../support/net.js';

function coded(code: string, message = `${code} happened`): Error {
  return Object.assign(new Error(message), { code });
}

describe('classifyError: codes', () => {
  it.each<[string, Reason]>([
    ['ECONNREFUSED', 'refused'],
    ['ECONNRESET', 'refused'],
    ['EPIPE', 'refused'],
    ['EHOSTUNREACH', 'refused'],
    ['ENOTFOUND', 'dns'],
    ['EAI_AGAIN', 'dns'],
    ['ENODATA', 'dns'],
    ['ESERVFAIL', 'dns'],
    ['ETIMEDOUT', 'timeout'],
    ['ETIMEOUT', 'timeout'],
    ['ABORT_ERR', 'timeout'],
    ['UND_ERR_CONNECT_TIMEOUT', 'timeout'],
    ['CERT_HAS_EXPIRED', 'tls'],
    ['DEPTH_ZERO_SELF_SIGNED_CERT', 'tls'],
    ['ERR_TLS_CERT_ALTNAME_INVALID', 'tls'],
    ['UNABLE_TO_VERIFY_LEAF_SIGNATURE', 'tls'],
    ['SELF_SIGNED_CERT_IN_CHAIN', 'tls'],
    ['ERR_SSL_WRONG_VERSION_NUMBER', 'tls'],
    ['ERR_INVALID_URL', 'config'],
    ['EWHATEVER', 'error'],
  ])('%s → %s', (code, reason) => {
    expect(classifyError(coded(code)).reason).toBe(reason);
  });

  it('treats AbortError and TimeoutError by name as timeout', () => {
    expect(classifyError(new DOMException('The operation was aborted', 'AbortError')).reason).toBe('timeout');
    expect(classifyError(Object.assign(new Error('x'), { name: 'TimeoutError' })).reason).toBe('timeout');
  });

  it('answers error for non-errors', () => {
    expect(classifyError('just a string')).toEqual({ reason: 'error', message: 'just a string' });
    expect(classifyError(undefined)).toEqual({ reason: 'error', message: 'unknown error' });
    expect(classifyError(42).reason).toBe('error');
  });
});

describe('classifyError: wrapped errors', () => {
  it('walks cause chains', () => {
    const wrapped = new TypeError('fetch failed', { cause: new Error('outer', { cause: coded('ENOTFOUND', 'getaddrinfo ENOTFOUND db') }) });
    expect(reasonOf(wrapped)).toBe('dns');
  });

  it('walks AggregateError.errors and describes its parts when its own message is empty', () => {
    const aggregate = new AggregateError(
      [coded('ECONNREFUSED', 'connect ECONNREFUSED ::1:5432'), coded('ECONNREFUSED', 'connect ECONNREFUSED 127.0.0.1:5432')],
      '',
    );
    expect(classifyError(aggregate)).toEqual({
      reason: 'refused',
      message: 'connect ECONNREFUSED ::1:5432; connect ECONNREFUSED 127.0.0.1:5432',
    });
  });

  it('survives cycles', () => {
    const a = new Error('a') as Error & { cause?: unknown };
    const b = new Error('b', { cause: a });
    a.cause = b;
    expect(errorTree(a)).toHaveLength(2);
    expect(classifyError(a).reason).toBe('error');
  });

  it('adds the cause to an uninformative message', () => {
    expect(describeError(new TypeError('fetch failed', { cause: new Error('connect ECONNREFUSED 127.0.0.1:1') }))).toBe(
      'fetch failed: connect ECONNREFUSED 127.0.0.1:1',
    );
  });
});

describe('classifyError: real failures', () => {
  it('a refused TCP connection → refused', async () => {
    const port = await freePort();
    const error = await new Promise<unknown>((resolve) => {
      const socket = net.connect({ host: '127.0.0.1', port });
      socket.once('error', resolve);
      socket.once('connect', () => {
        socket.destroy();
        resolve(new Error('unexpectedly connected'));
      });
    });
    expect(classifyError(error)).toMatchObject({ reason: 'refused', message: `connect ECONNREFUSED 127.0.0.1:${port}` });
  });

  it('fetch to a refused port (undici wraps the cause) → refused', async () => {
    const port = await freePort();
    const error = await fetch(`http://127.0.0.1:${port}/`).then(
      () => new Error('unexpectedly answered'),
      (e: unknown) => e,
    );
    const classified = classifyError(error);
    expect(classified.reason).toBe('refused');
    expect(classified.message).toContain('ECONNREFUSED');
  });

  it('AbortSignal.timeout on fetch → timeout', async () => {
    // A listener that accepts and never answers.
    const sockets = new Set<net.Socket>();
    const server = net.createServer((socket) => {
      sockets.add(socket);
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const { port } = server.address() as net.AddressInfo;
    try {
      const error = await fetch(`http://127.0.0.1:${port}/`, { signal: AbortSignal.timeout(100) }).then(
        () => new Error('unexpectedly answered'),
        (e: unknown) => e,
      );
      expect(classifyError(error).reason).toBe('timeout');
    } finally {
      for (const socket of sockets) socket.destroy();
      server.close();
    }
  });

  describe('TLS', () => {
    let dir: string;
    let server: tls.Server;
    let port: number;
    beforeAll(async () => {
      dir = mkdtempSync(path.join(tmpdir(), 'vitals-classify-'));
      execFileSync('openssl', [
        'req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes', '-days', '1',
        '-subj', '/CN=vitals-test', '-keyout', path.join(dir, 'key.pem'), '-out', path.join(dir, 'cert.pem'),
      ], { stdio: 'ignore' });
      server = tls.createServer({ key: readFileSync(path.join(dir, 'key.pem')), cert: readFileSync(path.join(dir, 'cert.pem')) }, (s) => s.end());
      await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
      port = (server.address() as net.AddressInfo).port;
    });
    afterAll(() => {
      server?.close();
      if (dir !== undefined) rmSync(dir, { recursive: true, force: true });
    });

    it('a self-signed certificate → tls', async () => {
      const error = await new Promise<unknown>((resolve) => {
        const socket = tls.connect({ host: '127.0.0.1', port, servername: 'vitals-test' });
        socket.once('error', resolve);
        socket.once('secureConnect', () => {
          socket.destroy();
          resolve(new Error('unexpectedly trusted'));
        });
      });
      expect(classifyError(error).reason).toBe('tls');
    });
  });
});

describe('classifyError: vitals out of file descriptors', () => {
  it('EMFILE/ENFILE anywhere in the cause tree → reason error with a hint about the limit', () => {
    const emfile = Object.assign(new Error('connect EMFILE 127.0.0.1:5432 - Local (undefined:undefined)'), { code: 'EMFILE' });
    const wrapped = new TypeError('fetch failed', { cause: emfile });
    for (const error of [emfile, wrapped, Object.assign(new Error('open ENFILE'), { code: 'ENFILE' })]) {
      const classified = classifyError(error);
      expect(classified.reason).toBe('error');
      expect(classified.hint).toMatch(/ulimit -n/);
    }
    expect(classifyError(Object.assign(new Error('x'), { code: 'ECONNREFUSED' })).hint).toBeUndefined();
  });
});
