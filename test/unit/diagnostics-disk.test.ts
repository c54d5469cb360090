import { describe, expect, it } from 'vitest';
import { buildDiagnostics } from '../../src/http/diagnostics-body.js';
import { configFor, result, snapshot } from '../support/fake-state.js';

const NOW = Date.parse('2025-06-15T12:00:00.000Z');

describe('/diagnostics system.disk: from filesystem readings, whatever probe made them', () => {
  const disk = snapshot({
    name: 'data-volume',
    type: 'disk',
    componentType: 'system',
    state: 'healthy',
    last: result('pass', NOW - 1_000, {
      observations: [{ measurement: 'usedRatio', value: 0.42, unit: 'ratio' }],
      info: { path: '/var/lib/data', sizeBytes: 10_000_000, inodes: 640 },
    }),
    lastRun: NOW - 1_000,
  });
  // An http result with a path-like info but no filesystem size is not a filesystem reading.
  const web = snapshot({
    name: 'web',
    type: 'http',
    state: 'healthy',
    last: result('pass', NOW - 1_000, { info: { path: '/healthz', method: 'GET' } }),
    lastRun: NOW - 1_000,
  });
  const never = snapshot({ name: 'scratch', type: 'disk', componentType: 'system' });
  const probes = [disk, web, never];
  const body = buildDiagnostics({
    config: configFor(probes),
    probes,
    history: () => [],
    lifecycle: { shuttingDown: false, startedAt: NOW - 60_000 },
    now: NOW,
    version: '1.0.0',
    redactedConfig: {},
    secrets: [],
  });

  it('lists each reading with its path and measurements, and nothing else', () => {
    expect((body.vitals.system as { disk: unknown }).disk).toEqual({ 'data-volume': { path: '/var/lib/data', usedRatio: 0.42 } });
  });
});
