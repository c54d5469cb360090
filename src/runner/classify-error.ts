import type { ClassifiedError } from '../core/errors.js';
import type { Reason } from '../core/types.js';
import { field } from '../core/fields.js';

/**
 * Generic error → reason rules, used when a probe type's classifyError has no
 * opinion. Client libraries wrap the socket error (undici: TypeError "fetch
 * failed" with `cause`; net with several addresses: AggregateError with an
 * empty message), so the whole cause tree is searched.
 */
const REFUSED = new Set([
  'ECONNREFUSED',
  'ECONNRESET',
  'EPIPE',
  'ECONNABORTED',
  'EHOSTUNREACH',
  'ENETUNREACH',
  'EHOSTDOWN',
  'UND_ERR_SOCKET',
]);
const DNS = new Set(['ENOTFOUND', 'EAI_AGAIN', 'EAI_FAIL', 'EAI_NONAME', 'ENODATA', 'ESERVFAIL', 'ENONAME', 'EBADRESP', 'EREFUSED']);
const TIMEOUT = new Set([
  'ETIMEDOUT',
  'ETIMEOUT',
  'ESOCKETTIMEDOUT',
  'ABORT_ERR',
  'UND_ERR_CONNECT_TIMEOUT',
  'UND_ERR_HEADERS_TIMEOUT',
  'UND_ERR_BODY_TIMEOUT',
]);
const TLS = new Set([
  'CERT_HAS_EXPIRED',
  'CERT_NOT_YET_VALID',
  'CERT_REVOKED',
  'CERT_UNTRUSTED',
  'CERT_REJECTED',
  'CERT_SIGNATURE_FAILURE',
  'DEPTH_ZERO_SELF_SIGNED_CERT',
  'SELF_SIGNED_CERT_IN_CHAIN',
  'UNABLE_TO_VERIFY_LEAF_SIGNATURE',
  'UNABLE_TO_GET_ISSUER_CERT',
  'UNABLE_TO_GET_ISSUER_CERT_LOCALLY',
  'UNABLE_TO_DECRYPT_CERT_SIGNATURE',
  'HOSTNAME_MISMATCH',
  'ERR_TLS_CERT_ALTNAME_INVALID',
  'ERR_TLS_HANDSHAKE_TIMEOUT',
  'EPROTO',
]);
const CONFIG = new Set(['ERR_INVALID_URL', 'ERR_INVALID_ARG_VALUE', 'ENOENT']);

function reasonForCode(code: string): Reason | undefined {
  if (REFUSED.has(code)) return 'refused';
  if (DNS.has(code)) return 'dns';
  if (TIMEOUT.has(code)) return 'timeout';
  if (TLS.has(code) || code.startsWith('ERR_SSL_') || code.startsWith('ERR_TLS_')) return 'tls';
  if (CONFIG.has(code)) return 'config';
  return undefined;
}

function reasonForName(name: string): Reason | undefined {
  return name === 'AbortError' || name === 'TimeoutError' ? 'timeout' : undefined;
}

/** The error, its causes and aggregated errors, breadth first, each once. */
export function errorTree(error: unknown, limit = 32): unknown[] {
  const seen = new Set<unknown>();
  const queue: unknown[] = [error];
  const out: unknown[] = [];
  while (queue.length > 0 && out.length < limit) {
    const next = queue.shift();
    if (next === undefined || next === null || seen.has(next)) continue;
    seen.add(next);
    out.push(next);
    const cause = field(next, 'cause');
    if (cause !== undefined) queue.push(cause);
    const inner = field(next, 'errors');
    if (Array.isArray(inner)) queue.push(...(inner as unknown[]));
  }
  return out;
}

/** The first reason any error in the tree gives, by errno-style code, then by name. */
export function reasonOf(error: unknown): Reason | undefined {
  const tree = errorTree(error);
  for (const node of tree) {
    const code = field(node, 'code');
    if (typeof code === 'string') {
      const reason = reasonForCode(code);
      if (reason !== undefined) return reason;
    }
  }
  for (const node of tree) {
    const name = field(node, 'name');
    if (typeof name === 'string') {
      const reason = reasonForName(name);
      if (reason !== undefined) return reason;
    }
  }
  return undefined;
}

/**
 * A readable one-line description: the error's own message, or — when that is
 * empty, as with net's AggregateError — the distinct messages of its parts.
 * Never a stack.
 */
export function describeError(error: unknown): string {
  const own = field(error, 'message');
  if (typeof own === 'string' && own.trim() !== '') {
    const cause = field(error, 'cause');
    const causeMessage = field(cause, 'message');
    // "fetch failed" alone says nothing; the cause says what failed.
    if (typeof causeMessage === 'string' && causeMessage.trim() !== '' && !own.includes(causeMessage)) {
      return `${own}: ${causeMessage}`;
    }
    return own;
  }
  const inner = field(error, 'errors');
  if (Array.isArray(inner) && inner.length > 0) {
    const parts = [...new Set(inner.map((e) => describeError(e)))];
    return parts.join('; ');
  }
  const code = field(error, 'code');
  if (typeof code === 'string') return code;
  if (typeof error === 'string') return error;
  if (error instanceof Error) return error.name;
  return 'unknown error';
}

/** Out of file descriptors: vitals' own limit, not the dependency's fault, so reason `error` with a hint that says so. */
const FD_EXHAUSTED = new Set(['EMFILE', 'ENFILE']);
export const FD_LIMIT_HINT =
  'vitals ran out of file descriptors (EMFILE/ENFILE): raise its limit (ulimit -n, systemd LimitNOFILE=, the container nofile ulimit) or run fewer probes; runs recover on their own once descriptors free up';

/** Generic classification; always answers, with `error` when nothing matches. */
export function classifyError(error: unknown): ClassifiedError {
  const exhausted = errorTree(error).some((node) => FD_EXHAUSTED.has(String(field(node, 'code'))));
  if (exhausted) return { reason: 'error', message: describeError(error), hint: FD_LIMIT_HINT };
  return { reason: reasonOf(error) ?? 'error', message: describeError(error) };
}
