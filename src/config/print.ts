import { formatDuration } from '../core/duration.js';
import { REDACTED, redactDeep, redactText } from '../core/redact.js';
import type { ProbeSettings, VitalsConfig } from '../core/settings.js';
import type { ConfigError } from './errors.js';

/**
 * The effective config as plain JSON-able data, shaped like the file (durations
 * as `30s`, options beside the common keys), with every secret masked. For
 * `vitals config print` and /diagnostics.
 */
export function redactedConfig(config: VitalsConfig): Record<string, unknown> {
  const known = config.secrets.declared;
  const text = (value: string): string => redactText(value, known);
  return {
    source: config.source,
    service: { id: text(config.service.id), description: text(config.service.description) },
    server: {
      host: text(config.server.host),
      port: config.server.port,
      ...(config.server.rateLimits === undefined ? {} : { rateLimits: config.server.rateLimits }),
    },
    auth: { ...(config.auth.token === undefined ? {} : { token: REDACTED }), protectMetrics: config.auth.protectMetrics },
    defaults: {
      interval: formatDuration(config.defaults.intervalMs),
      timeout: formatDuration(config.defaults.timeoutMs),
      failureThreshold: config.defaults.failureThreshold,
      successThreshold: config.defaults.successThreshold,
    },
    shutdown: { drainDelay: formatDuration(config.shutdown.drainDelayMs), timeout: formatDuration(config.shutdown.timeoutMs) },
    probes: config.probes.map((probe) => redactedProbe(probe, known)),
    ...(config.statusPage === undefined ? {} : { statusPage: redactedStatusPage(config.statusPage, known) }),
  };
}

/** Header values (credentials included) are all masked; the URL never holds credentials (config moved them to a header). */
function redactedStatusPage(statusPage: NonNullable<VitalsConfig['statusPage']>, known: readonly string[]): Record<string, unknown> {
  const prometheus = statusPage.prometheus;
  if (prometheus === undefined) return {};
  return {
    prometheus: {
      url: redactText(prometheus.url, known),
      interval: formatDuration(prometheus.intervalMs),
      timeout: formatDuration(prometheus.timeoutMs),
      selector: prometheus.selector,
      headers: maskLeaves(prometheus.headers),
    },
  };
}

function redactedProbe(probe: ProbeSettings, known: readonly string[]): Record<string, unknown> {
  const secretKeys = new Set(probe.definition.secretOptions ?? []);
  const options: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(probe.options)) {
    options[key] = secretKeys.has(key) ? maskLeaves(value) : value;
  }
  return {
    // name and type are validated to harmless shapes; known-secret replacement there would only mangle them.
    name: probe.name,
    type: probe.type,
    ...(probe.module === undefined ? {} : { module: redactText(probe.module, known) }),
    critical: probe.critical,
    groups: probe.groups,
    interval: formatDuration(probe.intervalMs),
    timeout: formatDuration(probe.timeoutMs),
    failureThreshold: probe.failureThreshold,
    successThreshold: probe.successThreshold,
    ...(probe.dependsOn.length === 0 ? {} : { dependsOn: probe.dependsOn }),
    warn: probe.warn,
    fail: probe.fail,
    ...redactDeep(toPlain(options), known),
  };
}

/** Every string below a secret option is masked; other values keep their shape (a header map stays a map). */
function maskLeaves(value: unknown): unknown {
  if (typeof value === 'string') return value === '' ? value : REDACTED;
  if (Array.isArray(value)) return value.map(maskLeaves);
  if (value !== null && typeof value === 'object') {
    return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, maskLeaves(v)]));
  }
  return value;
}

/** Options may hold URL objects, Buffers, RegExps: keep output JSON-able and printable. */
function toPlain(value: Record<string, unknown>): Record<string, unknown> {
  return JSON.parse(JSON.stringify(value, (_key, inner: unknown) => (inner instanceof RegExp ? inner.source : inner))) as Record<
    string,
    unknown
  >;
}

/** For stderr: the file, then one `path: message` line per issue. No stack. */
export function formatConfigIssues(error: ConfigError): string {
  const count = error.issues.length === 1 ? '1 problem' : `${error.issues.length} problems`;
  const source = error.source === 'zero-config' ? 'zero-config (no config file; settings from the environment)' : error.source;
  const lines = error.issues.map((issue) => (issue.path === '' ? issue.message : `${issue.path}: ${issue.message}`));
  return [`${source}: ${count}`, ...lines].join('\n');
}
