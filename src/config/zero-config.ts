import type { ConfigIssue } from './errors.js';
import type { DefinitionTable } from './probe-settings.js';

/**
 * The config used when there is no file (CONTRACT §5): the service's own
 * probes, plus one probe per well-known connection variable that is set.
 * Produced as a config tree and validated like a file, so its probes get the
 * same defaults and checks.
 */
export interface ZeroConfigTree {
  tree: Record<string, unknown>;
  /** probes[i] option key → the variable it came from, to name it in errors. */
  origins: Map<number, Record<string, string>>;
}

interface Candidate {
  type: 'postgres' | 'redis' | 'nats' | 'neo4j';
  /** option key → variable names, first set one wins */
  from: Record<string, string[]>;
  /** The option key whose variable decides whether the probe exists. */
  trigger: string;
}

const DEPENDENCIES: Candidate[] = [
  { type: 'postgres', trigger: 'url', from: { url: ['DATABASE_URL', 'POSTGRES_URL'] } },
  { type: 'redis', trigger: 'url', from: { url: ['REDIS_URL'] } },
  { type: 'nats', trigger: 'url', from: { url: ['NATS_URL'] } },
  { type: 'neo4j', trigger: 'url', from: { url: ['NEO4J_URL'], user: ['NEO4J_USER'], password: ['NEO4J_PASSWORD'] } },
];

/** Set and non-empty: an exported-but-empty variable (`DATABASE_URL=`) does not conjure a probe. */
function setValue(env: NodeJS.ProcessEnv, name: string): string | undefined {
  const value = env[name];
  return value === undefined || value === '' ? undefined : value;
}

export function zeroConfigTree(env: NodeJS.ProcessEnv, definitions: DefinitionTable): ZeroConfigTree {
  const probes: Record<string, unknown>[] = [];
  const origins = new Map<number, Record<string, string>>();
  const own: Record<string, unknown>[] = [
    { name: 'eventloop', type: 'eventloop', groups: ['live'], critical: true },
    { name: 'memory', type: 'memory', groups: ['live'], critical: false },
    { name: 'disk', type: 'disk', groups: ['ready'], critical: false, path: '/' },
  ];
  // Types still missing from probes/index.ts are skipped, not errors: zero-config must always start.
  for (const probe of own) if (definitions[probe.type as keyof DefinitionTable] !== undefined) probes.push(probe);

  for (const candidate of DEPENDENCIES) {
    if (definitions[candidate.type] === undefined) continue;
    const probe: Record<string, unknown> = { name: candidate.type, type: candidate.type, critical: true };
    const origin: Record<string, string> = {};
    for (const [key, names] of Object.entries(candidate.from)) {
      const name = names.find((n) => setValue(env, n) !== undefined);
      if (name === undefined) continue;
      probe[key] = setValue(env, name);
      origin[key] = name;
    }
    if (origin[candidate.trigger] === undefined) continue;
    origins.set(probes.length, origin);
    probes.push(probe);
  }

  const token = env.VITALS_TOKEN;
  const tree: Record<string, unknown> = { probes };
  if (token !== undefined && token !== '') tree.auth = { token };
  return { tree, origins };
}

/** `probes[3].url: …` → `DATABASE_URL (postgres probe url): …`: in zero-config the variable is what the user can fix. */
export function attributeToEnvironment(issues: ConfigIssue[], origins: Map<number, Record<string, string>>): ConfigIssue[] {
  return issues.map((issue) => {
    const match = /^probes\[(\d+)\]\.?(.*)$/.exec(issue.path);
    if (match === null) return issue;
    const origin = origins.get(Number(match[1]));
    const key = (match[2] ?? '').split(/[.[]/)[0] ?? '';
    const variable = origin?.[key] ?? (origin === undefined ? undefined : Object.values(origin)[0]);
    return variable === undefined ? issue : { path: variable, message: issue.message };
  });
}
