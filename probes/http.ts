import { performance } from 'node:perf_hooks';
import type { Dispatcher } from 'undici';
import { z } from 'zod';
import { ProbeError } from '../src/core/errors.js';
import type { Probe, ProbeDefinition } from '../src/core/probe.js';
import { redactUrl } from '../src/core/redact.js';
import type { CheckReport, CheckWarning, Observation } from '../src/core/types.js';
import { caLoader } from './shared/ca-file.js';
import { daysUntil, expiredNote, expirySeconds, type CertificateFacts } from './shared/cert-chain.js';
import {
  describeExpected,
  isStatusRange,
  jsonMismatches,
  shortValue,
  statusExpected,
  type StatusSpec,
} from './shared/http-expectations.js';
import { findRejectedCertificate, originKey } from './shared/peer-certificate.js';
import { leaseAgent, type AgentLease } from './shared/shared-agent.js';
import {
  describeHostMismatch,
  EXPIRY_HINT,
  findTlsFailure,
  hostMismatchHint,
  isHostMismatch,
  TLS_HINT,
} from './shared/tls-failure.js';
import { urlTarget } from './shared/hint-target.js';
import { lazyLibrary } from './shared/lazy-library.js';
import { managedClient } from './shared/managed-client.js';

const DEFAULT_MAX_BODY_BYTES = 64 * 1024;
const MAX_REDIRECTS = 5;

const HEADER_NAME = /^[!#$%&'*+.^_`|~0-9A-Za-z-]+$/;

/** Request headers as config writes them; shared with statusPage.prometheus.headers. */
export const headersSchema = z.record(
  z.string().regex(HEADER_NAME, 'not a valid header name'),
  z.string().refine((value) => !/[\r\n\0]/.test(value), { message: 'header values cannot hold line breaks' }),
);

const options = z.object({
  url: z
    .string()
    .refine((value) => URL.canParse(value) && /^https?:$/.test(new URL(value).protocol), {
      message: 'must be an http:// or https:// URL',
    }),
  method: z.enum(['GET', 'HEAD', 'POST']).default('GET'),
  headers: headersSchema.default({}),
  expectStatus: z
    .array(
      z.union([
        z.number().int().min(100).max(599),
        z.string().refine(isStatusRange, { message: 'must be a status code or a range like "200-299"' }),
      ]),
    )
    .min(1)
    .default(['200-399']),
  bodyContains: z.string().min(1).optional(),
  json: z.record(z.string().min(1), z.union([z.string(), z.number(), z.boolean(), z.null()])).optional(),
  maxBodyBytes: z
    .number()
    .int()
    .positive()
    .max(16 * 1024 * 1024)
    .default(DEFAULT_MAX_BODY_BYTES),
  ca: z.string().min(1).optional(),
  insecure: z.boolean().default(false),
  followRedirects: z.boolean().default(false),
})
  // A refinement, not a check at run time, so `vitals config validate` reports it.
  .superRefine((value, ctx) => {
    if (value.method !== 'HEAD') return;
    for (const key of ['bodyContains', 'json'] as const) {
      if (value[key] !== undefined) ctx.addIssue({ code: 'custom', path: [key], message: 'needs a response body: use GET or POST, not HEAD' });
    }
  });

type HttpOptions = z.output<typeof options>;

const HINT_AUTH =
  'the server rejected the credentials: check the Authorization / API-key header and the environment variable it comes from (e.g. OPENAI_API_KEY); set or rotate the key if it is wrong, expired or revoked';
const HINT_RATE_LIMITED =
  'rate limited or out of quota: lower the request rate (or this probe\'s interval), cache responses, use a cheaper model, or raise the quota / plan with the provider';
const HINT_SERVER_ERROR =
  'the upstream answered with a server error: read that service\'s logs and its own health, restart it if it is stuck, and check start-up ordering (depends_on) of what it needs';
const HINT_EXPECTATION =
  'the response was not what the probe expects: check the URL and method, whether the endpoint moved (redirects), and the expectStatus / bodyContains / json options';

/** What the response said about retrying, for messages: "Retry-After: 30s". */
function retryAfterNote(value: string | string[] | undefined): string {
  const raw = Array.isArray(value) ? value[0] : value;
  if (raw === undefined || raw.trim() === '') return '';
  const trimmed = raw.trim();
  if (/^\d+$/.test(trimmed)) return ` (Retry-After: ${trimmed}s)`;
  const at = Date.parse(trimmed);
  if (Number.isFinite(at)) return ` (Retry-After: ${Math.max(0, Math.round((at - Date.now()) / 1000))}s)`;
  return ` (Retry-After: ${shortValue(trimmed, 40)})`;
}

/**
 * Drops a body we will not read. undici's BodyReadable emits an AbortError
 * when destroyed without one; unheard, that would crash the process.
 */
function discard(body: Dispatcher.ResponseData['body']): void {
  body.on('error', () => undefined);
  body.destroy();
}

interface BodyRead {
  bytes: Buffer;
  /** The response held more than maxBodyBytes; reading stopped there. */
  truncated: boolean;
}

/**
 * Reads at most `limit` bytes, then destroys the stream: a never-ending or
 * huge body costs at most `limit` bytes of memory and ends the exchange.
 */
async function readBodyCapped(body: Dispatcher.ResponseData['body'], limit: number): Promise<BodyRead> {
  const chunks: Buffer[] = [];
  let size = 0;
  let truncated = false;
  body.on('error', () => undefined); // errors still reach the loop below; this only keeps late ones from going uncaught
  for await (const chunk of body as AsyncIterable<Buffer>) {
    if (size + chunk.length > limit) {
      chunks.push(chunk.subarray(0, limit - size));
      size = limit;
      truncated = true;
      break; // leaving the loop destroys the stream, which closes the connection
    }
    chunks.push(chunk);
    size += chunk.length;
  }
  if (truncated) discard(body);
  return { bytes: Buffer.concat(chunks, size), truncated };
}

function bodyMismatch(opts: HttpOptions, read: BodyRead): string | undefined {
  const scope = read.truncated ? ` in the first ${opts.maxBodyBytes} bytes (maxBodyBytes)` : '';
  const text = read.bytes.toString('utf8');
  if (opts.bodyContains !== undefined && !text.includes(opts.bodyContains)) {
    return `body does not contain ${shortValue(opts.bodyContains)}${scope}`;
  }
  if (opts.json !== undefined) {
    let parsed: unknown;
    try {
      parsed = JSON.parse(text);
    } catch {
      return read.truncated
        ? `body is larger than maxBodyBytes (${opts.maxBodyBytes}); raise it to check json fields`
        : 'body is not valid JSON';
    }
    const differences = jsonMismatches(parsed, opts.json);
    if (differences.length > 0) return `json ${differences.join('; ')}`;
  }
  return undefined;
}

type Undici = typeof import('undici');
const undiciLibrary = lazyLibrary((): Promise<Undici> => import('undici'));

/** A probe's dispatcher: the agent it shares with probes of the same CA and verification, redirects its own. */
interface Connection {
  lease: AgentLease;
  dispatcher: Dispatcher;
}

function openConnection(undici: Undici, opts: HttpOptions, ca: Buffer | undefined): Connection {
  const lease = leaseAgent(undici, ca, !opts.insecure);
  const dispatcher = opts.followRedirects ? lease.agent.compose(undici.interceptors.redirect({ maxRedirections: MAX_REDIRECTS })) : lease.agent;
  return { lease, dispatcher };
}

/** The certificate part of an https probe's info, as /diagnostics and `vitals check` show it. */
function certificateInfo(facts: CertificateFacts, verification: string): Record<string, string | number> {
  return { ...facts, verification };
}

function createHttpProbe(opts: HttpOptions): Probe {
  const loadCa = caLoader(opts.ca);
  const target = `${opts.method} ${redactUrl(opts.url)}`;
  const url = new URL(opts.url);
  const isHttps = url.protocol === 'https:';
  /** Where the shared agent files the certificate a connection to this URL presented (a kept-alive one does not show it again). */
  const origin = originKey(url.hostname, url.port, url.protocol);
  undiciLibrary.preload();

  const connection = managedClient<Connection>({
    open: async () => openConnection(await undiciLibrary.get(), opts, await loadCa()),
    // A graceful close waits for requests in flight; a hung peer gets destroyed instead.
    close: ({ lease }) => lease.close(),
    destroy: ({ lease }) => lease.destroy(),
  });

  return {
    prepare: undiciLibrary.ready,
    async check(signal: AbortSignal): Promise<CheckReport> {
      const { request } = await undiciLibrary.get();
      const { dispatcher, lease } = await connection.get(signal);
      const started = performance.now();
      // Connection and TLS failures propagate as they are; classifyError names them.
      const response = await request(opts.url, {
        method: opts.method,
        headers: opts.headers,
        dispatcher,
        signal,
        ...(opts.method === 'POST' ? { body: '' } : {}),
      });
      const status = response.statusCode;
      const statusLine = `HTTP ${status}${response.statusText ? ` ${response.statusText}` : ''} from ${target}`;
      const expected = statusExpected(status, opts.expectStatus as StatusSpec[]);

      if (!expected && (status === 401 || status === 403)) {
        discard(response.body);
        throw new ProbeError('auth', `${statusLine}: credentials rejected`, { hint: HINT_AUTH });
      }
      if (!expected && status >= 500) {
        discard(response.body);
        throw new ProbeError('unavailable', `${statusLine}${retryAfterNote(response.headers['retry-after'])}`, {
          hint: HINT_SERVER_ERROR,
        });
      }

      const warnings: CheckWarning[] = [];
      let read: BodyRead = { bytes: Buffer.alloc(0), truncated: false };
      if (!expected && status === 429) {
        discard(response.body);
        warnings.push({
          reason: 'unavailable',
          message: `${statusLine}: rate limited${retryAfterNote(response.headers['retry-after'])}`,
          hint: HINT_RATE_LIMITED,
        });
      } else {
        read = await readBodyCapped(response.body, opts.maxBodyBytes);
      }
      const responseTime = performance.now() - started;

      const statusObservation: Observation = { measurement: 'statusCode', value: status, unit: 'code' };
      if (!expected && status !== 429) {
        statusObservation.status = 'fail';
        const location = response.headers.location;
        const redirect =
          status >= 300 && status < 400 && location !== undefined && !opts.followRedirects
            ? ` (redirect to ${redactUrl(String(location))} not followed; set followRedirects or expect ${status})`
            : '';
        statusObservation.output = `${statusLine}: expected status ${describeExpected(opts.expectStatus)}${redirect}`;
      }
      const observations: Observation[] = [
        { measurement: 'responseTime', value: Math.round(responseTime * 1000) / 1000, unit: 'ms' },
        statusObservation,
        { measurement: 'bodyBytes', value: read.bytes.length, unit: 'bytes' },
      ];
      const seen = isHttps ? lease.certificate(origin) : undefined;
      if (seen !== undefined) observations.push({ measurement: 'daysUntilExpiry', value: daysUntil(seen.facts), unit: 'days' });

      if (expected) {
        const mismatch = bodyMismatch(opts, read);
        if (mismatch !== undefined) throw new ProbeError('threshold', `${statusLine}: ${mismatch}`, { hint: HINT_EXPECTATION });
      }

      const report: CheckReport = {
        observations,
        info: {
          url: redactUrl(opts.url),
          method: opts.method,
          bodyTruncated: read.truncated,
          ...(seen === undefined ? {} : certificateInfo(seen.facts, seen.verification)),
        },
      };
      if (warnings.length > 0) report.warnings = warnings;
      if (seen !== undefined) report.certExpiry = expirySeconds(seen.facts);
      return report;
    },

    close: (deadlineMs) => connection.close(deadlineMs),
  };
}

export const httpProbe: ProbeDefinition<typeof options> = {
  type: 'http',
  componentType: 'component',
  // External by default (third-party APIs bill and rate-limit); set 10–30s for in-cluster upstreams.
  defaultIntervalMs: 60_000,
  options,
  measurements: {
    responseTime: { unit: 'ms', description: 'request sent → response headers and (capped) body received' },
    statusCode: { unit: 'code', description: 'HTTP status of the (last) response' },
    bodyBytes: { unit: 'bytes', description: 'body bytes read, at most maxBodyBytes' },
    // https only. No fail threshold: an expiring certificate is for alerting, it must not pull readiness.
    daysUntilExpiry: {
      unit: 'days',
      worse: 'lower',
      warn: 14,
      description: 'https: days until the earliest notAfter in the chain the server presented',
    },
  },
  hints: {
    reasons: {
      refused:
        'nothing accepted the connection at {host}:{port}: check the service is running (container up, depends_on / start-up order) and the URL\'s host and port',
      timeout:
        'the upstream did not answer within the probe timeout: check whether it is hung or overloaded (its logs, its own /health), and that no firewall drops the traffic',
      dns: 'the URL\'s host name {host} did not resolve: check its spelling, the resolver configuration and search domains (`nslookup {host}`)',
      tls: TLS_HINT,
      auth: HINT_AUTH,
      unavailable: HINT_SERVER_ERROR,
      threshold: HINT_EXPECTATION,
      config: 'check the probe\'s url, method, headers and ca options',
    },
    measurements: {
      daysUntilExpiry: EXPIRY_HINT,
      statusCode: HINT_EXPECTATION,
      responseTime:
        'the upstream answers slowly: look at its load and its own dependencies; raise the responseTime threshold only if this latency is normal',
    },
  },
  classifyError(error, opts) {
    const failure = findTlsFailure(error);
    if (failure === undefined) return undefined;
    const prefix = `${opts.method} ${redactUrl(opts.url)}: TLS`;
    const rejected = findRejectedCertificate(error);
    if (rejected === undefined) return { reason: 'tls', message: `${prefix} ${failure.description}`, hint: TLS_HINT };
    // The connector read the refused certificate: name it, and keep its expiry for the gauge.
    const { certificate: facts, asked, code } = rejected;
    const mismatch = isHostMismatch(code);
    const description = mismatch ? describeHostMismatch(code, asked, facts.names) : failure.description;
    return {
      reason: 'tls',
      message: `${prefix} ${description}${expiredNote(facts)}`,
      hint: mismatch ? hostMismatchHint(asked, facts.names) : TLS_HINT,
      details: {
        info: { url: redactUrl(opts.url), method: opts.method, ...certificateInfo(facts, description) },
        certExpiry: expirySeconds(facts),
      },
    };
  },
  hintTarget({ url }) {
    const target = urlTarget(url, url.toLowerCase().startsWith('https:') ? 443 : 80);
    // undici sends the URL's host as SNI: the openssl command in TLS_HINT does the same.
    return { ...target, servername: target.host };
  },
  // Every header value counts as a secret (Cookie, custom API-key headers…): they never appear in output.
  secretOptions: ['headers'],
  create(parsed) {
    return createHttpProbe(parsed);
  },
};
