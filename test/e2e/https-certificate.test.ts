import { X509Certificate } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestPki, type TestPki } from '../support/certs.js';
import { startHttpUpstream, type HttpUpstream } from '../support/http-upstream.js';
import { freePort, waitForPort } from '../support/net.js';
import { parseExposition, type Exposition } from '../support/prom-text.js';
import { spawnVitals, type VitalsProcess } from '../support/vitals-process.js';

/**
 * The blackbox_exporter comparison of issue 11, on the built service: an http
 * probe on https:// exports the certificate expiry and shows the chain in
 * /diagnostics — for a valid certificate and for an expired one that fails
 * the run. Whole file well under 30 s.
 */

const notAfterSeconds = (pem: string): number => Math.floor(Date.parse(new X509Certificate(pem).validTo) / 1000);

describe('https http probes through the running service', () => {
  let pki: TestPki;
  let valid: HttpUpstream;
  let expired: HttpUpstream;
  let vitals: VitalsProcess | undefined;
  let base = '';
  const dir = mkdtempSync(join(tmpdir(), 'vitals-https-e2e-'));

  beforeAll(async () => {
    pki = await createTestPki();
    valid = await startHttpUpstream({ tls: pki.valid });
    expired = await startHttpUpstream({ tls: pki.expired });
    const port = await freePort();
    const config = join(dir, 'vitals.yaml');
    writeFileSync(
      config,
      [
        'service: { id: https-e2e }',
        `server: { host: 127.0.0.1, port: ${port} }`,
        'probes:',
        `  - { name: api, type: http, url: "${valid.origin}/ok", ca: ${pki.ca.certFile}, interval: 2s, timeout: 1s }`,
        `  - { name: old, type: http, url: "${expired.origin}/ok", ca: ${pki.ca.certFile}, interval: 2s, timeout: 1s, critical: false }`,
        '',
      ].join('\n'),
    );
    vitals = spawnVitals(['serve', '--config', config]);
    await waitForPort(port);
    base = `http://127.0.0.1:${port}`;
  }, 30_000);

  afterAll(async () => {
    vitals?.kill();
    await vitals?.exited;
    await Promise.all([valid?.close(), expired?.close()]);
    await pki?.cleanup();
    rmSync(dir, { recursive: true, force: true });
  });

  /** Polls /metrics until both probes have run once. */
  async function metricsAfterFirstRuns(): Promise<Exposition> {
    const deadline = Date.now() + 10_000;
    for (;;) {
      const metrics = parseExposition(await (await fetch(`${base}/metrics`)).text());
      const ran = metrics.find('vitals_probe_runs_total').filter((s) => s.value > 0).map((s) => s.labels.probe);
      if ((ran.includes('api') && ran.includes('old')) || Date.now() > deadline) return metrics;
      await new Promise((resolve) => setTimeout(resolve, 200));
    }
  }

  it('exports vitals_tls_cert_expiry_timestamp_seconds for both, the expired one through its failed run', async () => {
    const metrics = await metricsAfterFirstRuns();
    expect(metrics.value('vitals_tls_cert_expiry_timestamp_seconds', { probe: 'api', type: 'http' })).toBe(notAfterSeconds(pki.valid.cert));
    expect(metrics.value('vitals_tls_cert_expiry_timestamp_seconds', { probe: 'old', type: 'http' })).toBe(notAfterSeconds(pki.expired.cert));
    expect(metrics.value('vitals_probe_observed_value', { probe: 'api', measurement: 'daysUntilExpiry' })).toBeGreaterThan(89);
  });

  it('shows the chain in /diagnostics for the passing and the refused certificate', async () => {
    await metricsAfterFirstRuns();
    const response = await fetch(`${base}/diagnostics`);
    const body = (await response.json()) as { vitals: { probes: Record<string, { info: Record<string, unknown> | null; reason: string | null }> } };
    expect(body.vitals.probes.api?.info).toMatchObject({ subject: 'valid', issuer: 'vitals test CA', verification: 'ok' });
    expect(body.vitals.probes.old).toMatchObject({ reason: 'tls', info: { subject: 'expired', issuer: 'vitals test CA' } });
  });
});
