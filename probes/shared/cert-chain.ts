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
