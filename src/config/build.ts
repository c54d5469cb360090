import type { ProbeSettings, RateLimits, VitalsConfig } from '../core/settings.js';
import { formatDuration } from '../core/duration.js';
import { dependencyIssues, type DependencyEntry } from './dependencies.js';
import { gatherSecrets } from './secrets.js';
import { issueAt, type ConfigIssue } from './errors.js';
import { buildProbe, type ProbeSources } from './probe-settings.js';
import { BUILTIN_DEFAULTS, fileSchema, type ParsedFile } from './schema.js';
import { prometheusUptimeSettings } from './status-page-settings.js';
import { validateFields } from './validate.js';

export interface Built {
  config?: VitalsConfig;
  issues: ConfigIssue[];
}

/**
 * An env-expanded config tree (from a file, or synthesised by zero-config) →
 * VitalsConfig, or every problem found. Sections and probes are all checked
 * even when an earlier one is wrong.
 */
export function buildConfig(
  tree: Record<string, unknown>,
  env: NodeJS.ProcessEnv,
  source: string,
  sources: ProbeSources,
  /** Values of secret-named ${VARS} the tree referenced (config/expand-env). */
  environmentSecrets: readonly string[] = [],
): Built {
  const issues: ConfigIssue[] = [];
  // Section by section: a bad server.port must not hide the checks on defaults or probes.
  const file = validateFields(fileSchema.shape, tree, { at: [] });
  issues.push(...file.issues);
  const written = file.data as Partial<ParsedFile>;
  const defaults = written.defaults;
  // A defaults.timeout that is already reported against defaults.interval is
  // not inherited, so it is reported once rather than once per probe.
  const defaultsClash =
    defaults?.timeout !== undefined && defaults.timeout >= (defaults.interval ?? BUILTIN_DEFAULTS.intervalMs);
  const inherited = {
    ...(defaults?.interval === undefined ? {} : { intervalMs: defaults.interval }),
    ...(defaults?.timeout === undefined || defaultsClash ? {} : { timeoutMs: defaults.timeout }),
    builtinTimeoutMs: BUILTIN_DEFAULTS.timeoutMs,
    failureThreshold: defaults?.failureThreshold ?? BUILTIN_DEFAULTS.failureThreshold,
    successThreshold: defaults?.successThreshold ?? BUILTIN_DEFAULTS.successThreshold,
  };

  const probes: ProbeSettings[] = [];
  const firstIndexByName = new Map<string, number>();
  const dependencyEntries: DependencyEntry[] = [];
  const pushTargets: PushTarget[] = [];
  const rawProbes = Array.isArray(tree.probes) ? (tree.probes as unknown[]) : [];
  rawProbes.forEach((raw, index) => {
    const built = buildProbe(raw, index, inherited, sources);
    issues.push(...built.issues);
    if (built.settings !== undefined) probes.push(built.settings);
    const definition = built.definition;
    if (definition?.tokenOption !== undefined) {
      pushTargets.push({ key: definition.tokenOption, type: definition.type, raw: raw as Record<string, unknown>, index, settings: built.settings });
    }
    const name = raw !== null && typeof raw === 'object' ? (raw as Record<string, unknown>).name : undefined;
    if (typeof name !== 'string') return;
    // A probe with problems of its own still counts as a name others may depend on.
    dependencyEntries.push({ index, name, dependsOn: built.settings?.dependsOn ?? [] });
    const first = firstIndexByName.get(name);
    if (first === undefined) firstIndexByName.set(name, index);
    else issues.push(issueAt(['probes', index, 'name'], `duplicate name "${name}" (also probes[${first}])`));
  });

  issues.push(...dependencyIssues(dependencyEntries));

  const intervalMs = defaults?.interval ?? BUILTIN_DEFAULTS.intervalMs;
  const timeoutMs = defaults?.timeout ?? BUILTIN_DEFAULTS.timeoutMs;
  if (defaults !== undefined && timeoutMs >= intervalMs) {
    issues.push(issueAt(['defaults', 'timeout'], `must be less than interval (${formatDuration(intervalMs)})`));
  }
  const shutdown = written.shutdown;
  if (shutdown !== undefined && shutdown.drainDelay >= shutdown.timeout) {
    issues.push(
      issueAt(['shutdown', 'drainDelay'], `must be less than shutdown.timeout (${formatDuration(shutdown.timeout)}), which must also cover closing clients`),
    );
  }

  const auth = written.auth;
  // An empty token (e.g. "${VITALS_TOKEN:-}") means: no token.
  const token = auth?.token === undefined || auth.token === '' ? undefined : auth.token;
  if (auth?.protectMetrics === true && token === undefined) {
    issues.push(issueAt(['auth', 'protectMetrics'], 'needs auth.token: there is no token to protect /metrics with'));
  }

  for (const target of pushTargets) fillPushToken(target, token, issues);

  const writtenPrometheus = written.statusPage?.prometheus;
  const prometheus = writtenPrometheus === undefined ? undefined : prometheusUptimeSettings(writtenPrometheus, issues);
  const statusPage = written.statusPage === undefined ? undefined : { ...(prometheus === undefined ? {} : { prometheus }) };

  const envPort = portFromEnv(env, issues);
  const { service, server } = written;
  if (issues.length > 0 || service === undefined || server === undefined || auth === undefined || shutdown === undefined) {
    return { issues };
  }
  const port = envPort ?? server.port;
  return {
    issues,
    config: {
      service,
      server: {
        host: server.host,
        port,
        ...(server.rateLimits === undefined ? {} : { rateLimits: rateLimitsFrom(server.rateLimits) }),
      },
      auth: { ...(token === undefined ? {} : { token }), protectMetrics: auth.protectMetrics },
      defaults: {
        intervalMs,
        timeoutMs,
        failureThreshold: inherited.failureThreshold,
        successThreshold: inherited.successThreshold,
      },
      shutdown: { drainDelayMs: shutdown.drainDelay, timeoutMs: shutdown.timeout },
      probes,
      ...(statusPage === undefined ? {} : { statusPage }),
      source,
      secrets: gatherSecrets({ auth: token === undefined ? {} : { token }, probes, ...(statusPage === undefined ? {} : { statusPage }) }, environmentSecrets),
    },
  };
}

/** $VITALS_PORT, else $PORT (the PaaS convention), overrides server.port. Empty counts as unset. */
function portFromEnv(env: NodeJS.ProcessEnv, issues: ConfigIssue[]): number | undefined {
  for (const name of ['VITALS_PORT', 'PORT']) {
    const value = env[name];
    if (value === undefined || value.trim() === '') continue;
    const port = Number(value.trim());
    if (!/^\d+$/.test(value.trim()) || port > 65535) {
      issues.push(issueAt(['server', 'port'], `${name}=${JSON.stringify(value)} is not a port (0-65535); it overrides server.port when set`));
      return undefined;
    }
    return port;
  }
  return undefined;
}

/** The written `{ max, window }` limits as the HTTP layer takes them. */
function rateLimitsFrom(written: NonNullable<ParsedFile['server']['rateLimits']>): RateLimits {
  const out: RateLimits = {};
  for (const key of ['diagnostics', 'status', 'adminRun'] as const) {
    const limit = written[key];
    if (limit !== undefined) out[key] = { max: limit.max, timeWindowMs: limit.window };
  }
  return out;
}

/** A probe entry whose type takes pushes guarded by a token (heartbeat). */
interface PushTarget {
  key: string;
  type: string;
  raw: Record<string, unknown>;
  index: number;
  /** Undefined when the entry has other problems: the missing token is still reported with them. */
  settings?: ProbeSettings;
}

/**
 * A type with a `tokenOption` (heartbeat) takes pushes guarded by a secret:
 * the probe's own, else auth.token, copied into its options so every reader
 * sees the one effective token. With neither, anyone could push: a config error.
 */
function fillPushToken(target: PushTarget, authToken: string | undefined, issues: ConfigIssue[]): void {
  const { key, type, raw, index, settings } = target;
  const own = raw[key];
  // An empty token (e.g. "${JOB_TOKEN:-}") means: none of its own.
  // A token that is not a string is already reported by the type's own schema.
  if ((typeof own === 'string' && own !== '') || (own !== undefined && typeof own !== 'string')) return;
  if (authToken === undefined) {
    issues.push(issueAt(['probes', index, key], `required: a ${type} probe needs a token callers present (set ${key} here, or auth.token)`));
    return;
  }
  if (settings !== undefined) settings.options = { ...settings.options, [key]: authToken };
}
