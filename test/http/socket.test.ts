import type { AddressInfo } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { result, snapshot } from '../support/fake-state.js';
import { NOW, closeAll, harness } from './harness.js';

afterEach(closeAll);

/** The same app over a real loopback socket: headers and HEAD as a kubelet or curl sees them. */
async function listening() {
  const h = await harness(
    [
      snapshot({ name: 'db', state: 'unhealthy', lastRun: NOW - 1_000, last: result('fail', NOW - 1_000) }),
      snapshot({ name: 'loop', groups: ['live'], state: 'healthy', lastRun: NOW - 1_000, last: result('pass', NOW - 1_000) }),
    ],
    { config: { auth: { token: 'sock-token-42a7', protectMetrics: false } }, deps: { diagnosticsRateLimit: { max: 2, timeWindowMs: 60_000 } } },
  );
  await h.app.listen({ host: '127.0.0.1', port: 0 });
  const { port } = h.app.server.address() as AddressInfo;
  return { ...h, base: `http://127.0.0.1:${port}` };
}

describe('over a socket', () => {
  it('GET and HEAD /ready, /health', async () => {
    const { base } = await listening();
    const ready = await fetch(`${base}/ready`);
    expect(ready.status).toBe(503);
    expect(ready.headers.get('content-type')).toMatch(/^application\/health\+json/);
    expect(ready.headers.get('cache-control')).toBe('no-store');
    expect(await ready.json()).toEqual({ status: 'fail' });
    const head = await fetch(`${base}/ready`, { method: 'HEAD' });
    expect(head.status).toBe(503);
    expect(await head.text()).toBe('');
    const health = await fetch(`${base}/health?verbose`);
    expect([health.status, await health.text()]).toEqual([200, '[+]loop ok\nhealth check passed\n']);
  });

  it('rate limits /diagnostics by the client address', async () => {
    const { base } = await listening();
    const statuses = [];
    for (let i = 0; i < 3; i++) {
      statuses.push((await fetch(`${base}/diagnostics`, { headers: { authorization: 'Bearer sock-token-42a7' } })).status);
    }
    // db is a failing critical probe, so /diagnostics answers 503 (its status is fail) until the limit.
    expect(statuses).toEqual([503, 503, 429]);
  });

  it('an oversized request line is refused by the server, which keeps serving', async () => {
    const { base } = await listening();
    const huge = await fetch(`${base}/ready?exclude=${'a'.repeat(20_000)}`);
    expect(huge.status).toBe(431);
    expect((await fetch(`${base}/health`)).status).toBe(200);
  });
});
