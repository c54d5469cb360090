import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import net from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { stringify } from 'yaml';
import { loadRuleGroups } from '../deploy/rules.js';
import { findTool } from '../deploy/tools.js';
import { freePort, waitForPort } from '../support/net.js';
import { startProcess, type ManagedProcess } from '../support/process.js';
import { spawnVitals, type VitalsProcess } from '../support/vitals-process.js';

/**
 * The real chain: the built vitals process probes a TCP listener this test
 * controls, the Debian Prometheus server scrapes it every second and
 * evaluates a copy of deploy/prometheus/alerts.yml whose `for:` are 1s; then
 * the listener goes away and the alert must appear in Prometheus' API; then
 * vitals itself hangs (SIGSTOP, always resumed) and VitalsDown must fire.
 * A second probe of the same listener depends on the first (dependsOn): it
 * fails too, and the shipped rules must page for the root only.
 * Whole file well under 60 s.
 */

interface Sample {
  metric: Record<string, string>;
  value: [number, string];
}
interface ActiveAlert {
  labels: Record<string, string>;
  annotations: Record<string, string>;
  state: 'pending' | 'firing';
}

const prometheusBinary = findTool('prometheus');

describe.skipIf(prometheusBinary === null)('vitals scraped by a real Prometheus', () => {
  const scratch = mkdtempSync(join(tmpdir(), 'vitals-prom-e2e-'));
  const sockets = new Set<net.Socket>();
  let backend: net.Server | undefined;
  let vitals: VitalsProcess | undefined;
  let prometheus: ManagedProcess | undefined;
  let promUrl = '';

  async function query(promql: string): Promise<Sample[]> {
    const response = await fetch(`${promUrl}/api/v1/query?query=${encodeURIComponent(promql)}`, { signal: AbortSignal.timeout(3_000) });
    const body = (await response.json()) as { status: string; data: { result: Sample[] } };
    expect(body.status).toBe('success');
    return body.data.result;
  }

  async function alerts(): Promise<ActiveAlert[]> {
    const response = await fetch(`${promUrl}/api/v1/alerts`, { signal: AbortSignal.timeout(3_000) });
    const body = (await response.json()) as { data: { alerts: ActiveAlert[] } };
    return body.data.alerts;
  }

  /** Polls `read` until `done` holds or the deadline passes; returns the last value. */
  async function until<T>(read: () => Promise<T>, done: (value: T) => boolean, timeoutMs: number): Promise<T> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      let value: T | undefined;
      try {
        value = await read();
        if (done(value)) return value;
      } catch {
        // Prometheus still starting; try again
      }
      if (Date.now() > deadline) {
        if (value !== undefined) return value;
        throw new Error(`no answer within ${timeoutMs} ms\nvitals:\n${vitals?.stdout() ?? ''}${vitals?.stderr() ?? ''}\nprometheus:\n${prometheus?.output() ?? ''}`);
      }
      await new Promise((resolve) => setTimeout(resolve, 250));
    }
  }

  beforeAll(async () => {
    // The dependency: accepts and closes connections, until the test removes it.
    const backendPort = await freePort();
    backend = net.createServer((socket) => {
      sockets.add(socket);
      socket.on('close', () => sockets.delete(socket));
      socket.end();
    });
    await new Promise<void>((resolve) => backend?.listen(backendPort, '127.0.0.1', resolve));

    const vitalsPort = await freePort();
    const vitalsConfig = join(scratch, 'vitals.yaml');
    writeFileSync(
      vitalsConfig,
      stringify({
        service: { id: 'e2e-prometheus' },
        server: { host: '127.0.0.1', port: vitalsPort },
        shutdown: { drainDelay: '0s', timeout: '5s' },
        probes: [
          { name: 'backend', type: 'tcp', host: '127.0.0.1', port: backendPort, interval: '1s', timeout: '500ms' },
          // Unhealthy only after 4 failed runs: by then the root's latest run has failed too (same 1 s interval),
          // so with the test's 1 s `for:` there is no window in which it fails while its root still passes.
          {
            name: 'backend-app', type: 'tcp', host: '127.0.0.1', port: backendPort, interval: '1s', timeout: '500ms',
            failureThreshold: 4, dependsOn: ['backend'],
          },
          { name: 'disk', type: 'disk', path: scratch, critical: false },
          { name: 'eventloop', type: 'eventloop' },
        ],
      }),
    );
    vitals = spawnVitals(['serve', '--config', vitalsConfig]);
    await vitals.waitForLog(/vitals listening/);

    // A test copy of the shipped rules: every `for:` shortened to 1s, evaluated every second.
    const groups = loadRuleGroups().map((group) => ({
      ...group,
      interval: '1s',
      rules: group.rules.map((rule) => ({ ...rule, for: '1s' })),
    }));
    writeFileSync(join(scratch, 'alerts.yml'), stringify({ groups }));
    writeFileSync(
      join(scratch, 'prometheus.yml'),
      stringify({
        global: { scrape_interval: '1s', scrape_timeout: '900ms', evaluation_interval: '1s' },
        rule_files: ['alerts.yml'],
        scrape_configs: [{ job_name: 'vitals', static_configs: [{ targets: [`127.0.0.1:${vitalsPort}`] }] }],
      }),
    );
    const promPort = await freePort();
    promUrl = `http://127.0.0.1:${promPort}`;
    prometheus = startProcess(prometheusBinary ?? 'prometheus', [
      `--config.file=${join(scratch, 'prometheus.yml')}`,
      `--storage.tsdb.path=${join(scratch, 'data')}`,
      `--web.listen-address=127.0.0.1:${promPort}`,
      '--storage.tsdb.retention.time=1h',
      '--log.level=warn',
    ]);
    await waitForPort(promPort, 20_000);
  }, 40_000);

  /** SIGCONT for a vitals paused by a test; harmless when it runs. */
  function resumeVitals(): void {
    const pid = vitals?.child.pid;
    if (pid !== undefined && vitals?.child.exitCode === null) process.kill(pid, 'SIGCONT');
  }

  afterAll(async () => {
    resumeVitals();
    await prometheus?.stop(5_000);
    if (vitals) {
      vitals.kill('SIGTERM');
      const timer = setTimeout(() => vitals?.kill('SIGKILL'), 8_000);
      await vitals.exited;
      clearTimeout(timer);
    }
    for (const socket of sockets) socket.destroy();
    await new Promise<void>((resolve) => (backend?.listening ? backend.close(() => resolve()) : resolve()));
    rmSync(scratch, { recursive: true, force: true });
  }, 20_000);

  it('scrapes vitals: ready, one vitals_probe_up series per probe, no alert yet', async () => {
    const ready = await until(() => query('vitals_ready{job="vitals"}'), (r) => r[0]?.value[1] === '1', 20_000);
    expect(ready.map((s) => s.value[1])).toEqual(['1']);
    const up = await query('vitals_probe_up');
    expect(up.map((s) => s.metric.probe).sort()).toEqual(['backend', 'backend-app', 'disk', 'eventloop']);
    expect(up.find((s) => s.metric.probe === 'backend')?.value[1]).toBe('1');
    expect((await query('up{job="vitals"}'))[0]?.value[1]).toBe('1');
    const active = await alerts();
    expect(active.filter((a) => a.labels.alertname === 'VitalsCriticalProbeUnhealthy')).toEqual([]);
  }, 25_000);

  it('fires VitalsCriticalProbeUnhealthy and VitalsNotReady once the dependency goes away', async () => {
    const started = Date.now();
    await new Promise<void>((resolve) => {
      backend?.close(() => resolve());
      for (const socket of sockets) socket.destroy();
    });

    const isFiring = (list: ActiveAlert[], name: string): boolean =>
      list.some((a) => a.labels.alertname === name && a.state === 'firing' && (name !== 'VitalsCriticalProbeUnhealthy' || a.labels.probe === 'backend'));
    const active = await until(alerts, (list) => isFiring(list, 'VitalsCriticalProbeUnhealthy') && isFiring(list, 'VitalsNotReady'), 25_000);
    // The dependent is unhealthy as well, and known to fail because of its root.
    await until(() => query('vitals_probe_state{probe="backend-app",state="unhealthy"} == 1'), (r) => r.length === 1, 15_000);
    expect((await query('vitals_probe_dependency_failing{probe="backend-app"}'))[0]?.value[1]).toBe('1');
    // Two more rule evaluations (1 s each) with the dependent unhealthy: still no alert for it.
    await new Promise((resolve) => setTimeout(resolve, 2_500));
    const later = await alerts();

    const unhealthy = active.find((a) => a.labels.alertname === 'VitalsCriticalProbeUnhealthy');
    expect(unhealthy?.state).toBe('firing');
    expect(unhealthy?.labels).toMatchObject({ probe: 'backend', type: 'tcp', severity: 'critical', job: 'vitals' });
    expect(unhealthy?.annotations.hint).toContain('/diagnostics?probe=backend');
    expect(active.find((a) => a.labels.alertname === 'VitalsNotReady')?.state).toBe('firing');
    // Only the root: the dependent is suppressed (one page per outage), disk and eventloop stay quiet.
    expect(active.filter((a) => a.labels.alertname === 'VitalsCriticalProbeUnhealthy').map((a) => a.labels.probe)).toEqual(['backend']);
    expect(later.filter((a) => a.labels.alertname === 'VitalsCriticalProbeUnhealthy').map((a) => a.labels.probe)).toEqual(['backend']);
    expect((await query('vitals_ready{job="vitals"}'))[0]?.value[1]).toBe('0');
    expect((await query('vitals_probe_failures_total{probe="backend",reason="refused"} > 0')).length).toBe(1);
    // 2 failed runs at 1 s, a 1 s scrape, 1 s rule evaluations: seconds, not tens of seconds.
    expect(Date.now() - started).toBeLessThan(20_000);
  }, 30_000);

  it('fires VitalsDown when vitals hangs and stops answering scrapes (SIGSTOP)', async () => {
    const pid = vitals?.child.pid;
    expect(pid).toBeDefined();
    process.kill(pid as number, 'SIGSTOP');
    try {
      const active = await until(alerts, (list) => list.some((a) => a.labels.alertname === 'VitalsDown' && a.state === 'firing'), 20_000);
      const down = active.find((a) => a.labels.alertname === 'VitalsDown');
      expect(down?.state).toBe('firing');
      expect(down?.labels).toMatchObject({ job: 'vitals', severity: 'critical' });
      expect((await query('up{job="vitals"}'))[0]?.value[1]).toBe('0');
    } finally {
      resumeVitals();
    }
    // Back: scrapes succeed again.
    const up = await until(() => query('up{job="vitals"}'), (r) => r[0]?.value[1] === '1', 15_000);
    expect(up[0]?.value[1]).toBe('1');
  }, 40_000);
});
