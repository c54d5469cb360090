import { TLSSocket } from 'node:tls';
import type { buildConnector } from 'undici';
import { certificateFacts, type CertificateFacts } from './cert-chain.js';
import { describeTlsCode } from './tls-failure.js';

/**
 * Seeing the certificate of an https upstream even when it is refused.
 *
 * With verification on, Node destroys the socket before anyone can read the
 * peer certificate, so an expired or wrong-host certificate would leave no
 * expiry behind. Instead the connection is made with rejectUnauthorized off,
 * the certificate is read, and the verdict Node computed anyway (chain and
 * host name, in socket.authorized / authorizationError) is enforced here: a
 * refused socket is destroyed before undici writes a byte on it.
 */

/** A certificate the connector read and refused; carries what it saw to the type's classifyError. */
export class CertificateRejected extends Error {
  /** OpenSSL's or Node's code: CERT_HAS_EXPIRED, ERR_TLS_CERT_ALTNAME_INVALID… */
  readonly code: string;
  readonly certificate: CertificateFacts;
  /** The name the certificate was checked against (SNI, else the URL's host). */
  readonly asked: string;

  constructor(code: string, certificate: CertificateFacts, asked: string) {
    super(describeTlsCode(code));
    this.name = 'CertificateRejected';
    this.code = code;
    this.certificate = certificate;
    this.asked = asked;
  }
}

/** The CertificateRejected in an error's cause chain, if any (undici may wrap connector errors). */
export function findRejectedCertificate(error: unknown): CertificateRejected | undefined {
  let node: unknown = error;
  for (let depth = 0; depth < 8 && node instanceof Error; depth += 1) {
    if (node instanceof CertificateRejected) return node;
    node = node.cause;
  }
  return undefined;
}

/** Node types authorizationError as an Error; at run time it is the code string. */
function verdictCode(socket: TLSSocket): string {
  const verdict = socket.authorizationError as Error | string | null | undefined;
  if (typeof verdict === 'string' && verdict !== '') return verdict;
  if (verdict instanceof Error) return (verdict as NodeJS.ErrnoException).code ?? verdict.message;
  return 'CERT_REJECTED';
}

export interface InspectingOptions {
  /** Refuse an unverified certificate (false: the probe's `insecure`). */
  verify: boolean;
  /** Every certificate seen, with the verification code when it did not verify, and the `host:port` it came from. */
  onCertificate(facts: CertificateFacts, verdict: string | undefined, origin: string): void;
}

/** `host:port` of an origin as the connector sees it (hostname as URL.hostname spells it, the default port filled in). */
export function originKey(hostname: string, port: string | number | undefined, protocol: string): string {
  const defaultPort = protocol === 'https:' ? 443 : 80;
  return `${hostname}:${port === '' || port === undefined ? defaultPort : String(port)}`;
}

type Connector = buildConnector.connector;
type ConnectorBuilder = typeof buildConnector;

/**
 * undici connector options for inspecting: verification off at the socket
 * (enforced by inspectingConnector instead), and no TLS session cache — a
 * resumed session skips Node's host name check, so a session from a refused
 * wrong-host connection must never be reused.
 */
export function inspectingConnectorOptions(ca: Buffer | undefined): buildConnector.BuildOptions {
  return { ...(ca === undefined ? {} : { ca }), rejectUnauthorized: false, maxCachedSessions: 0 };
}

/** Wraps undici's connector: reads each TLS peer's certificate, then enforces verification. */
export function inspectingConnector(build: ConnectorBuilder, ca: Buffer | undefined, options: InspectingOptions): Connector {
  const connect = build(inspectingConnectorOptions(ca));
  return (connectOptions, callback) => {
    connect(connectOptions, (error, socket) => {
      if (error !== null) {
        callback(error, null);
        return;
      }
      if (!(socket instanceof TLSSocket)) {
        callback(null, socket);
        return;
      }
      const facts = certificateFacts(socket.getPeerCertificate(true));
      const verdict = socket.authorized ? undefined : verdictCode(socket);
      if (facts !== undefined) options.onCertificate(facts, verdict, originKey(connectOptions.hostname, connectOptions.port, 'https:'));
      if (options.verify && verdict !== undefined) {
        socket.destroy();
        // undici leaves servername empty for an IP address; Node then checks the host itself.
        const asked = connectOptions.servername || connectOptions.hostname;
        const rejected =
          facts === undefined ? Object.assign(new Error(describeTlsCode(verdict)), { code: verdict }) : new CertificateRejected(verdict, facts, asked);
        callback(rejected, null);
        return;
      }
      callback(null, socket);
    });
  };
}
