import type { Logger } from 'pino';
import { ProbeError } from '../core/errors.js';
import type { Probe, ProbeDefinition } from '../core/probe.js';
import { redactText } from '../core/redact.js';
import type { ProbeSettings, VitalsConfig } from '../core/settings.js';

export interface ConfiguredProbe {
  definition: ProbeDefinition;
  probe: Probe;
  settings: ProbeSettings;
}

/**
 * A probe whose construction failed (e.g. a URL its client library rejects).
 * It fails every run with reason `config` instead of taking the service down:
 * the other probes, and the operator's view of this one, stay available.
 */
function misconfigured(message: string): Probe {
  return {
    check: () => Promise.reject(new ProbeError('config', message)),
    close: () => Promise.resolve(),
  };
}

function isProbe(value: unknown): value is Probe {
  if (value === null || typeof value !== 'object') return false;
  const candidate = value as Record<string, unknown>;
  return typeof candidate.check === 'function' && typeof candidate.close === 'function';
}

/** One live probe per configured probe, in config order. Never throws. */
export function buildProbes(config: VitalsConfig, logger: Logger): ConfiguredProbe[] {
  return config.probes.map((settings) => {
    const definition = settings.definition;
    const probeLogger = logger.child({ probe: settings.name, type: settings.type });
    try {
      const probe: unknown = definition.create(settings.options, { name: settings.name, logger: probeLogger });
      // A custom module's create() is user code: check what it returned before the scheduler relies on it.
      if (!isProbe(probe)) throw new Error('create() must return an object with check(signal) and close(deadlineMs) functions');
      return { definition, probe, settings };
    } catch (error) {
      const raw = error instanceof Error ? error.message : String(error);
      const message = `cannot set up the ${settings.type} probe: ${redactText(raw)}`;
      probeLogger.error({ reason: 'config' }, message);
      return { definition, probe: misconfigured(message), settings };
    }
  });
}
