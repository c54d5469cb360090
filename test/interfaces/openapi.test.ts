import SwaggerParser from '@apidevtools/swagger-parser';
import { describe, expect, it } from 'vitest';
import { assertDocumented, openapiDocument, responseChecker, schemaPointers, strictAjv } from '../support/openapi-responses.js';

/** A deep copy of the document to break on purpose. */
function copy(): Record<string, any> { // eslint-disable-line @typescript-eslint/no-explicit-any -- a YAML tree edited by path in tests
  return structuredClone(openapiDocument) as Record<string, any>; // eslint-disable-line @typescript-eslint/no-explicit-any -- as above
}

async function swaggerParserErrors(document: object): Promise<string | undefined> {
  try {
    await SwaggerParser.validate(structuredClone(document) as never);
    return undefined;
  } catch (error) {
    return (error as Error).message;
  }
}

/** Every schema of the document compiled by strict Ajv; the failures, by pointer. */
function strictCompileFailures(document: Record<string, unknown>): string[] {
  const ajv = strictAjv();
  ajv.addVocabulary(Object.keys(document));
  ajv.addSchema({ ...document, $id: 'https://vitals.invalid/compile.json' }, undefined, undefined, false);
  const failures: string[] = [];
  for (const pointer of schemaPointers(document)) {
    try {
      ajv.compile({ $ref: `https://vitals.invalid/compile.json#${pointer}` });
    } catch (error) {
      failures.push(`${pointer}: ${(error as Error).message}`);
    }
  }
  return failures;
}

describe('openapi/openapi.yaml as strict tools read it', () => {
  it('passes @apidevtools/swagger-parser validate; a broken copy does not', async () => {
    expect(openapiDocument.openapi).toBe('3.1.0');
    expect(await swaggerParserErrors(openapiDocument)).toBeUndefined();
    const broken = copy();
    broken.paths['/health'].get.responses = 'none';
    expect(await swaggerParserErrors(broken)).toMatch(/validation failed/i);
  });

  it('every schema compiles under Ajv strict (JSON Schema 2020-12); an OpenAPI 3.0 nullable does not', () => {
    const pointers = schemaPointers(openapiDocument);
    expect(pointers).toContain('/components/schemas/Diagnostics');
    expect(pointers.length).toBeGreaterThan(30);
    expect(strictCompileFailures(openapiDocument)).toEqual([]);
    const broken = copy();
    broken.components.schemas.CheckEntry.properties.observedValue = { nullable: true, description: 'any reading' };
    broken.components.schemas.ProbeDetails.properties.hint = { type: 'string', example: 'restart it' };
    const failures = strictCompileFailures(broken).join('\n');
    expect(failures).toMatch(/CheckEntry: "nullable" cannot be used without "type"/);
    expect(failures).toMatch(/ProbeDetails: strict mode: unknown keyword: "example"/);
  });
});

describe('the response checker (test/support/openapi-responses.ts)', () => {
  const ok = { statusCode: 200, headers: { 'content-type': 'application/health+json', 'cache-control': 'no-store' }, body: '{"status":"pass"}' };

  it('accepts a documented response', () => {
    expect(() => assertDocumented('GET', '/ready?verbose', { ...ok, headers: { ...ok.headers, 'content-type': 'text/plain; charset=utf-8' }, body: 'ready check passed\n' })).not.toThrow();
    expect(() => assertDocumented('GET', '/ready', ok)).not.toThrow();
  });

  it('fails on a body that breaks the schema, an undocumented status or content type, a missing documented header', () => {
    expect(() => assertDocumented('GET', '/ready', { ...ok, body: '{"status":"ok"}' })).toThrow(/body\/status must be equal to one of the allowed values/);
    expect(() => assertDocumented('GET', '/ready', { ...ok, body: '{"status":"pass","host":"db.internal"}' })).toThrow(/must NOT have additional properties/);
    expect(() => assertDocumented('GET', '/ready', { ...ok, statusCode: 202 })).toThrow(/status 202 is not documented/);
    expect(() => assertDocumented('GET', '/ready', { ...ok, headers: { ...ok.headers, 'content-type': 'application/json' } })).toThrow(/content type 'application\/json' is not one of/);
    expect(() => assertDocumented('GET', '/ready', { ...ok, headers: { 'content-type': 'application/health+json' } })).toThrow(/header Cache-Control is documented but missing/);
    expect(() => assertDocumented('GET', '/nowhere', { ...ok, statusCode: 200 })).toThrow(/not in the document/);
  });

  it('checks /diagnostics entries: an observedValue without an observedUnit fails', () => {
    const entry = { componentId: 'db', componentType: 'datastore', status: 'pass', observedValue: 3 };
    const body = {
      status: 'pass', version: '1', releaseId: '1.0.0', serviceId: 's', description: 'd',
      checks: { 'db:depth': [entry] },
      vitals: { probes: {}, system: {}, maintenance: null, shuttingDown: false, ready: { status: 'pass' }, live: { status: 'pass' }, config: {} },
    };
    const response = (b: object) => ({ statusCode: 200, headers: { 'content-type': 'application/health+json', 'cache-control': 'no-store' }, body: JSON.stringify(b) });
    expect(() => assertDocumented('GET', '/diagnostics', response(body))).toThrow(/must have property observedUnit when property observedValue is present/);
    const fixed = { ...body, checks: { 'db:depth': [{ ...entry, observedUnit: 'count' }] } };
    expect(() => assertDocumented('GET', '/diagnostics', response(fixed))).not.toThrow();
  });

  it('checks against the document it is given: a schema changed underneath fails the same response', () => {
    const broken = copy();
    broken.components.schemas.Status.enum = ['up', 'down'];
    expect(responseChecker(broken)('GET', '/ready', ok)).toEqual([expect.stringMatching(/body\/status must be equal to one of the allowed values/)]);
  });
});
