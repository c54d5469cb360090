import { existsSync, readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

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
 * The document, found by walking up from this module. Built (dist/src/http),
 * the build step's dist/openapi/openapi.json comes first: JSON.parse is
 * almost free, while parsing the YAML at start cost ≈ 10 MiB of RSS
 * (scripts/openapi-json.mjs). From src/http (tests, tsx) there is no JSON
 * and openapi/openapi.yaml is parsed, with the yaml library loaded only then.
 */
function locate(): { path: string; format: 'json' | 'yaml' } {
  let dir = dirname(fileURLToPath(import.meta.url));
  for (let i = 0; i < 6; i++) {
    const json = join(dir, 'openapi', 'openapi.json');
    if (existsSync(json)) return { path: json, format: 'json' };
    const yaml = join(dir, 'openapi', 'openapi.yaml');
    if (existsSync(yaml)) return { path: yaml, format: 'yaml' };
    dir = dirname(dir);
  }
  throw new Error('openapi/openapi.yaml not found next to the package');
}

function read(): OpenApiDocument {
  const { path, format } = locate();
  const text = readFileSync(path, 'utf8');
  if (format === 'json') return JSON.parse(text) as OpenApiDocument;
  // Synchronous on purpose (buildApp is); yaml ships CommonJS.
  const yaml = createRequire(import.meta.url)('yaml') as typeof import('yaml');
  return yaml.parse(text) as OpenApiDocument;
}

let cached: OpenApiDocument | undefined;

/** The document, with info.version set to the running version. Read once. */
export function loadOpenApiDocument(version: string): OpenApiDocument {
  cached ??= read();
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
