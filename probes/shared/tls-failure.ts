/**
 * Naming certificate failures the way operators search for them. OpenSSL
 * verification codes (CERT_HAS_EXPIRED…) and Node's hostname check code are
 * kept verbatim in the message, with a plain-words explanation beside them.
 */

import { field } from '../../src/core/fields.js';
const EXPLANATIONS: Readonly<Record<string, string>> = {
  CERT_HAS_EXPIRED: 'certificate has expired',
  CERT_NOT_YET_VALID: 'certificate is not yet valid (check the server and local clocks)',
  DEPTH_ZERO_SELF_SIGNED_CERT: 'self-signed certificate that is not trusted (give its CA with `ca`)',
  SELF_SIGNED_CERT_IN_CHAIN: 'chain ends in a self-signed CA that is not trusted (give that CA with `ca`)',
  UNABLE_TO_VERIFY_LEAF_SIGNATURE: 'cannot verify the certificate: the issuer is unknown or the server does not send the intermediate chain',
  UNABLE_TO_GET_ISSUER_CERT: 'issuer certificate not found (serve the full chain)',
  UNABLE_TO_GET_ISSUER_CERT_LOCALLY: 'issuer certificate not found locally (serve the full chain, or give the CA with `ca`)',
  CERT_SIGNATURE_FAILURE: 'certificate signature does not verify',
  CERT_REVOKED: 'certificate has been revoked',
  CERT_UNTRUSTED: 'certificate is not trusted',
  CERT_REJECTED: 'certificate was rejected',
  ERR_TLS_CERT_ALTNAME_INVALID: 'certificate does not cover this host name',
  HOSTNAME_MISMATCH: 'certificate does not cover this host name',
};

/** OpenSSL X509_V_ERR_* names as Node reports them, Node's ERR_TLS_*, and OpenSSL library errors. */
const CODE_SHAPE = /CERT|^UNABLE_TO_|^ERR_TLS_|^ERR_SSL_|^EPROTO$|^HOSTNAME_MISMATCH$/;

export interface TlsFailure {
  code: string;
  /** One line: "CERT_HAS_EXPIRED: certificate has expired". */
  description: string;
}

/** Plain words for a verification code; the code itself for unknown ones. */
export function describeTlsCode(code: string, fallback?: string): string {
  const words = EXPLANATIONS[code] ?? fallback;
  return words === undefined || words === code ? code : `${code}: ${words}`;
}

/** The first TLS-shaped error in an error and its causes, if any. */
export function findTlsFailure(error: unknown): TlsFailure | undefined {
  let node: unknown = error;
  for (let depth = 0; depth < 8 && node !== undefined && node !== null; depth += 1) {
    const code = field(node, 'code');
    if (typeof code === 'string' && CODE_SHAPE.test(code)) {
      const message = field(node, 'message');
      return { code, description: describeTlsCode(code, typeof message === 'string' ? message : undefined) };
    }
    node = field(node, 'cause');
  }
  return undefined;
}

/** Shared by the tls probe and https http probes (FAILURE-MODES NW2). */
export const TLS_HINT =
  'see what {host}:{port} serves (`openssl s_client -connect {host}:{port} -servername {servername} -showcerts`), then renew the certificate (e.g. `certbot renew`) and reload the server, serve the full chain (leaf + intermediates), make sure it covers the host name probed, or give the private CA with `ca`';

/** FAILURE-MODES NW3: still valid, but not for long. */
export const EXPIRY_HINT =
  'the certificate expires soon: renew it now (`certbot renew`, or your CA/cert-manager) and reload the server; check that automatic renewal actually runs';

/** Node's and OpenSSL's codes for "the certificate is not for this name". */
export function isHostMismatch(code: string): boolean {
  return code === 'ERR_TLS_CERT_ALTNAME_INVALID' || code === 'HOSTNAME_MISMATCH';
}

/** The message part for a wrong-host certificate: the name asked for beside the names the certificate holds. */
export function describeHostMismatch(code: string, asked: string, names: string): string {
  return `${describeTlsCode(code)} (asked for ${asked}; the certificate covers ${names})`;
}

/** A wrong-host failure is about names, not renewal: lead with the name asked for and the certificate's names. */
export function hostMismatchHint(asked: string, names: string): string {
  return `the certificate is not issued for ${asked} (it covers ${names}): probe a name it covers (the host, servername or URL), or reissue it with ${asked} in its subjectAltName`;
}
