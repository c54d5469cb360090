import type { FastifyReply, FastifyRequest } from 'fastify';
import { HttpError } from './errors.js';
import type { OpenApiDocument } from './openapi-document.js';

/**
 * Request bodies of the admin routes: the JSON Schema comes from
 * openapi/openapi.yaml (components.schemas), so the document stays the one
 * source of what is accepted; the messages name the failing field as
 * `body.<field>: …` so an operator with curl sees what to fix.
 */

/** OpenAPI-only annotations Ajv (strict mode) rejects as unknown keywords. */
const OPENAPI_ONLY = new Set(['example']);

function stripAnnotations(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(stripAnnotations);
  if (value === null || typeof value !== 'object') return value;
  const out: Record<string, unknown> = {};
  for (const [key, inner] of Object.entries(value)) {
    if (!OPENAPI_ONLY.has(key)) out[key] = stripAnnotations(inner);
  }
  return out;
}

/** components.schemas[name] as a JSON Schema Fastify can compile (no $refs expected in request schemas). */
export function componentSchema(document: OpenApiDocument, name: string): Record<string, unknown> {
  const schemas = (document.components as { schemas?: Record<string, unknown> } | undefined)?.schemas;
  const schema = schemas?.[name];
  if (schema === undefined || schema === null || typeof schema !== 'object') throw new Error(`openapi: no schema ${name}`);
  return stripAnnotations(schema) as Record<string, unknown>;
}

/** A request-supplied value, short and printable, in double quotes. */
export function shown(value: unknown): string {
  const text = typeof value === 'string' ? value : JSON.stringify(value) ?? String(value);
  const short = text.length > 64 ? `${text.slice(0, 64)}…` : text;
  return `"${short.replace(/[^\x20-\x7e]/g, '?').replace(/"/g, '\\"')}"`;
}

interface AjvIssue {
  keyword?: string;
  instancePath?: string;
  message?: string;
  params?: Record<string, unknown>;
}

/** Per-field wording for the checks that are not plain type errors. */
export type FieldHints = Record<string, (value: unknown, keyword: string) => string | undefined>;

function fieldOf(issue: AjvIssue): string {
  return (issue.instancePath ?? '').replace(/^\//, '').replace(/\//g, '.');
}

/** One ajv issue (allErrors is off: there is one) as `body.ttl: invalid duration "soon"`. */
export function bodyIssueMessage(issue: AjvIssue | undefined, body: unknown, allowed: readonly string[], hints: FieldHints): string {
  const expected = `a JSON object with ${allowed.map((k) => `"${k}"`).join(' and ')}`;
  if (issue === undefined) return `body: must be ${expected}`;
  const keyword = issue.keyword ?? '';
  if (keyword === 'additionalProperties' && typeof issue.params?.additionalProperty === 'string') {
    return `body.${issue.params.additionalProperty}: unknown key (allowed: ${allowed.join(', ')})`;
  }
  if (keyword === 'required' && typeof issue.params?.missingProperty === 'string') {
    return `body.${issue.params.missingProperty}: required`;
  }
  const field = fieldOf(issue);
  if (field === '') return `body: must be ${expected}`;
  const value = body !== null && typeof body === 'object' ? (body as Record<string, unknown>)[field] : undefined;
  const hinted = hints[field]?.(value, keyword);
  return `body.${field}: ${hinted ?? issue.message ?? 'is invalid'}`;
}

/**
 * preValidation: Fastify's Ajv coerces types (a number reason would become a
 * string), so the raw JSON types are checked before the schema runs. Only
 * JSON bodies are accepted: Fastify's built-in text/plain parser would
 * otherwise turn a wrong content type into a confusing "must be object".
 */
export function strictJsonBody(fields: readonly string[]) {
  return async (request: FastifyRequest, _reply: FastifyReply): Promise<void> => {
    const type = (request.headers['content-type'] ?? '').split(';')[0]!.trim().toLowerCase();
    if (type !== 'application/json') {
      throw new HttpError(
        415,
        'VITALS_ERR_UNSUPPORTED_MEDIA_TYPE',
        `send the body as JSON with Content-Type: application/json${type === '' ? '' : ` (got ${shown(type)})`}`,
      );
    }
    const body = request.body;
    if (body === null || typeof body !== 'object' || Array.isArray(body)) return; // the schema says why
    for (const field of fields) {
      const value = (body as Record<string, unknown>)[field];
      if (value !== undefined && typeof value !== 'string') {
        throw new HttpError(400, 'VITALS_ERR_BAD_REQUEST', `body.${field}: must be a string, got ${value === null ? 'null' : typeof value}`);
      }
    }
  };
}
