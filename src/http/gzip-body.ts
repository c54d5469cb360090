import { promisify } from 'node:util';
import { gzip } from 'node:zlib';

const gzipAsync = promisify(gzip);

/**
 * Whether a client takes gzip (RFC 9110 §12.5.3): a `gzip` (or `*`) coding
 * whose q is not 0. Anything unreadable counts as no.
 */
export function acceptsGzip(header: string | undefined): boolean {
  if (header === undefined) return false;
  for (const part of header.toLowerCase().split(',')) {
    const [coding, ...params] = part.trim().split(';');
    if (coding !== 'gzip' && coding !== '*') continue;
    const q = params.map((p) => p.trim()).find((p) => p.startsWith('q='));
    if (q === undefined || Number(q.slice(2)) > 0) return true;
  }
  return false;
}

/**
 * The gzip of the last body it was given, made off the event loop (zlib runs
 * on libuv's thread pool): a body shared by every poller for up to a second is
 * compressed once, not once per client. Holds one body: the caller's cache
 * decides when a new one exists; an equal text is the same body.
 */
export class GzipMemo {
  private last: { text: string; gz: Promise<Buffer> } | undefined;

  get(text: string): Promise<Buffer> {
    if (this.last?.text !== text) {
      const gz = gzipAsync(text);
      this.last = { text, gz };
      gz.catch(() => {
        if (this.last?.gz === gz) this.last = undefined;
      });
    }
    return this.last.gz;
  }
}
