import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { startDnsResponder, TEST_ZONE, type DnsResponder } from '../support/dns-responder.js';
import { createProbe, runOnce, settingsFor } from '../support/run-once.js';

let responder: DnsResponder;

beforeAll(async () => {
  responder = await startDnsResponder();
});

afterEach(() => {
  responder.setSilent(false);
  responder.setDelay(0);
});

afterAll(async () => {
  await responder?.close();
});

/** Every test points the probe at the loopback responder: the machine's resolver is never asked. */
const at = (options: Record<string, unknown>): Record<string, unknown> => ({ servers: [responder.server], ...options });

function observation(result: Awaited<ReturnType<typeof runOnce>>, measurement: string): unknown {
  return result.observations.find((o) => o.measurement === measurement)?.value;
}

describe('dns probe: answers', () => {
  it('resolves A records through the configured server, with resolveTime and the address count', async () => {
    const before = responder.queries.length;
    const result = await runOnce('dns', at({ host: TEST_ZONE.known, expect: ['192.0.2.10'] }));
    expect(result.status).toBe('pass');
    expect(observation(result, 'addresses')).toBe(2);
    expect(observation(result, 'resolveTime')).toBeGreaterThan(0);
    expect(result.info).toMatchObject({ recordType: 'A', servers: responder.server, answers: '192.0.2.10, 192.0.2.11', minTtl: 60 });
    expect(responder.queries.slice(before)).toEqual([`A ${TEST_ZONE.known}`]);
  });

  it('resolves AAAA, comparing expected addresses in canonical form', async () => {
    const result = await runOnce('dns', at({ host: TEST_ZONE.known, recordType: 'AAAA', expect: ['2001:0DB8:0:0::10'] }));
    expect(result.status).toBe('pass');
    expect(result.info?.answers).toBe('2001:db8::10');
  });

  it('resolves CNAME and SRV', async () => {
    const cname = await runOnce('dns', at({ host: TEST_ZONE.alias, recordType: 'CNAME', expect: [`${TEST_ZONE.known}.`] }));
    expect(cname.status).toBe('pass');
    const srv = await runOnce('dns', at({ host: TEST_ZONE.srv, recordType: 'SRV', expect: [`${TEST_ZONE.known}:${TEST_ZONE.srvPort}`] }));
    expect(srv.status).toBe('pass');
    expect(observation(srv, 'addresses')).toBe(1);
  });

  it('an expected address missing from the answer fails with threshold naming it and what came back', async () => {
    const result = await runOnce('dns', at({ host: TEST_ZONE.known, expect: ['192.0.2.10', '10.9.9.9'] }));
    expect(result).toMatchObject({ status: 'fail', reason: 'threshold' });
    expect(result.message).toBe(`${TEST_ZONE.known} A: expected 10.9.9.9 not among the answers (192.0.2.10, 192.0.2.11)`);
    expect(result.hint).toMatch(/zone/);
    expect(observation(result, 'resolveTime')).toBeGreaterThan(0);
  });
});

describe('dns probe: failures (NW1)', () => {
  it('NXDOMAIN is dns, named, with a resolver hint', async () => {
    const result = await runOnce('dns', at({ host: TEST_ZONE.missing }));
    expect(result).toMatchObject({ status: 'fail', reason: 'dns' });
    expect(result.message).toBe(`${TEST_ZONE.missing} A via ${responder.server}: NXDOMAIN (the name does not exist) [ENOTFOUND]`);
    const [address, port] = responder.server.split(':');
    expect(result.hint).toContain(`\`dig @${address} -p ${port} ${TEST_ZONE.missing} A\``);
    expect(result.hint).toMatch(/search domains/);
  });

  it('SERVFAIL and REFUSED are dns, named', async () => {
    const servfail = await runOnce('dns', at({ host: TEST_ZONE.broken }));
    expect(servfail).toMatchObject({ status: 'fail', reason: 'dns' });
    expect(servfail.message).toContain('SERVFAIL');
    const refused = await runOnce('dns', at({ host: TEST_ZONE.refused }));
    expect(refused).toMatchObject({ status: 'fail', reason: 'dns' });
    expect(refused.message).toContain('REFUSED');
  });

  it('a name without records of the asked type is dns NODATA', async () => {
    const result = await runOnce('dns', at({ host: TEST_ZONE.known, recordType: 'SRV' }));
    expect(result).toMatchObject({ status: 'fail', reason: 'dns' });
    expect(result.message).toContain('NODATA');
  });

  it('a silent server is a timeout within the bound, and the query is cancelled', async () => {
    responder.setSilent(true);
    const before = responder.queries.length;
    const result = await runOnce('dns', at({ host: TEST_ZONE.known }), { timeoutMs: 500 });
    expect(result).toMatchObject({ status: 'fail', reason: 'timeout' });
    expect(result.durationMs).toBeGreaterThanOrEqual(450);
    expect(result.durationMs).toBeLessThan(5_000);
    expect(result.hint).toMatch(/DNS server did not answer/);
    // tries: 1 — one query, no retry storm against a struggling server.
    expect(responder.queries.length - before).toBe(1);
  });

  it('a slow server crosses a configured resolveTime threshold', async () => {
    responder.setDelay(200);
    const result = await runOnce('dns', at({ host: TEST_ZONE.known }), { warn: { resolveTime: 100 } });
    expect(result).toMatchObject({ status: 'warn', reason: 'threshold' });
    expect(result.message).toMatch(/^resolveTime \d+ms ≥ warn 100ms$/);
  });

  it('recovers on the next run once the server answers again (the resolver is reused)', async () => {
    const probe = createProbe('dns', at({ host: TEST_ZONE.known }), { timeoutMs: 400 });
    try {
      responder.setSilent(true);
      expect((await probe.run()).reason).toBe('timeout');
      responder.setSilent(false);
      expect((await probe.run()).status).toBe('pass');
    } finally {
      await probe.close();
    }
  });
});

describe('dns probe: configuration', () => {
  it('servers must be IP addresses with optional ports; unknown record types are rejected', () => {
    expect(() => settingsFor('dns', { host: 'x.test', servers: ['dns.example'] })).toThrow(/IP address/);
    expect(() => settingsFor('dns', { host: 'x.test', servers: ['127.0.0.1:99999'] })).toThrow();
    expect(() => settingsFor('dns', { host: 'x.test', recordType: 'MX' })).toThrow();
    expect(settingsFor('dns', { host: 'x.test', servers: ['10.0.0.2', '127.0.0.1:5353', '[::1]:5353'] }).options.servers).toHaveLength(3);
  });
});
