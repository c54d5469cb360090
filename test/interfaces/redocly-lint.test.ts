import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { stringify } from 'yaml';
import { openapiDocument } from '../support/openapi-responses.js';

const ROOT = new URL('../..', import.meta.url).pathname;
const REDOCLY = join(ROOT, 'node_modules/.bin/redocly');

/** `redocly lint` with the repository's redocly.yaml; its exit status and the error summary. */
function lint(file: string): { status: number | null; output: string } {
  const run = spawnSync(REDOCLY, ['lint', file, '--config', join(ROOT, 'redocly.yaml'), '--format=summary'], {
    cwd: ROOT,
    encoding: 'utf8',
    timeout: 60_000,
    env: { ...process.env, REDOCLY_TELEMETRY: 'off', REDOCLY_SUPPRESS_UPDATE_NOTICE: 'true' },
  });
  return { status: run.status, output: `${run.stdout}${run.stderr}` };
}

describe('@redocly/cli lint (recommended rules, redocly.yaml)', () => {
  const scratch = mkdtempSync(join(tmpdir(), 'vitals-redocly-'));
  afterAll(() => rmSync(scratch, { recursive: true, force: true }));

  it('reports no errors and no warnings on openapi/openapi.yaml', () => {
    const run = lint(join(ROOT, 'openapi/openapi.yaml'));
    expect(run.output).toMatch(/Your API description is valid/);
    expect(run.output).not.toMatch(/\b(error|warning)\s+\S+: \d+/);
    expect(run.status).toBe(0);
  });

  it('fails on a broken copy: a public operation without security, an OpenAPI 3.0 nullable', () => {
    const broken = structuredClone(openapiDocument) as Record<string, any>; // eslint-disable-line @typescript-eslint/no-explicit-any -- a YAML tree edited by path
    delete broken.paths['/health'].get.security;
    broken.components.schemas.CheckEntry.properties.observedValue = { nullable: true };
    const file = join(scratch, 'broken.yaml');
    writeFileSync(file, stringify(broken));
    const run = lint(file);
    expect(run.status).not.toBe(0);
    expect(run.output).toMatch(/error\s+security-defined: 1/);
    expect(run.output).toMatch(/error\s+struct: 1/); // nullable is not an OpenAPI 3.1 schema keyword
  });
});
