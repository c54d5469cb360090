import { isDeepStrictEqual } from 'node:util';
import type { ProbeSettings, VitalsConfig } from '../core/settings.js';

/**
 * What a valid new config changes, probe by probe and by name (CONTRACT §10).
 * Pure: reloader.ts applies it.
 */
export interface ReloadPlan {
  /** The config to put in effect: the new one, with what cannot change live kept from the old. */
  config: VitalsConfig;
  added: ProbeSettings[];
  /** New settings for a probe of the same name and type. */
  changed: ProbeSettings[];
  removed: ProbeSettings[];
  unchanged: string[];
  /** One line each: a setting that changed but needs a restart, so the old value stays. */
  notApplied: string[];
}

/**
 * Same probe, same settings: everything but the resolved definition compared
 * by value (defaults are already merged in, and any key a probe type or a
 * later feature adds, e.g. dependsOn, is compared like the rest); the
 * definition by identity, which is stable for built-ins and for a custom
 * module the runtime already imported.
 */
function sameSettings(a: ProbeSettings, b: ProbeSettings): boolean {
  const { definition: da, ...ra } = a;
  const { definition: db, ...rb } = b;
  return da === db && isDeepStrictEqual(ra, rb);
}

export function planReload(current: VitalsConfig, next: VitalsConfig): ReloadPlan {
  const notApplied: string[] = [];
  const server = { ...next.server };
  if (next.server.host !== current.server.host || next.server.port !== current.server.port) {
    notApplied.push(
      `server.host/server.port changed (${current.server.host}:${current.server.port} → ${next.server.host}:${next.server.port}): a restart is needed; still listening on ${current.server.host}:${current.server.port}`,
    );
    server.host = current.server.host;
    server.port = current.server.port;
  }
  // Adding or removing the token changes which routes exist (the admin API is
  // absent without one) and removing it would open them: only a changed value applies live.
  const hadToken = current.auth.token !== undefined && current.auth.token !== '';
  const hasToken = next.auth.token !== undefined && next.auth.token !== '';
  const auth = { ...next.auth };
  if (hadToken !== hasToken) {
    notApplied.push(`auth.token was ${hadToken ? 'removed' : 'added'}: a restart is needed; the ${hadToken ? 'old token still guards' : 'admin API stays off and nothing asks for'} the protected routes`);
    if (hadToken) auth.token = current.auth.token;
    else delete auth.token;
  }

  // Secrets only accumulate: a value the old config held (a kept token, a
  // password in results still in history) must stay masked after the swap.
  const secrets = { all: union(current.secrets.all, next.secrets.all), declared: union(current.secrets.declared, next.secrets.declared) };

  const before = new Map(current.probes.map((p) => [p.name, p]));
  const plan: ReloadPlan = { config: { ...next, server, auth, secrets }, added: [], changed: [], removed: [], unchanged: [], notApplied };
  for (const probe of next.probes) {
    const old = before.get(probe.name);
    before.delete(probe.name);
    if (old === undefined) plan.added.push(probe);
    // A new type under an old name is another probe: its series and state must not carry over.
    else if (old.type !== probe.type) {
      plan.removed.push(old);
      plan.added.push(probe);
    } else if (sameSettings(old, probe)) plan.unchanged.push(probe.name);
    else plan.changed.push(probe);
  }
  plan.removed.push(...before.values());
  return plan;
}

function union(a: readonly string[], b: readonly string[]): string[] {
  return [...new Set([...a, ...b])];
}
