import { describe, expect, it } from 'vitest';
import { BodyCache } from '../../src/http/body-cache.js';
import { buildDiagnostics, type DiagnosticsBody, type DiagnosticsInput } from '../../src/http/diagnostics-body.js';
import { DiagnosticsRenderer } from '../../src/http/diagnostics-render.js';
import { configFor, result, snapshot } from '../support/fake-state.js';

const NOW = Date.parse('2025-06-15T12:00:00.000Z');
const SECRET = 'hunter2-s3cret';

function inputFor(count: number, overrides: Partial<DiagnosticsInput> = {}): DiagnosticsInput {
  const probes = Array.from({ length: count }, (_, i) =>
    snapshot({
      name: `p${i}`,
      type: 'tcp',
      state: i % 7 === 0 ? 'unhealthy' : 'healthy',
      last: result(i % 7 === 0 ? 'fail' : 'pass', NOW - 500, {
        ...(i % 7 === 0 ? { reason: 'refused', message: `refused; password=${SECRET}` } : {}),
        observations: [{ measurement: 'connectMs', value: 1.5, unit: 'ms' }],
      }),
      lastRun: NOW - 500,
    }),
  );
  return {
    config: configFor(probes),
    probes,
    history: (name) => [result('pass', NOW - 1_500), result('fail', NOW - 500, { message: `${name} down ${SECRET}` })],
    lifecycle: { shuttingDown: false, startedAt: NOW - 60_000 },
    now: NOW,
    version: '1.0.0',
    redactedConfig: { probes: 'masked' },
    secrets: [SECRET],
    ...overrides,
  };
}

/** Memory and load change between two renders; everything else must match. */
function withoutSystem(body: DiagnosticsBody): unknown {
  return { ...body, vitals: { ...body.vitals, system: Object.keys(body.vitals.system) } };
}

describe('DiagnosticsRenderer: the /diagnostics text, per probe cached', () => {
  it('renders exactly what buildDiagnostics builds, filter included, and no secret', async () => {
    const input = inputFor(30);
    const renderer = new DiagnosticsRenderer();
    const text = await renderer.render(input);
    expect(withoutSystem(JSON.parse(text))).toEqual(withoutSystem(buildDiagnostics(input)));
    expect(text).not.toContain(SECRET);
    const only = { ...input, only: new Set(['p3', 'p7']) };
    expect(withoutSystem(JSON.parse(await renderer.render(only)))).toEqual(withoutSystem(buildDiagnostics(only)));
  });

  it('re-renders a probe only when its snapshot is replaced', async () => {
    const input = inputFor(3);
    const renderer = new DiagnosticsRenderer();
    const calls: string[] = [];
    const history = (name: string) => (calls.push(name), input.history(name));
    await renderer.render({ ...input, history });
    expect(calls).toEqual(['p0', 'p1', 'p2']);
    const replaced = [input.probes[0]!, { ...input.probes[1]!, lastRun: NOW - 100 }, input.probes[2]!];
    await renderer.render({ ...input, probes: replaced, history });
    expect(calls).toEqual(['p0', 'p1', 'p2', 'p1']);
  });

  it('yields to the event loop while rendering 1,000 probes', async () => {
    const input = inputFor(1_000);
    let ticks = 0;
    const timer = setInterval(() => ticks++, 1);
    const started = performance.now();
    const text = await new DiagnosticsRenderer().render(input);
    const elapsed = performance.now() - started;
    clearInterval(timer);
    expect(JSON.parse(text).vitals.probes.p999.status).toBe('pass');
    // A render longer than one slice must have let timers run in between.
    if (elapsed > 30) expect(ticks).toBeGreaterThan(0);
  });
});

describe('BodyCache', () => {
  it('shares a body per variant while younger than the max age and the version matches', async () => {
    let now = 0;
    const cache = new BodyCache<string>(1_000, () => now);
    let renders = 0;
    const render = async () => `body ${++renders}`;
    expect(await cache.get('a', 'v1', render)).toBe('body 1');
    now = 999;
    expect(await cache.get('a', 'v1', render)).toBe('body 1');
    expect(await cache.get('b', 'v1', render)).toBe('body 2');
    expect(await cache.get('a', 'v2', render)).toBe('body 3');
    now = 2_000;
    expect(await cache.get('a', 'v2', render)).toBe('body 4');
  });

  it('does not keep a failed render', async () => {
    const cache = new BodyCache<string>(1_000, () => 0);
    await expect(cache.get('a', 'v', () => Promise.reject(new Error('boom')))).rejects.toThrow('boom');
    expect(await cache.get('a', 'v', async () => 'ok')).toBe('ok');
  });
});
