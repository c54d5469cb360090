import { collectSecrets } from '../core/redact.js';
import type { ConfigSecrets, ProbeSettings, VitalsConfig } from '../core/settings.js';

/**
 * Every secret value a config holds, gathered once when it is loaded (the
 * loaded config carries the result as `config.secrets`): the auth token, the
 * type-declared secret options, secret-named keys and URL passwords in probe
 * options, and the values of secret-named environment variables it
 * referenced (…_TOKEN, …_API_KEY).
 */
export function gatherSecrets(
  parts: { auth: { token?: string }; probes: readonly ProbeSettings[]; statusPage?: VitalsConfig['statusPage'] },
  fromEnvironment: readonly string[] = [],
): ConfigSecrets {
  const declared = new Set<string>(fromEnvironment);
  if (parts.auth.token !== undefined) declared.add(parts.auth.token);
  for (const value of headerSecrets(parts.statusPage?.prometheus?.headers ?? {})) declared.add(value);
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

/**
 * Every value of a header map that goes to another server (statusPage.prometheus.headers):
 * each whole value, and the credential inside `Bearer …` / `Basic …` on its own,
 * so neither form can leave in text.
 */
function headerSecrets(headers: Readonly<Record<string, string>>): string[] {
  const out: string[] = [];
  for (const value of Object.values(headers)) {
    out.push(value);
    const bearer = /^bearer\s+(.+)$/i.exec(value)?.[1];
    if (bearer !== undefined) out.push(bearer);
    const basic = /^basic\s+(.+)$/i.exec(value)?.[1];
    if (basic !== undefined) {
      const pair = Buffer.from(basic, 'base64').toString('utf8');
      out.push(pair, pair.slice(pair.indexOf(':') + 1));
    }
  }
  return out;
}
