import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { ROOT } from './tools.js';

export const CLI = join(ROOT, 'dist/src/cli/main.js');

export interface ProbeEntry {
  name: string;
  type: string;
  url?: string;
  host?: string;
  port?: number;
  monitorUrl?: string;
  critical?: boolean;
  interval?: string;
}

export interface VitalsFile {
  server?: { host?: string; port?: number };
  shutdown?: { drainDelay?: string; timeout?: string };
  probes: ProbeEntry[];
}

/** Every network endpoint a probe talks to, as host and port. */
export function probeTargets(probe: ProbeEntry): { probe: string; host: string; port: number }[] {
  const targets: { probe: string; host: string; port: number }[] = [];
  const defaults: Record<string, number> = { 'postgres:': 5432, 'postgresql:': 5432, 'redis:': 6379, 'nats:': 4222, 'bolt:': 7687, 'neo4j:': 7687, 'http:': 80, 'https:': 443 };
  for (const raw of [probe.url, probe.monitorUrl]) {
    if (raw === undefined) continue;
    const url = new URL(raw);
    targets.push({ probe: probe.name, host: url.hostname, port: url.port === '' ? (defaults[url.protocol] ?? 0) : Number(url.port) });
  }
  if (probe.host !== undefined) targets.push({ probe: probe.name, host: probe.host, port: probe.port ?? 443 });
  return targets;
}

/** `vitals config validate --config FILE` with exactly `env`; the built CLI must exist. */
export function validateWithCli(file: string, env: Record<string, string>): { status: number | null; output: string } {
  if (!existsSync(CLI)) throw new Error(`${CLI} is missing: run npm run build (npm ci does it via prepare)`);
  const run = spawnSync(process.execPath, [CLI, 'config', 'validate', '--config', file], {
    env: { PATH: process.env.PATH ?? '', ...env },
    encoding: 'utf8',
    timeout: 20_000,
  });
  return { status: run.status, output: `${run.stdout}${run.stderr}` };
}
