import { existsSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parse } from 'yaml';

/** The parts of an OpenAPI 3 document this module reads. */
export interface OpenApiDocument {
  openapi: string;
  info: { title: string; version: string };
  paths: Record<string, Record<string, unknown>>;
  components?: { parameters?: Record<string, OpenApiParameter> };
  [key: string]: unknown;
}

interface OpenApiParameter {
  name: string;
  in: string;
  required?: boolean;
  schema?: Record<string, unknown>;
}

type Ref = { $ref: string };

/**
 * openapi/openapi.yaml, found by walking up from this module: it runs from
 * src/http (tests, tsx) and from dist/src/http (built; the package ships
 * openapi/). Read once.
 */
function locate(): string {
  let dir = dirname(fileURLToPath(import.meta.url));
  for (let i = 0; i < 6; i++) {
    const candidate = join(dir, 'openapi', 'openapi.yaml');
    if (existsSync(candidate)) return candidate;
    dir = dirname(dir);
  }
  throw new Error('openapi/openapi.yaml not found next to the package');
}

let cached: OpenApiDocument | undefined;

/** The document, with info.version set to the running version. */
export function loadOpenApiDocument(version: string): OpenApiDocument {
  cached ??= parse(readFileSync(locate(), 'utf8')) as OpenApiDocument;
  return { ...cached, info: { ...cached.info, version } };
}

function resolveParameter(document: OpenApiDocument, parameter: OpenApiParameter | Ref): OpenApiParameter {
  if (!('$ref' in parameter)) return parameter;
  const name = parameter.$ref.replace('#/components/parameters/', '');
  const resolved = document.components?.parameters?.[name];
  if (resolved === undefined) throw new Error(`openapi: unresolved parameter ${parameter.$ref}`);
  return resolved;
}

/**
 * A Fastify querystring schema for one operation, built from the parameters
 * the document declares for it, closed with additionalProperties: false so
 * that any other parameter is a 400. The document is the single source of
 * what each endpoint accepts.
 */
export function querystringSchema(document: OpenApiDocument, path: string, method: string): Record<string, unknown> {
  const item = document.paths[path];
  const operation = item?.[method.toLowerCase()] as { parameters?: Array<OpenApiParameter | Ref> } | undefined;
  if (item === undefined || operation === undefined) throw new Error(`openapi: no operation ${method} ${path}`);
  const properties: Record<string, unknown> = {};
  const required: string[] = [];
  for (const raw of operation.parameters ?? []) {
    const parameter = resolveParameter(document, raw);
    if (parameter.in !== 'query') continue;
    properties[parameter.name] = parameter.schema ?? {};
    if (parameter.required === true) required.push(parameter.name);
  }
  return {
    type: 'object',
    properties,
    ...(required.length > 0 ? { required } : {}),
    additionalProperties: false,
  };
}
