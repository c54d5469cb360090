import net from 'node:net';
import { performance } from 'node:perf_hooks';
import tls, { type DetailedPeerCertificate } from 'node:tls';
import { z } from 'zod';
import { ProbeError } from '../src/core/errors.js';
import type { Probe, ProbeDefinition } from '../src/core/probe.js';
import type { CheckReport } from '../src/core/types.js';
import { caLoader } from './shared/ca-file.js';
import { certificateFacts, daysUntil, expiredNote, expirySeconds } from './shared/cert-chain.js';
import {
  describeHostMismatch,
  describeTlsCode,
  EXPIRY_HINT,
  hostMismatchHint,
  isHostMismatch,
  TLS_HINT,
} from './shared/tls-failure.js';

const options = z.object({
  host: z.string().min(1),
  port: z.number().int().min(1).max(65_535).default(443),
  servername: z.string().min(1).optional(),
  ca: z.string().min(1).optional(),
  insecure: z.boolean().default(false),
});

type TlsOptions = z.output<typeof options>;

interface Handshake {
  handshakeTime: number;
  peer: DetailedPeerCertificate;
  protocol: string | null;
  /** OpenSSL's chain verdict (or Node's hostname check code) when not trusted. */
  authorizationError?: string;
}

/**
 * One handshake, verification recorded rather than enforced, so an expired
 * or untrusted certificate can still be read and described. Nothing is sent
 * over the connection; it is closed as soon as the handshake is done.
 */
function handshake(opts: TlsOptions, ca: Buffer | undefined, signal: AbortSignal): Promise<Handshake> {
  return new Promise((resolve, reject) => {
    const started = performance.now();
    const sni = opts.servername ?? (net.isIP(opts.host) === 0 ? opts.host : undefined);
    const socket = tls.connect({
      host: opts.host,
      port: opts.port,
      ...(sni === undefined ? {} : { servername: sni }),
      ...(ca === undefined ? {} : { ca }),
      rejectUnauthorized: false,
    });
    const onAbort = (): void => {
      socket.destroy(signal.reason instanceof Error ? signal.reason : new Error('aborted'));
    };
    if (signal.aborted) onAbort();
    else signal.addEventListener('abort', onAbort, { once: true });
    socket.once('secureConnect', () => {
      signal.removeEventListener('abort', onAbort);
      const result: Handshake = {
        handshakeTime: performance.now() - started,
        peer: socket.getPeerCertificate(true),
        protocol: socket.getProtocol(),
      };
      const verdict = socket.authorizationError as Error | string | null | undefined;
      if (!socket.authorized && verdict !== null && verdict !== undefined) {
        result.authorizationError = typeof verdict === 'string' ? verdict : verdict.message;
      }
      socket.destroy();
      resolve(result);
    });
    socket.once('error', (error) => {
      signal.removeEventListener('abort', onAbort);
      socket.destroy();
      reject(error);
    });
  });
}

interface VerificationFailure {
  description: string;
  /** Set when the failure calls for a different remedy than TLS_HINT (a wrong host name). */
  hint?: string;
}

/** Why the certificate is not acceptable for this host, or undefined when it is. */
function verificationFailure(opts: TlsOptions, result: Handshake, names: string): VerificationFailure | undefined {
  const identity = opts.servername ?? opts.host;
  if (result.authorizationError !== undefined && !isHostMismatch(result.authorizationError)) {
    return { description: describeTlsCode(result.authorizationError) };
  }
  // Node runs the hostname check itself only when the chain verified; run it here to name the mismatch precisely.
  const mismatch = tls.checkServerIdentity(identity, result.peer);
  if (mismatch === undefined) return undefined;
  return {
    description: describeHostMismatch('ERR_TLS_CERT_ALTNAME_INVALID', identity, names),
    hint: hostMismatchHint(identity, names),
  };
}

function createTlsProbe(opts: TlsOptions): Probe {
  const loadCa = caLoader(opts.ca);
  const target = `${opts.host}:${opts.port}`;
  return {
    async check(signal: AbortSignal): Promise<CheckReport> {
      const result = await handshake(opts, await loadCa(), signal);
      const facts = certificateFacts(result.peer);
      if (facts === undefined) {
        throw new ProbeError('tls', `${target} presented no certificate`, { hint: TLS_HINT });
      }
      const failure = verificationFailure(opts, result, facts.names);
      const info = { ...facts, protocol: result.protocol, verification: failure?.description ?? 'ok' };
      const certExpiry = expirySeconds(facts);

      if (failure !== undefined && !opts.insecure) {
        // The failed result still carries the expiry and the certificate's facts.
        throw new ProbeError('tls', `${target}: ${failure.description}${expiredNote(facts)}`, {
          hint: failure.hint ?? TLS_HINT,
          details: { info, certExpiry },
        });
      }

      return {
        observations: [
          { measurement: 'daysUntilExpiry', value: daysUntil(facts), unit: 'days' },
          { measurement: 'handshakeTime', value: Math.round(result.handshakeTime * 1000) / 1000, unit: 'ms' },
        ],
        info,
        certExpiry,
      };
    },
    async close(): Promise<void> {
      // Nothing is held between runs.
    },
  };
}

export const tlsProbe: ProbeDefinition<typeof options> = {
  type: 'tls',
  componentType: 'component',
  // External: certificates change on a scale of days; a minute is plenty.
  defaultIntervalMs: 60_000,
  // With the fixed 3-day fail threshold a still-valid certificate would take /ready to 503 on every
  // replica three days before it expires: expiry is for alerting, so tls gates readiness only when asked.
  defaultCritical: false,
  options,
  measurements: {
    daysUntilExpiry: {
      unit: 'days',
      worse: 'lower',
      warn: 14,
      fail: 3,
      description: 'days until the earliest notAfter in the presented chain',
    },
    handshakeTime: { unit: 'ms', description: 'TCP connect + TLS handshake' },
  },
  hints: {
    reasons: {
      tls: TLS_HINT,
      threshold: EXPIRY_HINT,
      refused: 'nothing is listening on {host}:{port}: check the TLS endpoint is up and the port (443 by default) is right',
      timeout:
        'no TLS handshake within the timeout: check {host}:{port} really speaks TLS (`openssl s_client -connect {host}:{port} -servername {servername}`), and that no firewall drops the traffic',
      dns: 'the host name did not resolve: check its spelling and the resolver configuration (`nslookup {host}`)',
      config: 'check the host, port, servername and ca options',
    },
    measurements: {
      daysUntilExpiry: EXPIRY_HINT,
      handshakeTime: 'TLS handshakes are slow: check the server\'s CPU, network latency and OCSP / chain size',
    },
  },
  hintTarget: ({ host, port, servername }) => ({ host, port, servername: servername ?? host }),
  create(parsed) {
    return createTlsProbe(parsed);
  },
};
