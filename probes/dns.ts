import net from 'node:net';
import { Resolver } from 'node:dns/promises';
import { performance } from 'node:perf_hooks';
import { z } from 'zod';
import { ProbeError } from '../src/core/errors.js';
import type { Probe, ProbeDefinition } from '../src/core/probe.js';
import type { CheckReport, Observation } from '../src/core/types.js';

/** Per-try c-ares timeout. The runner's probe timeout usually ends a run first (and cancels the query). */
const RESOLVER_TIMEOUT_MS = 5_000;

/** "10.0.0.2", "10.0.0.2:5353", "::1", "[::1]:5353" → whether setServers will take it. */
function isServerAddress(value: string): boolean {
  const bracketed = /^\[([^\]]+)\]:(\d{1,5})$/.exec(value);
  if (bracketed !== null) return net.isIPv6(bracketed[1] ?? '') && Number(bracketed[2]) <= 65_535;
  const withPort = /^([^:]+):(\d{1,5})$/.exec(value);
  if (withPort !== null) return net.isIPv4(withPort[1] ?? '') && Number(withPort[2]) <= 65_535;
  return net.isIP(value) !== 0;
}

const options = z.object({
  host: z.string().min(1),
  recordType: z.enum(['A', 'AAAA', 'CNAME', 'SRV']).default('A'),
  servers: z
    .array(z.string().refine(isServerAddress, { message: 'must be an IP address, optionally with :port ([v6]:port)' }))
    .min(1)
    .optional(),
  expect: z.array(z.string().min(1)).min(1).optional(),
});

type DnsOptions = z.output<typeof options>;

const HINT_DNS =
  'the name did not resolve: check the spelling and the record in its zone, the resolver configuration (/etc/resolv.conf, search domains, the servers option) and ask the same server by hand (`{dig}`)';

/** The dig command that asks what this probe asks, of the server it asks (the system resolver when none is set). */
function digCommand(opts: DnsOptions): string {
  const server = opts.servers?.[0];
  if (server === undefined) return `dig ${opts.host} ${opts.recordType}`;
  const withPort = /^\[([^\]]+)\]:(\d+)$/.exec(server) ?? (net.isIP(server) === 0 ? /^([^:]+):(\d+)$/.exec(server) : null);
  const address = withPort?.[1] ?? server;
  const port = withPort?.[2] === undefined ? '' : ` -p ${withPort[2]}`;
  return `dig @${address}${port} ${opts.host} ${opts.recordType}`;
}

/** c-ares error codes as an operator reads them in dig output. */
const DNS_FAILURES: Readonly<Record<string, string>> = {
  ENOTFOUND: 'NXDOMAIN (the name does not exist)',
  ENODATA: 'NODATA (the name exists but has no record of this type)',
  ESERVFAIL: 'SERVFAIL (the server could not answer: upstream or DNSSEC failure)',
  EREFUSED: 'REFUSED (the server will not answer this query)',
  ENOTIMP: 'NOTIMP (the server does not implement this query)',
  EFORMERR: 'FORMERR (the server found the query malformed)',
  EBADRESP: 'malformed response',
  ECONNREFUSED: 'could not reach the DNS server (connection refused)',
};

/** One canonical spelling per answer so `expect` compares like with like. */
function canonical(recordType: DnsOptions['recordType'], value: string): string {
  const trimmed = value.trim().toLowerCase();
  if (recordType === 'AAAA' && net.isIPv6(trimmed)) return new URL(`http://[${trimmed}]/`).hostname.slice(1, -1);
  return trimmed.replace(/\.(?=:\d+$)|\.$/, '');
}

async function query(resolver: Resolver, opts: DnsOptions): Promise<{ answers: string[]; minTtl?: number }> {
  switch (opts.recordType) {
    case 'A': {
      const records = await resolver.resolve4(opts.host, { ttl: true });
      return { answers: records.map((r) => r.address), minTtl: Math.min(...records.map((r) => r.ttl)) };
    }
    case 'AAAA': {
      const records = await resolver.resolve6(opts.host, { ttl: true });
      return { answers: records.map((r) => r.address), minTtl: Math.min(...records.map((r) => r.ttl)) };
    }
    case 'CNAME':
      return { answers: await resolver.resolveCname(opts.host) };
    case 'SRV':
      return { answers: (await resolver.resolveSrv(opts.host)).map((r) => `${r.name}:${r.port}`) };
  }
}

function translate(error: unknown, opts: DnsOptions, servers: string): unknown {
  const code = (error as NodeJS.ErrnoException | undefined)?.code;
  const subject = `${opts.host} ${opts.recordType} via ${servers}`;
  if (code === 'ETIMEOUT') return new ProbeError('timeout', `${subject}: no answer within ${RESOLVER_TIMEOUT_MS} ms (ETIMEOUT)`, { cause: error });
  if (code === 'ECANCELLED') return new ProbeError('timeout', `${subject}: query cancelled before an answer`, { cause: error });
  if (code === 'EBADNAME') return new ProbeError('config', `${opts.host} is not a valid DNS name`, { cause: error });
  if (code !== undefined && DNS_FAILURES[code] !== undefined) {
    return new ProbeError('dns', `${subject}: ${DNS_FAILURES[code]} [${code}]`, { hint: HINT_DNS, cause: error });
  }
  return error;
}

function createDnsProbe(opts: DnsOptions): Probe {
  const resolver = new Resolver({ timeout: RESOLVER_TIMEOUT_MS, tries: 1 });
  if (opts.servers !== undefined) resolver.setServers(opts.servers);
  const servers = resolver.getServers().join(', ') || 'the system resolver';

  return {
    async check(signal: AbortSignal): Promise<CheckReport> {
      // c-ares takes no AbortSignal; cancel() rejects this resolver's queries with ECANCELLED.
      const cancel = (): void => resolver.cancel();
      signal.addEventListener('abort', cancel, { once: true });
      const started = performance.now();
      let result: { answers: string[]; minTtl?: number };
      try {
        if (signal.aborted) cancel();
        result = await query(resolver, opts);
      } catch (error) {
        throw translate(error, opts, servers);
      } finally {
        signal.removeEventListener('abort', cancel);
      }
      const resolveTime = performance.now() - started;

      const addresses: Observation = { measurement: 'addresses', value: result.answers.length, unit: 'count' };
      if (opts.expect !== undefined) {
        const got = new Set(result.answers.map((a) => canonical(opts.recordType, a)));
        const missing = opts.expect.filter((want) => !got.has(canonical(opts.recordType, want)));
        if (missing.length > 0) {
          addresses.status = 'fail';
          addresses.output = `${opts.host} ${opts.recordType}: expected ${missing.join(', ')} not among the answers (${result.answers.slice(0, 8).join(', ')}${result.answers.length > 8 ? ', …' : ''})`;
        }
      }
      const info: NonNullable<CheckReport['info']> = {
        recordType: opts.recordType,
        servers,
        answers: result.answers.slice(0, 16).join(', '),
      };
      if (result.minTtl !== undefined && Number.isFinite(result.minTtl)) info.minTtl = result.minTtl;
      return {
        observations: [{ measurement: 'resolveTime', value: Math.round(resolveTime * 1000) / 1000, unit: 'ms' }, addresses],
        info,
      };
    },
    async close(): Promise<void> {
      resolver.cancel();
    },
  };
}

export const dnsProbe: ProbeDefinition<typeof options> = {
  type: 'dns',
  componentType: 'system',
  // Auxiliary: a resolver outage breaks everything, so notice within a minute or so.
  defaultIntervalMs: 30_000,
  options,
  measurements: {
    resolveTime: { unit: 'ms', description: 'query sent → answer parsed' },
    addresses: { unit: 'count', description: 'number of records in the answer' },
  },
  hints: {
    reasons: {
      dns: HINT_DNS,
      timeout:
        'the DNS server did not answer in time: check it is up and reachable on UDP/TCP 53 (firewall, NetworkPolicy), and that it is not overloaded or forwarding to a dead upstream',
      threshold:
        'the answer is not what was expected: check the record in its zone, propagation / caching (TTL), and split-horizon views',
      config: 'check the host, recordType and servers options',
    },
    measurements: {
      addresses:
        'the answer is not what was expected: check the record in its zone, propagation / caching (TTL), and split-horizon views',
      resolveTime:
        'name resolution is slow: check the resolver\'s load and upstream forwarders, and search-domain expansion (ndots) adding queries',
    },
  },
  hintTarget: (opts) => ({ host: opts.host, dig: digCommand(opts) }),
  create(parsed) {
    return createDnsProbe(parsed);
  },
};
