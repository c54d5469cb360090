import type { Reason } from '../core/types.js';

/**
 * Fallback remediation, one line per reason, for when a probe type's HintTable
 * has nothing more specific. Deliberately generic: it names the first thing an
 * operator should check, not a diagnosis.
 */
export const GENERIC_HINTS: Readonly<Record<Reason, string>> = {
  timeout:
    'the dependency did not answer in time: check it is not hung or overloaded, and that no firewall silently drops packets; raise the probe timeout only if it is merely slow',
  refused:
    'nothing accepted the connection: check the service is running and listening on this host and port, and that the address in the config is right',
  dns: 'the host name did not resolve: check the spelling, the resolver configuration (/etc/resolv.conf, search domains) and that the record exists (nslookup)',
  tls: 'the TLS handshake failed: check the certificate is valid and not expired, covers this host name, and that the full chain is served (or set the right ca)',
  auth: 'credentials were rejected: check the user, password or token in the config against what the server expects',
  unavailable:
    'the server is reachable but refusing work: check its logs for overload, startup or read-only mode, and retry once it has settled',
  threshold: 'an observed value crossed its warn/fail threshold: look at the measurement named in the message',
  config: 'the probe is misconfigured: check its options (URL, path, host) and any environment variables they use',
  error: 'unexpected error: see the message, and the vitals log at debug level for more detail',
};

export function genericHint(reason: Reason): string {
  return GENERIC_HINTS[reason];
}

/** What a probe's `{key}` hint placeholders are filled with. */
export type HintTarget = Readonly<Record<string, string | number>>;

const PLACEHOLDER = /\{([A-Za-z]\w*)\}/g;

/**
 * Fills `{host}`, `{port}`… from the probe's target. A placeholder the
 * target does not know stays as written, visibly, rather than as an empty
 * gap in a command (test/unit/hint-targets.test.ts keeps built-in hints from
 * having any).
 */
export function fillHint(template: string, target: HintTarget): string {
  return template.replace(PLACEHOLDER, (whole, key: string) => {
    const value = Object.hasOwn(target, key) ? target[key] : undefined;
    return value === undefined ? whole : String(value);
  });
}
