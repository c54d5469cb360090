#!/usr/bin/env node
// Writes deploy/k8s/prometheusrule.yaml from deploy/prometheus/alerts.yml, so
// the Prometheus Operator gets exactly the rules that promtool tests.
// Run after every change to alerts.yml:
//   node deploy/k8s/generate-prometheusrule.mjs
// test/deploy/k8s.test.ts fails when the two differ.
import { readFileSync, writeFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { parse, stringify } from 'yaml';

const alertsPath = fileURLToPath(new URL('../prometheus/alerts.yml', import.meta.url));
const outputPath = fileURLToPath(new URL('./prometheusrule.yaml', import.meta.url));

const { groups } = parse(readFileSync(alertsPath, 'utf8'));
const resource = {
  apiVersion: 'monitoring.coreos.com/v1',
  kind: 'PrometheusRule',
  metadata: {
    name: 'vitals',
    labels: { 'app.kubernetes.io/name': 'vitals' },
  },
  spec: { groups },
};
const header = [
  '# GENERATED from deploy/prometheus/alerts.yml by',
  '# `node deploy/k8s/generate-prometheusrule.mjs`; edit alerts.yml, not this file.',
  '# The Prometheus Operator selects PrometheusRules by label (often',
  '# `release: <helm release>`): add that label if yours does.',
  '',
].join('\n');
writeFileSync(outputPath, header + stringify(resource, { lineWidth: 0 }));
console.log(`wrote ${outputPath}`);
