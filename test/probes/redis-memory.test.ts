import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import type { Redis } from 'ioredis';
import type { ProbeResult } from '../../src/core/types.js';
import { redisProbe } from '../../probes/redis.js';
import { runOnce } from '../support/run-once.js';
import { startRedis, type RedisServer } from '../support/redis-server.js';

/**
 * Memory against a real redis-server with a small maxmemory, filled with real
 * keys: near maxmemory (RD3 threshold), full under noeviction with a real OOM
 * reply (RD3 unavailable), noeviction while filling (RD4), evictions (RD5).
 */

const MAXMEMORY = 4 * 1024 * 1024;
const VALUE = 'x'.repeat(8 * 1024);

let server: RedisServer;
let admin: Redis;

beforeAll(async () => {
  server = await startRedis({ maxmemory: String(MAXMEMORY) });
  admin = await server.admin();
});

beforeEach(async () => {
  await admin.config('SET', 'maxmemory', String(MAXMEMORY));
  await admin.flushall();
  await admin.config('RESETSTAT');
});

afterAll(async () => {
  admin?.disconnect();
  await server?.stop();
});

async function utilization(): Promise<number> {
  const info = await admin.info('memory');
  const used = Number(/used_memory:(\d+)/.exec(info)?.[1]);
  const max = Number(/maxmemory:(\d+)/.exec(info)?.[1]);
  return used / max;
}

/** Writes 8 KiB values until used_memory ÷ maxmemory reaches `from`; fails the test if it overshoots `to`. */
async function fillTo(from: number, to: number): Promise<number> {
  let i = 0;
  let ratio = await utilization();
  while (ratio < from) {
    const batch = admin.pipeline();
    for (let j = 0; j < 4; j++) batch.set(`fill:${i++}`, VALUE);
    await batch.exec();
    ratio = await utilization();
  }
  expect(ratio).toBeLessThan(to);
  return ratio;
}

function observation(result: ProbeResult, measurement: string) {
  return result.observations.find((o) => o.measurement === measurement);
}

describe('redis probe: memory (RD3, RD4, RD5)', () => {
  it('near maxmemory with an eviction policy → warn on memoryUtilization (default 0.8) with the allkeys-lru / --bigkeys hint', async () => {
    await admin.config('SET', 'maxmemory-policy', 'allkeys-lru');
    const ratio = await fillTo(0.82, 0.93);
    const result = await runOnce('redis', { url: server.url() });
    expect(result.status).toBe('warn');
    expect(result.reason).toBe('threshold');
    expect(observation(result, 'memoryUtilization')?.value).toBeCloseTo(ratio, 1);
    expect(result.message).toMatch(/^memoryUtilization 0\.\d+ ≥ warn 0\.8$/);
    expect(result.hint).toMatch(/maxmemory-policy allkeys-lru/);
    const { hostname, port } = new URL(server.url());
    expect(result.hint).toContain(`redis-cli -h ${hostname} -p ${port} --bigkeys`);
    expect(result.info).toMatchObject({ maxmemoryPolicy: 'allkeys-lru', maxmemoryBytes: MAXMEMORY });
    expect(JSON.stringify(result)).not.toContain(server.password);
  });

  it('noeviction while filling warns even under a higher configured warn (RD4); the same fill with allkeys-lru passes', async () => {
    const lenient = { warn: { memoryUtilization: 0.9 }, fail: { memoryUtilization: 0.99 } };
    await admin.config('SET', 'maxmemory-policy', 'noeviction');
    await fillTo(0.82, 0.89);
    const result = await runOnce('redis', { url: server.url() }, lenient);
    expect(result.status).toBe('warn');
    expect(result.reason).toBe('threshold');
    expect(result.message).toMatch(/maxmemory-policy noeviction: writes will fail with OOM once full/);
    expect(result.hint).toMatch(/with noeviction writes fail with OOM/);
    expect(observation(result, 'memoryUtilization')?.status).toBe('warn');

    await admin.config('SET', 'maxmemory-policy', 'allkeys-lru');
    const relaxed = await runOnce('redis', { url: server.url() }, lenient);
    expect(relaxed.status).toBe('pass');
  });

  it('full under noeviction: the server answers writes with OOM; the probe fails and an OOM reply classifies as unavailable', async () => {
    await admin.config('SET', 'maxmemory-policy', 'noeviction');
    let oom: unknown;
    for (let i = 0; i < 2_000 && oom === undefined; i++) {
      await admin.set(`fill:${i}`, VALUE).catch((error: unknown) => {
        oom = error;
      });
    }
    expect(String((oom as Error | undefined)?.message)).toMatch(/^OOM command not allowed/);

    const result = await runOnce('redis', { url: server.url() });
    expect(result.status).toBe('fail');
    expect(result.reason).toBe('threshold');
    expect(observation(result, 'memoryUtilization')?.value).toBeGreaterThan(0.95);
    expect(result.hint).toMatch(/raise maxmemory/);

    // The probe only reads; any command that meets the real OOM reply is named `unavailable`.
    const classified = redisProbe.classifyError?.(oom, { url: 'redis://127.0.0.1:6379' });
    expect(classified?.reason).toBe('unavailable');
    expect(classified?.hint).toMatch(/maxmemory-policy allkeys-lru/);
    expect(classified?.hint).toMatch(/--bigkeys/);
  });

  it('evictions → evictedKeys counted, warn under a configured threshold with the too-small / TTL hint (RD5)', async () => {
    await admin.config('SET', 'maxmemory-policy', 'allkeys-lru');
    for (let i = 0; i < 1_000; i++) await admin.set(`fill:${i}`, VALUE); // ~8 MiB into 4 MiB
    // A full LRU cache sits at ~100% of maxmemory by design; judge only evictions here.
    const result = await runOnce('redis', { url: server.url() }, { warn: { evictedKeys: 1, memoryUtilization: null }, fail: { memoryUtilization: null } });
    const evicted = observation(result, 'evictedKeys')?.value as number;
    expect(evicted).toBeGreaterThan(0);
    expect(result.status).toBe('warn');
    expect(result.reason).toBe('threshold');
    expect(result.message).toContain(`evictedKeys ${evicted} ≥ warn 1`);
    expect(result.hint).toMatch(/evicting keys/);
  });
});
