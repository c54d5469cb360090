import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { spawnVitals } from '../support/vitals-process.js';

const EXAMPLE = fileURLToPath(new URL('../../examples/probes/queue-backlog.mjs', import.meta.url));
const dir = mkdtempSync(join(tmpdir(), 'vitals-custom-cli-'));
let stats: http.Server;
let statsUrl = '';

beforeAll(async () => {
  stats = http.createServer((_req, res) => res.writeHead(200, { 'content-type': 'application/json' }).end('{"waiting": 7}'));
  await new Promise<void>((resolve) => stats.listen(0, '127.0.0.1', resolve));
  statsUrl = `http://127.0.0.1:${(stats.address() as AddressInfo).port}`;
});
afterAll(async () => {
  await new Promise((resolve) => stats.close(resolve));
  rmSync(dir, { recursive: true, force: true });
});

describe('custom probes through the real CLI (Node\'s own module loader)', () => {
  it('vitals check runs the shipped example and reports it as type custom', async () => {
    const config = join(dir, 'ok.yaml');
    writeFileSync(config, `probes:\n  - { name: video-jobs, type: custom, module: ${EXAMPLE}, url: "${statsUrl}", queue: video }\n`);
    const run = spawnVitals(['check', '--json', '--config', config]);
    expect(await run.exited, run.stderr()).toBe(0);
    const body = JSON.parse(run.stdout()) as { probes: Array<Record<string, unknown>> };
    expect(body.probes[0]).toMatchObject({ name: 'video-jobs', type: 'custom', status: 'pass' });
  });

  it.each([
    ['a syntax error', 'export default {{;\n', /probes\[0\]\.module: cannot load \.\/bad\.mjs .*SyntaxError/],
    ['a missing export', 'export const x = 1;\n', /probes\[0\]\.module: \.\/bad\.mjs exports no probe/],
  ])('config validate: %s → exit 2, one line with the path, no stack trace', async (_name, source, line) => {
    const sub = mkdtempSync(join(dir, 'bad-'));
    writeFileSync(join(sub, 'bad.mjs'), source);
    writeFileSync(join(sub, 'vitals.yaml'), 'probes:\n  - { name: job, type: custom, module: ./bad.mjs }\n');
    const run = spawnVitals(['config', 'validate', '--config', join(sub, 'vitals.yaml')]);
    expect(await run.exited).toBe(2);
    expect(run.stderr()).toMatch(line);
    expect(run.stderr()).not.toMatch(/\n\s+at /);
  });
});
