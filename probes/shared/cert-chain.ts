import type { DetailedPeerCertificate, PeerCertificate } from 'node:tls';

/** The certificate in a presented chain that expires first. */
export interface ChainExpiry {
  /** Epoch milliseconds of the earliest notAfter. */
  earliestMs: number;
  /** Common name (or organisation) of that certificate, for messages. */
  earliestName: string;
  /** Certificates walked, leaf first (the leaf counts). */
  chainLength: number;
}

/** CN, else O, else the raw subject: enough to say which certificate is meant. */
export function certName(subject: PeerCertificate['subject'] | undefined): string {
  if (subject === undefined || subject === null) return 'unknown';
  // Node gives a string, or an array when the attribute repeats.
  const pick = (value: string | string[] | undefined): string | undefined =>
    Array.isArray(value) ? value[0] : value;
  return pick(subject.CN) ?? pick(subject.O) ?? (Object.values(subject).flat()[0] as string | undefined) ?? 'unknown';
}

/**
 * Walks getPeerCertificate(true) from the leaf through issuerCertificate until
 * a self-issued root (whose issuerCertificate is itself) or the end. Returns
 * undefined when the peer presented no certificate.
 */
export function chainExpiry(leaf: DetailedPeerCertificate | PeerCertificate | undefined): ChainExpiry | undefined {
  if (leaf === undefined || leaf === null || leaf.valid_to === undefined) return undefined;
  let earliestMs = Number.POSITIVE_INFINITY;
  let earliestName = 'unknown';
  let chainLength = 0;
  const seen = new Set<string>();
  let cert: DetailedPeerCertificate | PeerCertificate | undefined = leaf;
  // The fingerprint check also stops a cycle a buggy chain could form.
  while (cert !== undefined && cert.valid_to !== undefined && !seen.has(cert.fingerprint256)) {
    seen.add(cert.fingerprint256);
    chainLength += 1;
    const notAfter = Date.parse(cert.valid_to);
    if (Number.isFinite(notAfter) && notAfter < earliestMs) {
      earliestMs = notAfter;
      earliestName = certName(cert.subject);
    }
    cert = 'issuerCertificate' in cert ? cert.issuerCertificate : undefined;
  }
  if (!Number.isFinite(earliestMs)) return undefined;
  return { earliestMs, earliestName, chainLength };
}

/** What /diagnostics and `vitals check` show about a presented certificate (tls and https http probes). */
export interface CertificateFacts {
  subject: string;
  issuer: string;
  /** The leaf's notAfter, ISO 8601. */
  validTo: string;
  /** The earliest notAfter in the chain, ISO 8601, and whose it is. */
  earliestExpiry: string;
  earliestExpiring: string;
  chainLength: number;
  /** The host names and addresses the leaf covers, as in its subjectAltName: "DNS:localhost, IP Address:127.0.0.1". */
  names: string;
}

/** The names a leaf is valid for: its subjectAltName, else its CN (what clients fall back to when there is no SAN). */
export function certNames(peer: PeerCertificate): string {
  const san = peer.subjectaltname?.trim();
  if (san !== undefined && san !== '') return san;
  return `CN=${certName(peer.subject)}`;
}

/** Facts about a presented chain, or undefined when the peer presented no certificate. */
export function certificateFacts(peer: DetailedPeerCertificate | PeerCertificate | undefined): CertificateFacts | undefined {
  if (peer === undefined || peer === null || peer.valid_to === undefined) return undefined;
  const leafExpiresMs = Date.parse(peer.valid_to);
  const expiry = chainExpiry(peer);
  return {
    subject: certName(peer.subject),
    issuer: certName(peer.issuer),
    validTo: new Date(leafExpiresMs).toISOString(),
    earliestExpiry: new Date(expiry?.earliestMs ?? leafExpiresMs).toISOString(),
    earliestExpiring: expiry?.earliestName ?? certName(peer.subject),
    chainLength: expiry?.chainLength ?? 1,
    names: certNames(peer),
  };
}

const DAY_MS = 86_400_000;

/** Days from now to the earliest expiry, two decimals; negative once expired. */
export function daysUntil(facts: CertificateFacts, nowMs = Date.now()): number {
  return Math.round(((Date.parse(facts.earliestExpiry) - nowMs) / DAY_MS) * 100) / 100;
}

/** Epoch seconds of the earliest expiry, for vitals_tls_cert_expiry_timestamp_seconds. */
export function expirySeconds(facts: CertificateFacts): number {
  return Math.floor(Date.parse(facts.earliestExpiry) / 1000);
}

/** For messages: when and whose notAfter passed, or '' while the chain is still valid. */
export function expiredNote(facts: CertificateFacts, nowMs = Date.now()): string {
  return Date.parse(facts.earliestExpiry) < nowMs ? ` (notAfter ${facts.earliestExpiry}, certificate "${facts.earliestExpiring}")` : '';
}
