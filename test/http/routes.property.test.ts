import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { snapshot } from '../support/fake-state.js';
import { closeAll, harness, type Harness } from './harness.js';

/**
 * Property-based: random query strings, paths and bodies on every route.
 * Never a 500; every error is JSON with a VITALS_ERR_* code. Case counts are
 * fixed (numRuns) so this stays a few seconds.
 */
const TOKEN = 'prop-admin-token-7d1e';
let h: Harness;

beforeAll(async () => {
  h = await harness([snapshot({ name: 'db' }), snapshot({ name: 'loop', groups: ['live'] })], {
    config: { auth: { token: TOKEN, protectMetrics: false } },
  });
});
afterAll(closeAll);

const ROUTES = ['/health', '/ready', '/health/loop', '/ready/db', '/ready/nope', '/diagnostics', '/diagnostics/db', '/metrics', '/status', '/openapi.json'];
const queryKey = fc.oneof(fc.constantFrom('probe', 'group', 'verbose', 'format', 'refresh', 'history', 'include', 'x', ''), fc.string({ maxLength: 8 }));
const queryValue = fc.oneof(fc.constantFrom('true', 'false', '1', '0', 'db', 'loop', 'nope', 'json', 'text', '', '%', '%zz', '%00', '[]', 'a,b'), fc.string({ maxLength: 12 }));
/** Mostly encoded values; some raw, so malformed percent-escapes reach the parser too. */
const query = fc
  .array(fc.tuple(queryKey, queryValue, fc.boolean()), { maxLength: 4 })
  .map((pairs) => pairs.map(([k, v, raw]) => `${encodeURIComponent(k)}=${raw ? v : encodeURIComponent(v)}`).join('&'));
/** A failing readiness or liveness verdict is a 503 with the health body, not an error. */
const VERDICT = /^\/(health|ready)(\/[^/?]*)?(\?|$)/;

async function expectClearAnswer(method: 'GET' | 'POST' | 'DELETE', url: string, payload?: string, headers: Record<string, string> = {}): Promise<number> {
  const response = await h.app.inject({ method, url, headers, ...(payload === undefined ? {} : { payload }) });
  const verdict = response.statusCode === 503 && method === 'GET' && VERDICT.test(url);
  if (verdict) {
    // ?verbose answers text/plain in kube-apiserver style; otherwise the JSON health body.
    if (String(response.headers['content-type']).startsWith('text/plain')) expect(response.body).toMatch(/failed/);
    else expect((JSON.parse(response.body) as { status?: string }).status).toBe('fail');
    return response.statusCode;
  }
  expect(response.statusCode, `${method} ${url}`).toBeLessThan(500);
  if (response.statusCode >= 400) {
    const body = JSON.parse(response.body) as { code?: string };
    expect(body.code, `${method} ${url} → ${response.body}`).toMatch(/^VITALS_ERR_[A-Z_]+$/);
  }
  return response.statusCode;
}

describe('property: query strings and paths on every route', () => {
  it('GET with random query strings: never a 500, every error a VITALS_ERR_* JSON (1000 cases)', async () => {
    await fc.assert(
      fc.asyncProperty(fc.constantFrom(...ROUTES), query, async (route, q) => {
        await expectClearAnswer('GET', q === '' ? route : `${route}?${q}`);
      }),
      { numRuns: 1_000 },
    );
  });

  it('random probe names and path segments: never a 500 (500 cases)', async () => {
    await fc.assert(
      fc.asyncProperty(fc.constantFrom('/health/', '/ready/', '/diagnostics/', '/admin/probes/'), fc.string({ maxLength: 300 }), async (prefix, name) => {
        await expectClearAnswer('GET', prefix + encodeURIComponent(name));
      }),
      { numRuns: 500 },
    );
  });
});

describe('property: admin bodies', () => {
  const auth = { authorization: `Bearer ${TOKEN}`, 'content-type': 'application/json' };
  const json = fc.oneof(
    fc.json({ maxDepth: 2 }),
    fc.record({ reason: fc.oneof(fc.string(), fc.integer(), fc.constant(null)), ttl: fc.oneof(fc.string({ maxLength: 8 }), fc.constantFrom('10m', '0s', '-1m', '99999d', '1.5h'), fc.integer()) }, { requiredKeys: [] }).map((v) => JSON.stringify(v)),
    fc.string({ maxLength: 40 }),
  );

  it('POST /admin/maintenance with random bodies: 2xx or a VITALS_ERR_* 4xx (600 cases)', async () => {
    await fc.assert(
      fc.asyncProperty(json, query, async (body, q) => {
        const status = await expectClearAnswer('POST', `/admin/maintenance${q === '' ? '' : `?${q}`}`, body, auth);
        if (status < 300) await expectClearAnswer('DELETE', '/admin/maintenance', undefined, { authorization: auth.authorization });
      }),
      { numRuns: 600 },
    );
  });

  it('POST /admin/probes/{name}/run with random names and bodies, with and without the token (400 cases)', async () => {
    await fc.assert(
      fc.asyncProperty(fc.constantFrom('nope', '%20', 'a'.repeat(80)), json, fc.boolean(), async (name, body, withToken) => {
        await expectClearAnswer('POST', `/admin/probes/${encodeURIComponent(name)}/run`, body, withToken ? auth : { 'content-type': 'application/json' });
      }),
      { numRuns: 400 },
    );
  });
});
