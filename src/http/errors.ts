import type { Logger } from 'pino';
import { STATUS_CODES } from 'node:http';
import type { FastifyError, FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { redactText } from '../core/redact.js';

/** Every error body's `code` (CONTRACT §2: `VITALS_ERR_*`). */
export type ErrorCode =
  | 'VITALS_ERR_BAD_REQUEST'
  | 'VITALS_ERR_UNAUTHORIZED'
  | 'VITALS_ERR_NOT_FOUND'
  | 'VITALS_ERR_PROBE_NOT_FOUND'
  | 'VITALS_ERR_METHOD_NOT_ALLOWED'
  | 'VITALS_ERR_PAYLOAD_TOO_LARGE'
  | 'VITALS_ERR_UNSUPPORTED_MEDIA_TYPE'
  | 'VITALS_ERR_RATE_LIMITED'
  | 'VITALS_ERR_CONFIG_INVALID'
  | 'VITALS_ERR_INTERNAL';

export interface ErrorBody {
  statusCode: number;
  code: ErrorCode;
  error: string;
  message: string;
  /** VITALS_ERR_CONFIG_INVALID (POST /admin/reload): every problem of the rejected config. */
  issues?: ReadonlyArray<{ path: string; message: string }>;
}

/** An error a handler throws to answer with a given status and code. */
export class HttpError extends Error {
  constructor(
    readonly statusCode: number,
    readonly code: ErrorCode,
    message: string,
    readonly headers: Record<string, string | string[]> = {},
    readonly issues?: ReadonlyArray<{ path: string; message: string }>,
  ) {
    super(message);
    this.name = 'HttpError';
  }
}

export function errorBody(statusCode: number, code: ErrorCode, message: string, issues?: ErrorBody['issues']): ErrorBody {
  return { statusCode, code, error: STATUS_CODES[statusCode] ?? 'Error', message, ...(issues === undefined ? {} : { issues }) };
}

export function sendError(reply: FastifyReply, statusCode: number, code: ErrorCode, message: string, issues?: ErrorBody['issues']): FastifyReply {
  return reply
    .code(statusCode)
    .type('application/json; charset=utf-8')
    .header('cache-control', 'no-store')
    .header('x-content-type-options', 'nosniff')
    .send(errorBody(statusCode, code, message, issues));
}

/** A request-supplied value, made safe and short for an error message. */
export function quote(value: string): string {
  const short = value.length > 64 ? `${value.slice(0, 64)}…` : value;
  return `'${short.replace(/[^\x20-\x7e]/g, '?')}'`;
}

interface ValidationIssue {
  keyword?: string;
  instancePath?: string;
  message?: string;
  params?: Record<string, unknown>;
}

function validationMessage(issues: readonly ValidationIssue[], context: string | undefined): string {
  const first = issues[0];
  const where = context === 'querystring' ? 'query parameter' : (context ?? 'request');
  if (first === undefined) return `invalid ${where}`;
  if (first.keyword === 'additionalProperties' && typeof first.params?.additionalProperty === 'string') {
    return `unknown ${where} ${quote(first.params.additionalProperty)}`;
  }
  const path = (first.instancePath ?? '').replace(/^\//, '').split('/')[0] ?? '';
  const subject = path === '' ? where : `${where} ${quote(path)}`;
  return `${subject} ${first.message ?? 'is invalid'}`;
}

/** Status code → error code, for errors Fastify and its plugins raise. */
function codeFor(statusCode: number): ErrorCode {
  switch (statusCode) {
    case 401:
      return 'VITALS_ERR_UNAUTHORIZED';
    case 404:
      return 'VITALS_ERR_NOT_FOUND';
    case 405:
      return 'VITALS_ERR_METHOD_NOT_ALLOWED';
    case 413:
      return 'VITALS_ERR_PAYLOAD_TOO_LARGE';
    case 415:
      return 'VITALS_ERR_UNSUPPORTED_MEDIA_TYPE';
    case 429:
      return 'VITALS_ERR_RATE_LIMITED';
    default:
      return statusCode >= 500 ? 'VITALS_ERR_INTERNAL' : 'VITALS_ERR_BAD_REQUEST';
  }
}

/**
 * One error shape for everything: handler errors, validation, rate limiting,
 * body parsing, unknown routes, malformed URLs. 5xx never shows its cause to
 * the client; it is logged (redacted, without a stack).
 */
export function registerErrorHandling(app: FastifyInstance, secrets: readonly string[], logger: Logger): void {
  app.setErrorHandler((error: FastifyError | HttpError, request: FastifyRequest, reply: FastifyReply) => {
    if (error instanceof HttpError) {
      for (const [name, value] of Object.entries(error.headers)) reply.header(name, value);
      return sendError(reply, error.statusCode, error.code, error.message, error.issues);
    }
    const fastifyError = error as FastifyError;
    if (fastifyError.validation !== undefined) {
      return sendError(reply, 400, 'VITALS_ERR_BAD_REQUEST', validationMessage(fastifyError.validation, fastifyError.validationContext));
    }
    const statusCode = typeof fastifyError.statusCode === 'number' && fastifyError.statusCode >= 400 ? fastifyError.statusCode : 500;
    if (statusCode >= 500) {
      logger.error({ method: request.method, path: pathOf(request.url), code: fastifyError.code, err: { message: redactText(String(fastifyError.message), secrets) } }, 'request failed');
      return sendError(reply, 500, 'VITALS_ERR_INTERNAL', 'internal error; see the service log');
    }
    if (statusCode === 429) {
      const retryAfter = reply.getHeader('retry-after');
      const message = retryAfter === undefined ? 'too many requests' : `too many requests; retry in ${String(retryAfter)} s`;
      return sendError(reply, 429, 'VITALS_ERR_RATE_LIMITED', message);
    }
    return sendError(reply, statusCode, codeFor(statusCode), redactText(String(fastifyError.message), secrets));
  });

  app.setNotFoundHandler((request, reply) => {
    return sendError(reply, 404, 'VITALS_ERR_NOT_FOUND', `no route ${request.method} ${pathOf(request.url)}`);
  });
}

/** The path only, truncated: the query may hold anything. */
function pathOf(url: string): string {
  const path = url.split('?')[0] ?? '';
  const short = path.length > 100 ? `${path.slice(0, 100)}…` : path;
  return short.replace(/[^\x20-\x7e]/g, '?');
}

/** Fastify `frameworkErrors`: malformed URLs (bad percent-encoding) get the same JSON shape. */
export function frameworkErrors(error: FastifyError, _request: FastifyRequest, reply: FastifyReply): void {
  const statusCode = typeof error.statusCode === 'number' && error.statusCode >= 400 ? error.statusCode : 400;
  const message = error.code === 'FST_ERR_BAD_URL' ? 'malformed URL' : 'bad request';
  void sendError(reply, statusCode, codeFor(statusCode), message);
}

const ALL_METHODS = ['GET', 'HEAD', 'POST', 'PUT', 'DELETE', 'PATCH', 'OPTIONS'] as const;

/** Answer 405 with `Allow` for the methods a path does not serve (instead of a misleading 404). */
export function methodNotAllowed(app: FastifyInstance, url: string, allowed: readonly string[]): void {
  const others = ALL_METHODS.filter((m) => !allowed.includes(m));
  app.route({
    method: others,
    url,
    // Nothing to parse: the answer does not depend on the body.
    handler: (request, reply) => {
      void reply.header('allow', allowed.join(', '));
      return sendError(reply, 405, 'VITALS_ERR_METHOD_NOT_ALLOWED', `${request.method} is not allowed here; use ${allowed.join(' or ')}`);
    },
  });
}
