import { readFileSync } from 'node:fs';
import { Writable } from 'node:stream';
import { pino } from 'pino';
import { afterEach, describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { querystringSchema, loadOpenApiDocument } from '../../src/http/openapi-document.js';
import { snapshot } from '../support/fake-state.js';
import { closeAll, harness } from './harness.js';

afterEach(closeAll);

const yamlDocument = parse(readFileSync(new URL('../../openapi/openapi.yaml', import.meta.url), 'utf8'));
const errorCodes: string[] = yamlDocument.components.schemas.Error.properties.code.enum;

describe('GET /openapi.json and /docs', () => {
  it('serves openapi/openapi.yaml as JSON, with the running version', async () => {
    const { app } = await harness([snapshot({ name: 'db' })]);
    const response = await app.inject({ url: '/openapi.json' });
    expect(response.statusCode).toBe(200);
    expect(response.headers['content-type']).toMatch(/^application\/json/);
    const document = response.json();
    expect(document.openapi).toMatch(/^3\./);
    expect(document.info.version).toBe('1.4.2');
    expect(document.paths).toEqual(yamlDocument.paths);
    expect(document.components.securitySchemes).toEqual({
      bearerAuth: expect.objectContaining({ type: 'http', scheme: 'bearer' }),
      basicAuth: expect.objectContaining({ type: 'http', scheme: 'basic' }),
    });
  });

  it('documents every endpoint of the contract, admin ones included', () => {
    const expected: Record<string, string[]> = {
      '/health': ['get', 'head'],
      '/health/{probe}': ['get', 'head'],
      '/ready': ['get', 'head'],
      '/ready/{probe}': ['get', 'head'],
      '/diagnostics': ['get'],
      '/metrics': ['get'],
      '/status': ['get'],
      '/openapi.json': ['get'],
      '/docs': ['get'],
      '/admin/maintenance': ['post', 'delete'],
      '/admin/probes/{name}/run': ['post'],
    };
    for (const [path, methods] of Object.entries(expected)) {
      expect(Object.keys(yamlDocument.paths[path] ?? {}), path).toEqual(expect.arrayContaining(methods));
    }
    const maintenance = yamlDocument.components.schemas.MaintenanceRequest;
    expect(maintenance.required).toEqual(['reason', 'ttl']);
  });

  it('serves Swagger UI and its assets at /docs', async () => {
    const { app } = await harness([snapshot({ name: 'db' })]);
    const page = await app.inject({ url: '/docs' });
    expect(page.statusCode).toBe(200);
    expect(page.headers['content-type']).toMatch(/^text\/html/);
    expect(page.body).toContain('swagger-ui');
    const css = await app.inject({ url: '/docs/static/swagger-ui.css' });
    expect(css.statusCode).toBe(200);
    const spec = await app.inject({ url: '/docs/json' });
    expect(spec.json().paths['/ready']).toBeDefined();
  });
});

describe('query schemas come from the document', () => {
  it('closes each operation over its declared query parameters', () => {
    const document = loadOpenApiDocument('0.0.0');
    expect(querystringSchema(document, '/ready', 'get')).toEqual({
      type: 'object',
      properties: {
        verbose: yamlDocument.components.parameters.Verbose.schema,
        exclude: yamlDocument.components.parameters.Exclude.schema,
      },
      additionalProperties: false,
    });
    expect(querystringSchema(document, '/metrics', 'get')).toEqual({ type: 'object', properties: {}, additionalProperties: false });
    expect(() => querystringSchema(document, '/nope', 'get')).toThrow(/no operation/);
  });
});

describe('errors', () => {
  it('unknown paths → 404 JSON; wrong methods → 405 with Allow; every code is in the documented enum', async () => {
    const { app } = await harness([snapshot({ name: 'db' })], { config: { auth: { token: 'tok-abcdef12', protectMetrics: true } } });
    const cases: Array<[string, string, number, string]> = [
      ['GET', '/nope', 404, 'VITALS_ERR_NOT_FOUND'],
      ['POST', '/health', 405, 'VITALS_ERR_METHOD_NOT_ALLOWED'],
      ['DELETE', '/ready/db', 405, 'VITALS_ERR_METHOD_NOT_ALLOWED'],
      ['PUT', '/diagnostics', 405, 'VITALS_ERR_METHOD_NOT_ALLOWED'],
      ['GET', '/ready/nope', 404, 'VITALS_ERR_PROBE_NOT_FOUND'],
      ['GET', '/ready?x', 400, 'VITALS_ERR_BAD_REQUEST'],
      ['GET', '/diagnostics', 401, 'VITALS_ERR_UNAUTHORIZED'],
      ['GET', '/metrics', 401, 'VITALS_ERR_UNAUTHORIZED'],
      ['GET', '/ready/%E0%A4%A', 400, 'VITALS_ERR_BAD_REQUEST'],
    ];
    for (const [method, url, statusCode, code] of cases) {
      const response = await app.inject({ method: method as 'GET', url });
      expect([response.statusCode, response.json().code], `${method} ${url}`).toEqual([statusCode, code]);
      expect(Object.keys(response.json()).sort()).toEqual(['code', 'error', 'message', 'statusCode']);
      expect(errorCodes).toContain(code);
    }
    const post = await app.inject({ method: 'POST', url: '/ready' });
    expect(post.headers.allow).toBe('GET, HEAD');
  });

  it('a body with a bad content type or too large is a clean 4xx, not a crash', async () => {
    const { app } = await harness([snapshot({ name: 'db' })]);
    const xml = await app.inject({ method: 'POST', url: '/ready', headers: { 'content-type': 'application/xml' }, payload: '<a/>' });
    expect(xml.statusCode).toBe(415);
    expect(xml.json().code).toBe('VITALS_ERR_UNSUPPORTED_MEDIA_TYPE');
    const big = await app.inject({ method: 'POST', url: '/ready', headers: { 'content-type': 'application/json' }, payload: `"${'x'.repeat(100_000)}"` });
    expect(big.statusCode).toBe(413);
    expect(big.json().code).toBe('VITALS_ERR_PAYLOAD_TOO_LARGE');
    const broken = await app.inject({ method: 'POST', url: '/ready', headers: { 'content-type': 'application/json' }, payload: '{' });
    expect(broken.statusCode).toBe(400);
    expect(broken.json().code).toBe('VITALS_ERR_BAD_REQUEST');
  });

  it('an internal failure is a 500 that reveals nothing; the log gets the redacted cause', async () => {
    const lines: string[] = [];
    const sink = new Writable({
      write(chunk, _encoding, done) {
        lines.push(String(chunk));
        done();
      },
    });
    const { app, state } = await harness([snapshot({ name: 'db' })], { deps: { logger: pino({ level: 'info' }, sink) } });
    // Routine requests log nothing at info level.
    for (const url of ['/health', '/ready', '/ready?verbose', '/metrics', '/nope', '/ready?bad']) await app.inject({ url });
    expect(lines).toEqual([]);
    state.list = () => {
      throw new Error('state exploded at postgres://app:hunter2@db');
    };
    const response = await app.inject({ url: '/ready' });
    expect(response.statusCode).toBe(500);
    expect(response.json()).toEqual({
      statusCode: 500,
      code: 'VITALS_ERR_INTERNAL',
      error: 'Internal Server Error',
      message: 'internal error; see the service log',
    });
    expect(lines).toHaveLength(1);
    expect(lines[0]).toContain('request failed');
    expect(lines[0]).toContain('state exploded at postgres://app:***@db');
    expect(lines[0]).not.toContain('hunter2');
  });
});
