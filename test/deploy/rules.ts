import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parse } from 'yaml';
import { ROOT } from './tools.js';

export interface AlertRule {
  alert: string;
  expr: string;
  for?: string;
  labels?: Record<string, string>;
  annotations?: Record<string, string>;
}

export interface RuleGroup {
  name: string;
  rules: AlertRule[];
}

export const ALERTS_FILE = join(ROOT, 'deploy/prometheus/alerts.yml');
export const ALERTS_TEST_FILE = join(ROOT, 'deploy/prometheus/alerts.test.yml');

export function loadRuleGroups(path = ALERTS_FILE): RuleGroup[] {
  const parsed = parse(readFileSync(path, 'utf8')) as { groups: RuleGroup[] };
  return parsed.groups;
}

export function allRules(groups: RuleGroup[] = loadRuleGroups()): AlertRule[] {
  return groups.flatMap((group) => group.rules);
}
