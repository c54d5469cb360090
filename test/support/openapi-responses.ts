import { gunzipSync } from 'node:zlib';
import { readFileSync } from 'node:fs';
import { Ajv2020, type ValidateFunction } from 'ajv/dist/2020.js';
import addFormatsModule from 'ajv-formats';
import type { FastifyInstance, InjectOptions, LightMyRequestResponse } from 'fastify';
import { parse } from 'yaml';

/**
 * Every HTTP response a test receives, checked against openapi/openapi.yaml
 * with Ajv (JSON Schema 2020-12, the dialect of OpenAPI 3.1): the status must
 * be documented for that operation, the content type must be one it lists,
 * and a JSON body must match its schema. test/http/harness.ts routes every
 * inject through here, so no test can receive an undocumented answer.
 */

// ajv-formats is CommonJS; under NodeNext its default export is the module object.
const addFormats = (addFormatsModule as unknown as { default: typeof addFormatsModule.default }).default;

const DOCUMENT_ID = 'https://vitals.invalid/openapi.json';
/** Served by @fastify/swagger-ui for the /docs page itself; not part of the API. */
const UNDOCUMENTED_PREFIX = '/docs/';

type Json = Record<string, unknown>;

/**
 * Answers any request can get whatever its operation lists; the document's
 * info.description names them, each a components.responses entry.
 */
const ANY_REQUEST: Record<number, string> = { 400: 'BadRequest', 413: 'PayloadTooLarge', 414: 'UriTooLong', 415: 'UnsupportedMediaType', 500: 'InternalError' };
/** And these where no operation matches the path or the method. */
const NO_OPERATION: Record<number, string> = { 404: 'NotFound', 405: 'MethodNotAllowed' };

export const openapiDocument = parse(readFileSync(new URL('../../openapi/openapi.yaml', import.meta.url), 'utf8')) as Json;

/** Strict Ajv: unknown keywords, formats and ambiguous types are errors; unions are how 3.1 says nullable. */
export function strictAjv(): Ajv2020 {
  const ajv = new Ajv2020({ strict: true, allowUnionTypes: true, allErrors: true });
  addFormats(ajv);
  return ajv;
}

export interface InjectedResponse {
  statusCode: number;
  headers: Record<string, string | string[] | number | undefined>;
  body: string;
}

function escapePointer(segment: string): string {
  return segment.replace(/~/g, '~0').replace(/\//g, '~1');
}

/** Builds a checker for one document (the real one, or a broken copy in the helper's own test). */
export function responseChecker(document: Json = openapiDocument) {
  const ajv = strictAjv();
  // The document is added whole so its own `#/components/...` refs resolve; its
  // top-level OpenAPI fields are not schema keywords, so strict mode is told so.
  ajv.addVocabulary(Object.keys(document));
  ajv.addSchema({ ...document, $id: DOCUMENT_ID } as Json, undefined, undefined, false);
  const validators = new Map<string, ValidateFunction>();
  const paths = document.paths as Record<string, Json>;

  function validator(pointer: string): ValidateFunction {
    let fn = validators.get(pointer);
    if (fn === undefined) {
      fn = ajv.compile({ $ref: `${DOCUMENT_ID}#${pointer}` });
      validators.set(pointer, fn);
    }
    return fn;
  }

  /** A $ref'd response object, with the JSON pointer its content lives under. */
  function resolveResponse(response: Json, pointer: string): { response: Json; pointer: string } {
    const ref = response.$ref;
    if (typeof ref !== 'string') return { response, pointer };
    const target = ref.slice(1);
    const name = target.split('/').pop() ?? '';
    const found = ((document.components as Json).responses as Record<string, Json>)[name];
    if (found === undefined) throw new Error(`openapi: unresolved ${ref}`);
    return { response: found, pointer: target };
  }

  function templateFor(path: string): string | undefined {
    if (paths[path] !== undefined) return path;
    return Object.keys(paths).find((template) => {
      const pattern = new RegExp(`^${template.replace(/\{[^}]+\}/g, '[^/]+')}$`);
      return pattern.test(path);
    });
  }

  /** What the document declares for this request and status, or why nothing does. */
  function declared(method: string, path: string, status: number): { response: Json; pointer: string } | string {
    const generic = (name: string) => resolveResponse({ $ref: `#/components/responses/${name}` }, '');
    const fallback = ANY_REQUEST[status];
    const template = templateFor(path);
    if (template === undefined) {
      if (status === 404) return generic('NotFound');
      return fallback === undefined ? `${path} is not in the document (answered ${status})` : generic(fallback);
    }
    const item = paths[template]!;
    let verb = method.toLowerCase();
    // HEAD is GET without a body (RFC 9110 §9.3.2) where no head operation is written out.
    if (item[verb] === undefined && verb === 'head' && item.get !== undefined) verb = 'get';
    const operation = item[verb] as Json | undefined;
    if (operation === undefined) {
      const name = NO_OPERATION[status] ?? fallback;
      return name === undefined ? `${method} ${template} has no operation (answered ${status})` : generic(name);
    }
    const responses = operation.responses as Record<string, Json>;
    const response = responses[String(status)];
    if (response === undefined && fallback !== undefined) return generic(fallback);
    if (response === undefined) return `${method} ${template}: status ${status} is not documented (documented: ${Object.keys(responses).join(', ')})`;
    return resolveResponse(response, `/paths/${escapePointer(template)}/${verb}/responses/${status}`);
  }

  /** Every way the response departs from the document; empty when it conforms. */
  return function problems(method: string, url: string, response: InjectedResponse): string[] {
    const path = url.split('?')[0] ?? url;
    if (path.startsWith(UNDOCUMENTED_PREFIX)) return [];
    const found = declared(method, path, response.statusCode);
    if (typeof found === 'string') return [found];
    const where = `${method} ${path} → ${response.statusCode}`;
    const out: string[] = [];
    const headers = found.response.headers as Record<string, unknown> | undefined;
    for (const name of Object.keys(headers ?? {})) {
      if (response.headers[name.toLowerCase()] === undefined) out.push(`${where}: header ${name} is documented but missing`);
    }
    const content = found.response.content as Record<string, Json> | undefined;
    const bodyless = method.toUpperCase() === 'HEAD';
    if (content === undefined) {
      if (response.body !== '' && !bodyless) out.push(`${where}: a body where the document declares none`);
      return out;
    }
    const contentType = String(response.headers['content-type'] ?? '').split(';')[0]!.trim();
    const media = content[contentType];
    if (media === undefined) return [...out, `${where}: content type '${contentType}' is not one of ${Object.keys(content).join(', ')}`];
    if (bodyless || !contentType.endsWith('json')) return out;
    let body: unknown;
    try {
      body = JSON.parse(response.body);
    } catch {
      return [...out, `${where}: body is not JSON`];
    }
    const validate = validator(`${found.pointer}/content/${escapePointer(contentType)}/schema`);
    if (!validate(body)) {
      for (const error of validate.errors ?? []) out.push(`${where}: body${error.instancePath} ${error.message ?? 'is invalid'} (${error.schemaPath})`);
    }
    return out;
  };
}

const checkReal = responseChecker();

/** Throws, listing every departure, when a response does not match openapi/openapi.yaml. */
export function assertDocumented(method: string, url: string, response: InjectedResponse): void {
  const found = checkReal(method, url, response);
  if (found.length > 0) throw new Error(`response does not match openapi/openapi.yaml:\n  ${found.join('\n  ')}`);
}

/** The JSON pointer of every schema in the document (components, parameters, media types). */
export function schemaPointers(document: Json = openapiDocument): string[] {
  const out: string[] = [];
  const walk = (value: unknown, pointer: string): void => {
    if (value === null || typeof value !== 'object') return;
    for (const [key, inner] of Object.entries(value)) {
      const here = `${pointer}/${escapePointer(key)}`;
      if (key === 'schema' && inner !== null && typeof inner === 'object') out.push(here);
      else if (pointer === '/components/schemas') out.push(here);
      else walk(inner, here);
    }
  };
  walk(document, '');
  return out;
}


/**
 * Wraps app.inject so every response a test receives passes assertDocumented
 * first: a test cannot see an answer the document does not describe.
 */
export function validateResponses(app: FastifyInstance): FastifyInstance {
  const inject = app.inject.bind(app) as (options: InjectOptions | string) => Promise<LightMyRequestResponse>;
  const checked = async (options: InjectOptions | string): Promise<LightMyRequestResponse> => {
    const response = await inject(options);
    const method = typeof options === 'string' ? 'GET' : (options.method ?? 'GET');
    const url = typeof options === 'string' ? options : String(options.url ?? options.path ?? '/');
    // A gzipped body is judged as what the client reads once it has decoded it.
    const body = response.headers['content-encoding'] === 'gzip' ? gunzipSync(response.rawPayload).toString('utf8') : response.body;
    assertDocumented(String(method), url, { statusCode: response.statusCode, headers: response.headers, body });
    return response;
  };
  // inject also has a chainable no-argument form; no test here uses it, so the checked form replaces it whole.
  app.inject = checked as unknown as FastifyInstance['inject'];
  return app;
}
