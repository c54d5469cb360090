import { createHash, timingSafeEqual } from 'node:crypto';
import type { FastifyReply, FastifyRequest, preValidationAsyncHookHandler } from 'fastify';
import { HttpError } from './errors.js';

const REALM = 'realm="vitals"';

function digest(value: string): Buffer {
  return createHash('sha256').update(value, 'utf8').digest();
}

/**
 * Constant-time comparison: both sides are hashed first, so the compared
 * buffers always have equal length and the time does not depend on where
 * (or whether) the presented value differs, nor on its length.
 */
export function tokenMatches(presented: string, token: string): boolean {
  return timingSafeEqual(digest(presented), digest(token));
}

/**
 * The secret a request presents: `Authorization: Bearer <token>`, or
 * `Authorization: Basic base64(user:token)` with any user name (browsers on
 * the status page). Undefined when there is none or it is malformed.
 */
export function presentedSecret(header: string | undefined): string | undefined {
  if (header === undefined) return undefined;
  const match = /^\s*(\S+)\s+(\S+)\s*$/.exec(header);
  if (match === null) return undefined;
  const scheme = match[1]!.toLowerCase();
  const value = match[2]!;
  if (scheme === 'bearer') return value;
  if (scheme === 'basic') {
    const decoded = Buffer.from(value, 'base64').toString('utf8');
    const colon = decoded.indexOf(':');
    return colon === -1 ? undefined : decoded.slice(colon + 1);
  }
  return undefined;
}

export interface RequireTokenOptions {
  /** Also challenge for Basic so browsers prompt (the HTML status page). Basic is accepted everywhere. */
  basicChallenge?: boolean;
}

/** Whether the request carries the token. Always true when no token is configured. */
export function isAuthorized(request: FastifyRequest, token: string | undefined): boolean {
  if (token === undefined || token === '') return true;
  const presented = presentedSecret(request.headers.authorization);
  return presented !== undefined && tokenMatches(presented, token);
}

/**
 * A preValidation hook that answers 401 (`WWW-Authenticate: Bearer
 * realm="vitals"`, plus Basic when asked) unless the request carries the
 * token. No token configured → every request passes. It runs after the
 * rate limiter (onRequest), so guessing tokens is rate limited too.
 */
export function requireToken(
  token: string | undefined | (() => string | undefined),
  options: RequireTokenOptions = {},
): preValidationAsyncHookHandler {
  const challenges = [`Bearer ${REALM}`, ...(options.basicChallenge === true ? [`Basic ${REALM}, charset="UTF-8"`] : [])];
  // A getter is read per request: a live reload's new auth.token applies to the next request.
  const current = typeof token === 'function' ? token : () => token;
  return async (request: FastifyRequest, _reply: FastifyReply) => {
    if (isAuthorized(request, current())) return;
    const message =
      request.headers.authorization === undefined ? 'this endpoint needs the token: Authorization: Bearer <token>' : 'wrong token';
    // One header line per challenge: browsers only prompt when Basic has a line of its own.
    const header = challenges.length === 1 ? challenges[0]! : challenges;
    throw new HttpError(401, 'VITALS_ERR_UNAUTHORIZED', message, { 'www-authenticate': header });
  };
}
