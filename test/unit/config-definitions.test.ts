import { describe, expect, it } from 'vitest';
import { probeDefinitions } from '../../probes/index.js';
import { parseConfigText } from '../../src/config/load.js';
import { PROBE_COMMON_KEYS } from '../../src/config/schema.js';
import { objectKeys } from '../../src/config/schema-walk.js';

/** The real probe table, as the config sees it. */
const definitions = Object.values(probeDefinitions);

describe('the probe table', () => {
  it('registers each definition under its own type name', () => {
    for (const [key, definition] of Object.entries(probeDefinitions)) expect(definition.type, key).toBe(key);
  });

  it('holds every type the contract lists, so none can be forgotten', () => {
    expect(Object.keys(probeDefinitions).sort()).toEqual(
      ['disk', 'dns', 'eventloop', 'heartbeat', 'http', 'memory', 'nats', 'neo4j', 'postgres', 'redis', 'tcp', 'tls'].sort(),
    );
  });
});

describe.each(definitions.map((d) => [d.type, d] as const))('probe type %s', (_type, definition) => {
  it('has no option key that shadows a common probe key', () => {
    const keys = objectKeys(definition.options) ?? [];
    expect(keys.filter((key) => PROBE_COMMON_KEYS.includes(key))).toEqual([]);
  });

  it('has default thresholds ordered by "worse" (warn before fail)', () => {
    for (const [name, spec] of Object.entries(definition.measurements)) {
      if (spec.warn === undefined || spec.fail === undefined) continue;
      const ordered = (spec.worse ?? 'higher') === 'higher' ? spec.warn <= spec.fail : spec.warn >= spec.fail;
      expect(ordered, `${definition.type}.${name}`).toBe(true);
    }
  });

  it('rejects an unknown key and an unknown measurement, with the valid ones listed', () => {
    try {
      parseConfigText(`probes:\n  - { name: x, type: ${definition.type}, bogusKey: 1, warn: { bogusMeasurement: 1 } }\n`, 't.yaml', {}, probeDefinitions);
      expect.unreachable();
    } catch (error) {
      const issues = (error as { issues: Array<{ path: string; message: string }> }).issues;
      expect(issues).toContainEqual({ path: 'probes[0].bogusKey', message: expect.stringMatching(/^unknown key/) as unknown });
      expect(issues).toContainEqual({
        path: 'probes[0].warn.bogusMeasurement',
        message: expect.stringContaining(`unknown measurement for ${definition.type}`) as unknown,
      });
    }
  });
});
