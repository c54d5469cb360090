import { collectSecrets } from '../core/redact.js';
import type { ConfigSecrets, ProbeSettings } from '../core/settings.js';

/**
 * Every secret value a config holds, gathered once when it is loaded (the
 * loaded config carries the result as `config.secrets`): the auth token, the
 * type-declared secret options, secret-named keys and URL passwords in probe
 * options, and the values of secret-named environment variables it
 * referenced (…_TOKEN, …_API_KEY).
 */
export function gatherSecrets(
  parts: { auth: { token?: string }; probes: readonly ProbeSettings[] },
  fromEnvironment: readonly string[] = [],
): ConfigSecrets {
  const declared = new Set<string>(fromEnvironment);
  if (parts.auth.token !== undefined) declared.add(parts.auth.token);
  for (const probe of parts.probes) {
    for (const key of probe.definition.secretOptions ?? []) {
      for (const value of stringLeaves(probe.options[key])) declared.add(value);
    }
  }
  const all = new Set(declared);
  for (const probe of parts.probes) for (const value of collectSecrets(probe.options)) all.add(value);
  const nonEmpty = (values: Set<string>): string[] => [...values].filter((value) => value !== '');
  return Object.freeze({ all: Object.freeze(nonEmpty(all)), declared: Object.freeze(nonEmpty(declared)) });
}

function stringLeaves(value: unknown): string[] {
  if (typeof value === 'string') return [value];
  if (Array.isArray(value)) return value.flatMap(stringLeaves);
  if (value !== null && typeof value === 'object') return Object.values(value).flatMap(stringLeaves);
  return [];
}
