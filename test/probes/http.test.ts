import { X509Certificate } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestPki, type TestPki } from '../support/certs.js';
import { startHttpUpstream, type HttpUpstream } from '../support/http-upstream.js';
import { freePort } from '../support/net.js';
import { createProbe, runOnce, settingsFor } from '../support/run-once.js';
import { jsonMismatches, parseJsonPath } from '../../probes/shared/http-expectations.js';

const TOKEN = 'sk-test-4f9a8b7c6d5e4f3a2b1c0d9e8f7a6b5c';
const WRONG_TOKEN = 'sk-wrong-0a1b2c3d4e5f60718293a4b5c6d7e8f9';

let upstream: HttpUpstream;

beforeAll(async () => {
  upstream = await startHttpUpstream({ token: TOKEN });
});

afterAll(async () => {
  await upstream?.close();
});

function observation(result: Awaited<ReturnType<typeof runOnce>>, measurement: string): unknown {
  return result.observations.find((o) => o.measurement === measurement)?.value;
}

describe('http probe: plain responses', () => {
  it('passes on 200 and reports responseTime, statusCode and bodyBytes', async () => {
    const result = await runOnce('http', { url: `${upstream.origin}/ok` });
    expect(result.status).toBe('pass');
    expect(result.reason).toBeUndefined();
    expect(observation(result, 'statusCode')).toBe(200);
    expect(observation(result, 'bodyBytes')).toBeGreaterThan(10);
    expect(observation(result, 'responseTime')).toBeGreaterThan(0);
    expect(result.certExpiry).toBeUndefined();
  });

  it('UP1: a 500 fails with unavailable and points at the upstream logs', async () => {
    const result = await runOnce('http', { url: `${upstream.origin}/error` });
    expect(result).toMatchObject({ status: 'fail', reason: 'unavailable' });
    expect(result.message).toContain('HTTP 500');
    expect(result.hint).toMatch(/logs/);
    expect(result.hint).toMatch(/depends_on/);
  });

  it('UP1: a 503 fails with unavailable and notes Retry-After', async () => {
    const result = await runOnce('http', { url: `${upstream.origin}/unavailable` });
    expect(result).toMatchObject({ status: 'fail', reason: 'unavailable' });
    expect(result.message).toContain('HTTP 503');
    expect(result.message).toContain('Retry-After: 120s');
  });

  it('UP1: a silent upstream (headers never sent) is a timeout within the bound', async () => {
    const result = await runOnce('http', { url: `${upstream.origin}/hang` }, { timeoutMs: 500 });
    expect(result).toMatchObject({ status: 'fail', reason: 'timeout' });
    expect(result.durationMs).toBeGreaterThanOrEqual(450);
    expect(result.durationMs).toBeLessThan(5_000);
    expect(result.hint).toMatch(/hung or overloaded/);
  });

  it('UP1: nothing listening is refused, with a hint about the service and URL', async () => {
    const port = await freePort();
    const result = await runOnce('http', { url: `http://127.0.0.1:${port}/health` });
    expect(result).toMatchObject({ status: 'fail', reason: 'refused' });
    expect(result.message).toContain('ECONNREFUSED');
    expect(result.hint).toMatch(/running/);
    expect(result.durationMs).toBeLessThan(5_000);
  });

  it('a slow answer crosses a configured responseTime threshold (latency thresholds are off by default)', async () => {
    const slow = await runOnce('http', { url: `${upstream.origin}/slow?ms=300` });
    expect(slow.status).toBe('pass');
    const warned = await runOnce('http', { url: `${upstream.origin}/slow?ms=300` }, { warn: { responseTime: 100 } });
    expect(warned).toMatchObject({ status: 'warn', reason: 'threshold' });
    expect(warned.message).toMatch(/^responseTime \d+ms ≥ warn 100ms$/);
    expect(observation(warned, 'responseTime')).toBeGreaterThanOrEqual(290);
  });

  it('a status outside expectStatus fails with threshold naming expected vs got, keeping observations', async () => {
    const result = await runOnce('http', { url: `${upstream.origin}/not-found` });
    expect(result).toMatchObject({ status: 'fail', reason: 'threshold' });
    expect(result.message).toBe(`HTTP 404 Not Found from GET ${upstream.origin}/not-found: expected status 200-399`);
    expect(observation(result, 'statusCode')).toBe(404);
    expect(result.hint).toMatch(/expectStatus/);
  });

  it('expectStatus takes codes and ranges; an expected 404 or 503 passes', async () => {
    expect((await runOnce('http', { url: `${upstream.origin}/not-found`, expectStatus: [404] })).status).toBe('pass');
    expect((await runOnce('http', { url: `${upstream.origin}/unavailable`, expectStatus: ['500-503'] })).status).toBe('pass');
    const narrow = await runOnce('http', { url: `${upstream.origin}/ok`, expectStatus: [204, '300-302'] });
    expect(narrow.message).toContain('HTTP 200 OK from GET');
    expect(narrow.message).toContain('expected status 204, 300-302');
  });

  it('does not follow redirects by default; a 3xx is judged against expectStatus', async () => {
    const defaults = await runOnce('http', { url: `${upstream.origin}/redirect` });
    expect(defaults.status).toBe('pass');
    expect(observation(defaults, 'statusCode')).toBe(302);
    const strict = await runOnce('http', { url: `${upstream.origin}/redirect`, expectStatus: ['200-299'] });
    expect(strict).toMatchObject({ status: 'fail', reason: 'threshold' });
    expect(strict.message).toContain('HTTP 302 Found from GET');
    expect(strict.message).toContain('expected status 200-299');
    expect(strict.message).toContain('not followed; set followRedirects');
    const followed = await runOnce('http', { url: `${upstream.origin}/redirect`, expectStatus: ['200-299'], followRedirects: true });
    expect(followed.status).toBe('pass');
    expect(observation(followed, 'statusCode')).toBe(200);
  });

  it('sends the configured method', async () => {
    const before = upstream.requests.length;
    expect((await runOnce('http', { url: `${upstream.origin}/ok`, method: 'POST' })).status).toBe('pass');
    expect((await runOnce('http', { url: `${upstream.origin}/ok`, method: 'HEAD' })).status).toBe('pass');
    expect(upstream.requests.slice(before).map((r) => r.method)).toEqual(['POST', 'HEAD']);
  });
});

describe('http probe: LLM APIs (bearer / x-api-key)', () => {
  it('LL1: an invalid API key (401) fails with auth, says to rotate the key, and never shows the token', async () => {
    const options = { url: `${upstream.origin}/v1/models`, headers: { Authorization: `Bearer ${WRONG_TOKEN}` } };
    const result = await runOnce('http', options);
    expect(result).toMatchObject({ status: 'fail', reason: 'auth' });
    expect(result.message).toContain('HTTP 401');
    expect(result.message).toContain('credentials rejected');
    expect(result.hint).toMatch(/OPENAI_API_KEY/);
    expect(result.hint).toMatch(/rotate/);
    // The upstream got the real token (so the probe really sent it)…
    expect(upstream.requests.at(-1)?.headers.authorization).toBe(`Bearer ${WRONG_TOKEN}`);
    // …and no field of the result holds it, nor its distinctive middle part.
    const serialized = JSON.stringify(result);
    expect(serialized).not.toContain(WRONG_TOKEN);
    expect(serialized).not.toContain('0a1b2c3d4e5f60718293');
  });

  it('LL1: a valid bearer key passes and still never appears in the result', async () => {
    const result = await runOnce('http', { url: `${upstream.origin}/v1/models`, headers: { Authorization: `Bearer ${TOKEN}` }, json: { 'data[0].id': 'gpt-test' } });
    expect(result.status).toBe('pass');
    expect(JSON.stringify(result)).not.toContain(TOKEN);
  });

  it('LL1: a wrong x-api-key (Anthropic style) is auth too, and a 403 is auth', async () => {
    const result = await runOnce('http', { url: `${upstream.origin}/anthropic`, headers: { 'x-api-key': WRONG_TOKEN, 'anthropic-version': '2023-06-01' } });
    expect(result).toMatchObject({ status: 'fail', reason: 'auth' });
    expect(JSON.stringify(result)).not.toContain(WRONG_TOKEN);
    const forbidden = await runOnce('http', { url: `${upstream.origin}/forbidden` });
    expect(forbidden).toMatchObject({ status: 'fail', reason: 'auth' });
    expect(forbidden.message).toContain('HTTP 403');
  });

  it('LL2: a 429 is a warning (unavailable), notes Retry-After and suggests lowering the rate or raising the quota', async () => {
    const result = await runOnce('http', { url: `${upstream.origin}/ratelimit`, headers: { Authorization: `Bearer ${TOKEN}` } });
    expect(result).toMatchObject({ status: 'warn', reason: 'unavailable' });
    expect(result.message).toContain('HTTP 429');
    expect(result.message).toContain('Retry-After: 20s');
    expect(result.hint).toMatch(/quota/);
    expect(observation(result, 'statusCode')).toBe(429);
    expect(JSON.stringify(result)).not.toContain(TOKEN);
  });

  it('secrets in the URL (password, api_key query) never appear in the result', async () => {
    const port = await freePort();
    const result = await runOnce('http', { url: `http://probe:hunter2-secret@127.0.0.1:${port}/v1/models?api_key=${TOKEN}` });
    expect(result.reason).toBe('refused');
    const serialized = JSON.stringify(result);
    expect(serialized).not.toContain('hunter2-secret');
    expect(serialized).not.toContain(TOKEN);
  });

  it('a Cookie header value stays out of the result even on an expectation failure', async () => {
    const cookie = 'session=cookie-value-7d1e2f';
    const result = await runOnce('http', { url: `${upstream.origin}/not-found`, headers: { Cookie: cookie } });
    expect(result.reason).toBe('threshold');
    expect(JSON.stringify(result)).not.toContain('cookie-value-7d1e2f');
  });
});

describe('http probe: body checks and limits', () => {
  it('bodyContains passes when present and fails with threshold naming what was missing', async () => {
    expect((await runOnce('http', { url: `${upstream.origin}/text`, bodyContains: 'vitals' })).status).toBe('pass');
    const result = await runOnce('http', { url: `${upstream.origin}/text`, bodyContains: 'ready' });
    expect(result).toMatchObject({ status: 'fail', reason: 'threshold' });
    expect(result.message).toContain('body does not contain "ready"');
    expect(result.message).not.toContain('hello vitals');
  });

  it('json field paths are compared and each difference is named', async () => {
    const pass = await runOnce('http', { url: `${upstream.origin}/ok`, json: { status: 'ok', 'checks.db.status': 'up', 'items[1].id': 'b' } });
    expect(pass.status).toBe('pass');
    const result = await runOnce('http', { url: `${upstream.origin}/ok`, json: { 'checks.db.status': 'down', 'items[5].id': 'x' } });
    expect(result).toMatchObject({ status: 'fail', reason: 'threshold' });
    expect(result.message).toContain('checks.db.status: expected "down", got "up"');
    expect(result.message).toContain('items[5].id: missing, expected "x"');
  });

  it('json on a non-JSON body says so', async () => {
    const result = await runOnce('http', { url: `${upstream.origin}/text`, json: { status: 'ok' } });
    expect(result.message).toContain('body is not valid JSON');
  });

  it('a never-ending body stops at maxBodyBytes: bounded time, bounded bytes, connection closed', async () => {
    const started = Date.now();
    const result = await runOnce('http', { url: `${upstream.origin}/endless`, maxBodyBytes: 65_536 }, { timeoutMs: 2_000 });
    expect(Date.now() - started).toBeLessThan(2_000);
    expect(result.status).toBe('pass');
    expect(observation(result, 'bodyBytes')).toBe(65_536);
    expect(result.info?.bodyTruncated).toBe(true);
    await expect.poll(() => upstream.endless.clientClosed, { timeout: 2_000 }).toBe(true);
    // Socket buffers hold some more, but nothing like an unbounded read.
    expect(upstream.endless.bytesWritten).toBeLessThan(16 * 1024 * 1024);
  });

  it('a never-ending body without the expected text fails after the cap, not at the timeout', async () => {
    const result = await runOnce('http', { url: `${upstream.origin}/endless`, maxBodyBytes: 32_768, bodyContains: 'never there' }, { timeoutMs: 3_000 });
    expect(result).toMatchObject({ status: 'fail', reason: 'threshold' });
    expect(result.message).toContain('in the first 32768 bytes (maxBodyBytes)');
    expect(result.durationMs).toBeLessThan(2_000);
  });

  it('json on a body larger than maxBodyBytes asks to raise the limit', async () => {
    const result = await runOnce('http', { url: `${upstream.origin}/big?bytes=200000`, maxBodyBytes: 1_024, json: { a: 1 } });
    expect(result).toMatchObject({ status: 'fail', reason: 'threshold' });
    expect(result.message).toContain('larger than maxBodyBytes (1024)');
    const passes = await runOnce('http', { url: `${upstream.origin}/big?bytes=200000` });
    expect(observation(passes, 'bodyBytes')).toBe(65_536);
  });
});

describe('http probe: configuration', () => {
  it('rejects a non-http URL, a bad status range and a header with a line break at parse time', () => {
    expect(() => settingsFor('http', { url: 'ftp://example.test/' })).toThrow(/http:\/\/ or https:\/\//);
    expect(() => settingsFor('http', { url: 'http://127.0.0.1/', expectStatus: ['299-200'] })).toThrow(/range/);
    expect(() => settingsFor('http', { url: 'http://127.0.0.1/', headers: { 'X-A': 'a\r\nX-B: b' } })).toThrow(/line breaks/);
  });

  it('rejects HEAD with a body check at parse time, and reports an unreadable ca file as config', async () => {
    expect(() => settingsFor('http', { url: 'http://127.0.0.1/', method: 'HEAD', bodyContains: 'ok' })).toThrow(/not HEAD/);
    expect(() => settingsFor('http', { url: 'http://127.0.0.1/', method: 'HEAD', json: { a: 1 } })).toThrow(/not HEAD/);
    const ca = await runOnce('http', { url: `${upstream.origin}/ok`, ca: '/nonexistent/ca.pem' });
    expect(ca).toMatchObject({ status: 'fail', reason: 'config' });
    expect(ca.message).toContain('cannot read ca file /nonexistent/ca.pem (ENOENT)');
  });
});

describe('http probe: json field paths', () => {
  it('parses dotted paths with indexes and rejects malformed ones', () => {
    expect(parseJsonPath('a.b[0].c')).toEqual(['a', 'b', 0, 'c']);
    expect(parseJsonPath('[1].id')).toEqual([1, 'id']);
    expect(parseJsonPath('data[0][2]')).toEqual(['data', 0, 2]);
    for (const bad of ['', 'a..b', '.a', 'a.', 'a.[0]', 'a[x]', 'a[0]b']) expect(parseJsonPath(bad)).toBeUndefined();
  });

  it('compares strictly and names malformed paths instead of guessing', () => {
    const body = { n: 1, s: '1', flag: false, none: null, list: [{ id: 'x' }] };
    expect(jsonMismatches(body, { n: 1, s: '1', flag: false, none: null, 'list[0].id': 'x' })).toEqual([]);
    expect(jsonMismatches(body, { n: '1' })).toEqual(['n: expected "1", got 1']);
    expect(jsonMismatches(body, { 'a..b': 1 })).toEqual(['a..b: not a valid field path']);
    expect(jsonMismatches(body, { 'list.id': 'x' })).toEqual(['list.id: missing, expected "x"']);
  });
});

describe('http probe: https', () => {
  let pki: TestPki;
  const servers: HttpUpstream[] = [];
  const serve = async (pair: { key: string; cert: string }): Promise<HttpUpstream> => {
    const server = await startHttpUpstream({ tls: pair });
    servers.push(server);
    return server;
  };

  beforeAll(async () => {
    pki = await createTestPki();
  });

  afterAll(async () => {
    await Promise.all(servers.map((s) => s.close()));
    await pki?.cleanup();
  });

  const notAfterSeconds = (pem: string): number => Math.floor(Date.parse(new X509Certificate(pem).validTo) / 1000);
  const days = (result: Awaited<ReturnType<typeof runOnce>>): unknown =>
    result.observations.find((o) => o.measurement === 'daysUntilExpiry')?.value;

  it('passes with the CA given and reports daysUntilExpiry, the chain in info and the expiry for the tls metric', async () => {
    const server = await serve(pki.valid);
    const result = await runOnce('http', { url: `${server.origin}/ok`, ca: pki.ca.certFile });
    expect(result.status).toBe('pass');
    expect(result.certExpiry).toBe(notAfterSeconds(pki.valid.cert));
    expect(days(result)).toBeGreaterThan(89);
    expect(days(result)).toBeLessThan(91);
    expect(result.info).toMatchObject({
      subject: 'valid',
      issuer: 'vitals test CA',
      names: 'DNS:localhost, IP Address:127.0.0.1',
      verification: 'ok',
    });
  });

  it('a plain http:// probe reports no certificate measurement', async () => {
    const plain = await startHttpUpstream();
    servers.push(plain);
    const result = await runOnce('http', { url: `${plain.origin}/ok` });
    expect(days(result)).toBeUndefined();
    expect(result.info?.subject).toBeUndefined();
  });

  it('NW3: 2 days left warns (threshold, renew hint) but never fails: no fail threshold by default', async () => {
    const server = await serve(pki.expiringIn2Days);
    const result = await runOnce('http', { url: `${server.origin}/ok`, ca: pki.ca.certFile });
    expect(result).toMatchObject({ status: 'warn', reason: 'threshold' });
    expect(result.message).toMatch(/^daysUntilExpiry (1\.9\d*|2)d ≤ warn 14d$/);
    expect(result.hint).toMatch(/certbot renew/);
    expect(result.certExpiry).toBe(notAfterSeconds(pki.expiringIn2Days.cert));
  });

  it('NW2: an expired certificate fails with tls naming CERT_HAS_EXPIRED, and still reports its expiry and chain', async () => {
    const server = await serve(pki.expired);
    const result = await runOnce('http', { url: `${server.origin}/ok`, ca: pki.ca.certFile });
    expect(result).toMatchObject({ status: 'fail', reason: 'tls' });
    const notAfter = new Date(new X509Certificate(pki.expired.cert).validTo).toISOString();
    expect(result.message).toBe(`GET ${server.origin}/ok: TLS CERT_HAS_EXPIRED: certificate has expired (notAfter ${notAfter}, certificate "expired")`);
    expect(result.hint).toMatch(/certbot renew/);
    expect(result.hint).toMatch(/full chain/);
    expect(result.certExpiry).toBe(notAfterSeconds(pki.expired.cert));
    expect(result.info).toMatchObject({ subject: 'expired', issuer: 'vitals test CA', verification: expect.stringContaining('CERT_HAS_EXPIRED') });
    // Refused means refused: the request never reached the upstream.
    expect(server.requests).toEqual([]);
  });

  it('NW2: self-signed without the CA is tls with its expiry; with insecure it passes and says why it did not verify', async () => {
    const server = await serve(pki.selfSigned);
    const result = await runOnce('http', { url: `${server.origin}/ok` });
    expect(result).toMatchObject({ status: 'fail', reason: 'tls' });
    expect(result.message).toContain('DEPTH_ZERO_SELF_SIGNED_CERT');
    expect(result.certExpiry).toBe(notAfterSeconds(pki.selfSigned.cert));
    expect(result.info).toMatchObject({ subject: 'self-signed', issuer: 'self-signed' });
    expect(server.requests).toEqual([]);
    const insecure = await runOnce('http', { url: `${server.origin}/ok`, insecure: true });
    expect(insecure.status).toBe('pass');
    expect(insecure.certExpiry).toBe(notAfterSeconds(pki.selfSigned.cert));
    expect(insecure.info?.verification).toContain('DEPTH_ZERO_SELF_SIGNED_CERT');
  });

  it('NW2: a certificate for another host is tls naming the name asked for and the certificate\'s names; the hint leads with the host name', async () => {
    const server = await serve(pki.wrongHost);
    const result = await runOnce('http', { url: `${server.origin}/ok`, ca: pki.ca.certFile });
    expect(result).toMatchObject({ status: 'fail', reason: 'tls' });
    expect(result.message).toContain('ERR_TLS_CERT_ALTNAME_INVALID');
    expect(result.message).toContain('asked for 127.0.0.1; the certificate covers DNS:other.example');
    expect(result.hint).toMatch(/^the certificate is not issued for 127\.0\.0\.1 \(it covers DNS:other\.example\)/);
    expect(result.hint).not.toMatch(/renew/);
    expect(result.certExpiry).toBe(notAfterSeconds(pki.wrongHost.cert));
    expect(server.requests).toEqual([]);
  });

  it('a refused wrong-host certificate is refused again on the next run (no resumed session skips the host check)', async () => {
    const server = await serve(pki.wrongHost);
    const instance = createProbe('http', { url: `${server.origin}/ok`, ca: pki.ca.certFile });
    try {
      for (let run = 0; run < 3; run += 1) expect((await instance.run()).reason).toBe('tls');
    } finally {
      await instance.close();
    }
    expect(server.requests).toEqual([]);
  });
});
