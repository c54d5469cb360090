import { describe, expect, it } from 'vitest';
import { parseConfigText } from '../../src/config/load.js';
import type { VitalsConfig } from '../../src/core/settings.js';
import { planReload } from '../../src/reload/plan.js';

/** CONTRACT §10: what a new config changes, probe by probe and by name. */

function config(text: string): VitalsConfig {
  return parseConfigText(text, '/etc/vitals/vitals.yaml', {});
}

const BASE = `
server: { host: 127.0.0.1, port: 8080 }
auth: { token: old-token-1234 }
probes:
  - { name: a, type: tcp, host: 127.0.0.1, port: 1 }
  - { name: b, type: tcp, host: 127.0.0.1, port: 2 }
  - { name: c, type: tcp, host: 127.0.0.1, port: 3 }
`;

describe('planReload', () => {
  it('sorts probes by name into unchanged, changed, added and removed', () => {
    const next = config(`
server: { host: 127.0.0.1, port: 8080 }
auth: { token: old-token-1234 }
probes:
  - { name: d, type: tcp, host: 127.0.0.1, port: 4 }
  - { name: a, type: tcp, host: 127.0.0.1, port: 1 }
  - { name: b, type: tcp, host: 127.0.0.1, port: 2, interval: 45s }
`);
    const plan = planReload(config(BASE), next);
    expect(plan.unchanged).toEqual(['a']);
    expect(plan.changed.map((p) => p.name)).toEqual(['b']);
    expect(plan.added.map((p) => p.name)).toEqual(['d']);
    expect(plan.removed.map((p) => p.name)).toEqual(['c']);
    expect(plan.notApplied).toEqual([]);
    expect(plan.config.probes.map((p) => p.name)).toEqual(['d', 'a', 'b']);
  });

  it('an identical file changes nothing', () => {
    const plan = planReload(config(BASE), config(BASE));
    expect(plan.unchanged).toEqual(['a', 'b', 'c']);
    expect([...plan.changed, ...plan.added, ...plan.removed]).toEqual([]);
  });

  it('a changed default counts as a change of every probe it reaches', () => {
    const next = config(BASE.replace('probes:', 'defaults: { failureThreshold: 5 }\nprobes:'));
    expect(planReload(config(BASE), next).changed.map((p) => p.name)).toEqual(['a', 'b', 'c']);
  });

  it('a new type under an old name is a removal and an addition (no state or series carried over)', () => {
    const next = config(BASE.replace('{ name: c, type: tcp, host: 127.0.0.1, port: 3 }', '{ name: c, type: disk, path: / }'));
    const plan = planReload(config(BASE), next);
    expect(plan.removed.map((p) => `${p.name}:${p.type}`)).toEqual(['c:tcp']);
    expect(plan.added.map((p) => `${p.name}:${p.type}`)).toEqual(['c:disk']);
  });

  it('server.host/port changes are not applied and say so', () => {
    const plan = planReload(config(BASE), config(BASE.replace('port: 8080', 'port: 9090')));
    expect(plan.config.server).toEqual({ host: '127.0.0.1', port: 8080 });
    expect(plan.notApplied).toHaveLength(1);
    expect(plan.notApplied[0]).toMatch(/server\.host\/server\.port changed \(127\.0\.0\.1:8080 → 127\.0\.0\.1:9090\): a restart is needed/);
  });

  it('a new token value applies; removing the token does not (it would open the admin API) and stays masked', () => {
    const changed = planReload(config(BASE), config(BASE.replace('old-token-1234', 'new-token-5678')));
    expect(changed.config.auth.token).toBe('new-token-5678');
    expect(changed.notApplied).toEqual([]);
    expect(changed.config.secrets.all).toEqual(expect.arrayContaining(['old-token-1234', 'new-token-5678']));

    const removed = planReload(config(BASE), config(BASE.replace('auth: { token: old-token-1234 }\n', '')));
    expect(removed.config.auth.token).toBe('old-token-1234');
    expect(removed.notApplied[0]).toMatch(/auth\.token was removed: a restart is needed/);
    expect(removed.config.secrets.all).toContain('old-token-1234');

    const added = planReload(config(BASE.replace('auth: { token: old-token-1234 }\n', '')), config(BASE));
    expect(added.config.auth.token).toBeUndefined();
    expect(added.notApplied[0]).toMatch(/auth\.token was added: a restart is needed/);
  });

  it('service, shutdown and protectMetrics apply as written', () => {
    const next = config(BASE.replace('probes:', 'service: { id: renamed }\nshutdown: { drainDelay: 1s, timeout: 9s }\nprobes:').replace('token: old-token-1234', 'token: old-token-1234, protectMetrics: true'));
    const plan = planReload(config(BASE), next);
    expect(plan.config.service.id).toBe('renamed');
    expect(plan.config.shutdown).toEqual({ drainDelayMs: 1_000, timeoutMs: 9_000 });
    expect(plan.config.auth.protectMetrics).toBe(true);
    expect(plan.unchanged).toEqual(['a', 'b', 'c']);
  });
});
