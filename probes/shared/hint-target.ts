import { redactUrl } from '../../src/core/redact.js';

/** What a URL-configured probe's hints name: `{host}`, `{port}`, `{url}` (redacted). */
export interface UrlTarget {
  host: string;
  port: number;
  url: string;
  [key: string]: string | number;
}

/**
 * The host and port a client connects to for `url`, with the defaults the
 * client applies (no host → localhost, no port → the protocol's), so a hint
 * such as `redis-cli -h {host} -p {port} ping` is right as it stands.
 */
export function urlTarget(url: string, defaultPort: number): UrlTarget {
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    return { host: 'localhost', port: defaultPort, url: redactUrl(url) };
  }
  const host = parsed.hostname.replace(/^\[(.*)\]$/, '$1');
  return { host: host === '' ? 'localhost' : host, port: parsed.port === '' ? defaultPort : Number(parsed.port), url: redactUrl(url) };
}
