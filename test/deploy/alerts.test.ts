import { copyFileSync, existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { ALERTS_FILE, ALERTS_TEST_FILE, allRules } from './rules.js';
import { findTool, ROOT, runTool } from './tools.js';

/** The series of CONTRACT §6 that rules may use (plus Prometheus' own `up`). */
const CONTRACT_METRICS = new Set([
  'vitals_probe_up',
  'vitals_probe_status',
  'vitals_probe_state',
  'vitals_probe_critical',
  'vitals_probe_duration_seconds_bucket',
  'vitals_probe_duration_seconds_sum',
  'vitals_probe_duration_seconds_count',
  'vitals_probe_runs_total',
  'vitals_probe_failures_total',
  'vitals_probe_consecutive_failures',
  'vitals_probe_transitions_total',
  'vitals_probe_last_run_timestamp_seconds',
  'vitals_probe_last_success_timestamp_seconds',
  'vitals_probe_observed_value',
  'vitals_tls_cert_expiry_timestamp_seconds',
  'vitals_ready',
  'vitals_live',
  'vitals_maintenance',
  'vitals_build_info',
]);

interface ExpectedAlert {
  exp_labels?: Record<string, string>;
  exp_annotations?: Record<string, string>;
}
interface AlertCase {
  eval_time: string;
  alertname: string;
  exp_alerts?: ExpectedAlert[];
}
interface UnitTestFile {
  rule_files: string[];
  tests: { alert_rule_test?: AlertCase[] }[];
}

const rules = allRules();
const unitTests = parse(readFileSync(ALERTS_TEST_FILE, 'utf8')) as UnitTestFile;
const cases = unitTests.tests.flatMap((test) => test.alert_rule_test ?? []);

describe('alert rules: shape', () => {
  it.each(rules.map((rule) => [`${rule.alert} (${rule.labels?.severity ?? 'no severity'})`, rule] as const))(
    '%s has for, severity and summary/description/hint',
    (_name, rule) => {
      expect(rule.alert).toMatch(/^Vitals[A-Z][A-Za-z]+$/);
      expect(rule.for, 'every alert waits before firing').toMatch(/^\d+[smh]$/);
      expect(['critical', 'warning']).toContain(rule.labels?.severity);
      for (const key of ['summary', 'description', 'hint']) {
        expect(rule.annotations?.[key]?.trim().length ?? 0, `${rule.alert} annotation ${key}`).toBeGreaterThan(20);
      }
    },
  );

  it('uses the metric names of CONTRACT §6, and any other only where vitals exports it', () => {
    const used = new Set(rules.flatMap((rule) => rule.expr.match(/\bvitals_[a-z_]+/g) ?? []));
    expect(used.size).toBeGreaterThan(5);
    // The probe families are written in probe-series.ts, the service gauges in metrics.ts: every source of src/metrics.
    const dir = join(ROOT, 'src/metrics');
    const exported = readdirSync(dir)
      .filter((file) => file.endsWith('.ts'))
      .map((file) => readFileSync(join(dir, file), 'utf8'))
      .join('\n');
    for (const name of used) {
      if (CONTRACT_METRICS.has(name)) continue;
      // e.g. vitals_probe_interval_seconds, used by VitalsProbeStale with a fallback
      expect(exported, `metric ${name} is neither in CONTRACT §6 nor exported by src/metrics`).toContain(`'${name}'`);
    }
  });

  it('uses only measurements that the probe of that type reports', () => {
    const pairs = rules.flatMap((rule) =>
      [...rule.expr.matchAll(/type="(\w+)",measurement=~?"([\w|]+)"/g)].flatMap((m) =>
        (m[2] ?? '').split('|').map((measurement) => [m[1] ?? '', measurement] as const),
      ),
    );
    expect(pairs.length).toBeGreaterThanOrEqual(5);
    for (const [type, measurement] of pairs) {
      const source = join(ROOT, 'probes', `${type}.ts`);
      expect(existsSync(source), `probes/${type}.ts exists`).toBe(true);
      expect(readFileSync(source, 'utf8'), `probes/${type}.ts reports ${measurement}`).toMatch(new RegExp(`['"]${measurement}['"]`));
    }
  });

  it('covers every alert the deployment issue asks for', () => {
    const names = new Set(rules.map((rule) => rule.alert));
    for (const name of [
      'VitalsCriticalProbeUnhealthy', 'VitalsNotReady', 'VitalsProbeDegraded', 'VitalsProbeStale',
      'VitalsProbeFlapping', 'VitalsTLSCertificateExpiring', 'VitalsPostgresConnectionsHigh',
      'VitalsRedisMemoryHigh', 'VitalsNatsSlowConsumers', 'VitalsDiskSpaceLow', 'VitalsDown',
    ]) {
      expect(names, name).toContain(name);
    }
    const tls = rules.filter((rule) => rule.alert === 'VitalsTLSCertificateExpiring');
    expect(tls.map((rule) => rule.labels?.severity).sort()).toEqual(['critical', 'warning']);
    expect(tls.find((rule) => rule.labels?.severity === 'warning')?.expr).toContain('14 * 86400');
    expect(tls.find((rule) => rule.labels?.severity === 'critical')?.expr).toContain('3 * 86400');
  });

  it('has unit tests that make every rule fire (per severity) and hold back every alert', () => {
    for (const rule of rules) {
      const severity = rule.labels?.severity;
      const fires = cases.some(
        (c) => c.alertname === rule.alert && (c.exp_alerts ?? []).some((a) => a.exp_labels?.severity === severity),
      );
      const holds = cases.some((c) => c.alertname === rule.alert && (c.exp_alerts ?? []).length === 0);
      expect(fires, `${rule.alert} ${severity} never fires in alerts.test.yml`).toBe(true);
      expect(holds, `${rule.alert} is never shown not firing in alerts.test.yml`).toBe(true);
    }
  });
});

const promtool = findTool('promtool');

describe.skipIf(promtool === null)('alert rules: promtool', () => {
  const tool = promtool ?? 'promtool';
  const scratch = mkdtempSync(join(tmpdir(), 'vitals-promtool-'));
  afterAll(() => rmSync(scratch, { recursive: true, force: true }));

  it('promtool check rules accepts alerts.yml', () => {
    const run = runTool(tool, ['check', 'rules', ALERTS_FILE]);
    expect(run.output).toContain(`SUCCESS: ${rules.length} rules found`);
    expect(run.status, run.output).toBe(0);
  });

  it('promtool test rules passes alerts.test.yml', () => {
    const run = runTool(tool, ['test', 'rules', ALERTS_TEST_FILE]);
    expect(run.status, run.output).toBe(0);
    expect(run.output).toContain('SUCCESS');
  });

  // The unit tests must bind the rules: a weakened copy has to fail them.
  it.each([
    ['a later `for:` on VitalsNotReady', 'for: 3m\n        labels:\n          severity: critical', 'for: 10m\n        labels:\n          severity: critical', 'VitalsNotReady'],
    ['a higher Postgres warning threshold', 'measurement="connectionsUtilization"} > 0.8', 'measurement="connectionsUtilization"} > 0.9', 'VitalsPostgresConnectionsHigh'],
    ['stale after 10 intervals instead of 3', '3 * (\n', '10 * (\n', 'VitalsProbeStale'],
    ['a dropped hint', 'Find who holds them', 'Find whoever holds them', 'VitalsPostgresConnectionsHigh'],
    [
      'no root-cause suppression (a dependent pages alongside its root)',
      'unless on(instance, job, probe)\n          vitals_probe_dependency_failing == 1\n        for: 1m',
      'unless on(instance, job, probe)\n          vitals_probe_dependency_failing == 2\n        for: 1m',
      'VitalsCriticalProbeUnhealthy',
    ],
  ])('promtool test rules fails for %s', (_what, from, to, alertname) => {
    const source = readFileSync(ALERTS_FILE, 'utf8');
    expect(source, 'mutation anchor still present').toContain(from);
    const dir = mkdtempSync(join(scratch, 'mutant-'));
    writeFileSync(join(dir, 'alerts.yml'), source.replace(from, to));
    copyFileSync(ALERTS_TEST_FILE, join(dir, 'alerts.test.yml'));
    const run = runTool(tool, ['test', 'rules', join(dir, 'alerts.test.yml')]);
    expect(run.status).not.toBe(0);
    expect(run.output).toContain(`alertname: ${alertname}`);
  });
});
