import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import net from 'node:net';
import type { Redis } from 'ioredis';
import type { ProbeResult } from '../../src/core/types.js';
import { redisProbe } from '../../probes/redis.js';
import { createProbe, runOnce, settingsFor, type ProbeUnderTest } from '../support/run-once.js';
import { startRedis, type RedisServer } from '../support/redis-server.js';

/**
 * The redis probe against a real redis-server: pass, credentials (RD2),
 * config, hit ratio (RD5), and no connection leak. Memory and faults live in
 * their own files.
 */

let server: RedisServer;
let admin: Redis;
const open: ProbeUnderTest[] = [];

beforeAll(async () => {
  server = await startRedis();
  admin = await server.admin();
});

beforeEach(async () => {
  await admin.flushall();
  await admin.config('RESETSTAT');
});

afterEach(async () => {
  await Promise.all(open.splice(0).map((p) => p.close()));
});

afterAll(async () => {
  admin?.disconnect();
  await server?.stop();
});

function observed(result: ProbeResult, measurement: string): unknown {
  return result.observations.find((o) => o.measurement === measurement)?.value;
}

async function vitalsClients(): Promise<number> {
  const list = (await admin.client('LIST')) as string;
  return list.split('\n').filter((line) => / name=vitals /.test(line)).length;
}

describe('redis probe: healthy server', () => {
  it('passes with every measurement, role, version, policy and loading in info', async () => {
    const result = await runOnce('redis', { url: server.url() });
    expect(result.status).toBe('pass');
    expect(result.observations.map((o) => o.measurement)).toEqual([
      'responseTime',
      'memoryUtilization',
      'hitRatio',
      'connectedClients',
      'rejectedConnections',
      'evictedKeys',
    ]);
    expect(observed(result, 'responseTime')).toBeGreaterThan(0);
    expect(observed(result, 'memoryUtilization')).toBeNull(); // maxmemory 0 = unlimited: nothing to divide by
    expect(observed(result, 'hitRatio')).toBeNull(); // no lookups yet
    expect(observed(result, 'connectedClients')).toBe(2); // the probe and our admin client
    expect(observed(result, 'rejectedConnections')).toBe(0);
    expect(observed(result, 'evictedKeys')).toBe(0);
    expect(result.info).toMatchObject({ role: 'master', loading: false, maxmemoryPolicy: 'noeviction', maxmemoryBytes: 0 });
    expect(result.info?.version).toMatch(/^\d+\.\d+\.\d+$/);
    expect(JSON.stringify(result)).not.toContain(server.password);
  });

  it('one connection for 50 runs (CLIENT LIST name=vitals), none after close()', async () => {
    const instance = createProbe('redis', { url: server.url() });
    open.push(instance);
    for (let i = 0; i < 50; i++) expect((await instance.run()).status).toBe('pass');
    expect(await vitalsClients()).toBe(1);
    await instance.close();
    open.splice(open.indexOf(instance), 1);
    await expect.poll(vitalsClients, { timeout: 5_000 }).toBe(0);
  });
});

describe('redis probe: credentials and configuration (RD2)', () => {
  it('wrong password → auth (WRONGPASS), the password absent from every field', async () => {
    const wrong = 'Wr0ng-redis-secret-456';
    const result = await runOnce('redis', { url: server.url({ password: wrong }) });
    expect(result.status).toBe('fail');
    expect(result.reason).toBe('auth');
    expect(result.message).toMatch(/^WRONGPASS/);
    expect(result.hint).toMatch(/requirepass/);
    expect(JSON.stringify(result)).not.toContain(wrong);
    expect(JSON.stringify(result)).not.toContain(server.password);
  });

  it('no password against requirepass → auth (NOAUTH)', async () => {
    const result = await runOnce('redis', { url: server.url({ password: null }) });
    expect(result.status).toBe('fail');
    expect(result.reason).toBe('auth');
    expect(result.message).toMatch(/^NOAUTH/);
    expect(result.hint).toMatch(/NOAUTH/);
  });

  it('an ACL user not allowed to run INFO → auth (NOPERM) with the ACL hint', async () => {
    const aclPassword = 'acl-user-secret-789';
    await admin.call('ACL', 'SETUSER', 'pingonly', 'on', `>${aclPassword}`, '-@all', '+ping');
    try {
      const result = await runOnce('redis', { url: `redis://pingonly:${aclPassword}@127.0.0.1:${server.port}` });
      expect(result.status).toBe('fail');
      expect(result.reason).toBe('auth');
      expect(result.message).toMatch(/^NOPERM/);
      expect(result.hint).toMatch(/ACL SETUSER/);
      expect(JSON.stringify(result)).not.toContain(aclPassword);
    } finally {
      await admin.call('ACL', 'DELUSER', 'pingonly');
    }
  });

  it('a URL that is not redis:// or rediss:// is rejected when the options are parsed', () => {
    expect(() => settingsFor('redis', { url: 'http://127.0.0.1:6379' })).toThrow(/redis:\/\//);
    expect(() => settingsFor('redis', { url: '127.0.0.1:6379' })).toThrow();
    expect(() => settingsFor('redis', { url: 'rediss://:pw@127.0.0.1:6380/1' })).not.toThrow();
  });
});

describe('redis probe: client limit', () => {
  it('maxclients reached: the real "-ERR max number of clients reached" reply → unavailable; rejectedConnections counts it', async () => {
    await admin.config('SET', 'maxclients', '1'); // our admin connection is the one
    let reply: string;
    try {
      // Redis writes the error and closes at once. ioredis usually loses that race (EPIPE on
      // its first write, classified `refused`), so read the reply off a raw socket instead.
      reply = await new Promise<string>((resolve, reject) => {
        const socket = net.connect({ host: '127.0.0.1', port: server.port });
        let text = '';
        socket.on('data', (chunk) => (text += chunk.toString()));
        socket.on('close', () => resolve(text));
        socket.on('error', reject);
        socket.setTimeout(5_000, () => socket.destroy(new Error('no reply')));
      });
    } finally {
      await admin.config('SET', 'maxclients', '10000');
    }
    expect(reply).toMatch(/^-ERR max number of clients reached/);
    const classified = redisProbe.classifyError?.(new Error(reply.slice(1).trim()), { url: 'redis://127.0.0.1:6379' }); // as ioredis's ReplyError carries it
    expect(classified?.reason).toBe('unavailable');
    expect(classified?.hint).toMatch(/raise maxclients/);

    const after = await runOnce('redis', { url: server.url() }, { warn: { rejectedConnections: 1 } });
    expect(observed(after, 'rejectedConnections')).toBe(1);
    expect(after.status).toBe('warn');
    expect(after.message).toBe('rejectedConnections 1 ≥ warn 1');
    expect(after.hint).toMatch(/CLIENT LIST/);
  });
});

describe('redis probe: hit ratio (RD5)', () => {
  it('measures keyspace hits ÷ lookups and warns under a configured floor (lower is worse)', async () => {
    await admin.set('present', 'v');
    await admin.get('present');
    for (let i = 0; i < 3; i++) await admin.get(`missing-${i}`);
    const result = await runOnce('redis', { url: server.url() }, { warn: { hitRatio: 0.5 } });
    expect(observed(result, 'hitRatio')).toBeCloseTo(0.25, 5);
    expect(result.status).toBe('warn');
    expect(result.reason).toBe('threshold');
    expect(result.message).toBe('hitRatio 0.25 ≤ warn 0.5');
    expect(result.hint).toMatch(/cache is too small/);
    expect(result.hint).toMatch(/TTL/);
  });

  it('has no default threshold: a low ratio alone does not warn', async () => {
    await admin.get('missing');
    const result = await runOnce('redis', { url: server.url() });
    expect(observed(result, 'hitRatio')).toBe(0);
    expect(result.status).toBe('pass');
  });
});
