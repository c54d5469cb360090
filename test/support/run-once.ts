import { pino } from 'pino';
import { probeDefinitions } from '../../probes/index.js';
import { formatDuration } from '../../src/core/duration.js';
import type { Probe, ProbeDefinition } from '../../src/core/probe.js';
import type { ProbeSettings } from '../../src/core/settings.js';
import type { ProbeResult, ProbeType } from '../../src/core/types.js';
import { buildProbe } from '../../src/config/probe-settings.js';
import { BUILTIN_DEFAULTS } from '../../src/config/schema.js';
import { runProbe } from '../../src/runner/run-probe.js';

export type SettingsOverrides = Partial<Omit<ProbeSettings, 'options' | 'type' | 'definition' | 'warn' | 'fail'>> & {
  /** Thresholds as a config file writes them: `null` switches a type default off. */
  warn?: Record<string, number | null>;
  fail?: Record<string, number | null>;
};

/**
 * Settings exactly as config builds them (config's own builder: schema
 * defaults, strict option keys, default thresholds overlaid with the
 * overrides' warn/fail), for tests that run one probe. Invalid options throw
 * with every config issue, as `vitals config validate` would list them.
 */
export function settingsFor(type: ProbeType, options: Record<string, unknown>, overrides: SettingsOverrides = {}): ProbeSettings {
  const timeoutMs = overrides.timeoutMs ?? 2_000;
  // Tests that only raise the timeout get an interval that still satisfies timeout < interval.
  const intervalMs = overrides.intervalMs ?? Math.max(10_000, timeoutMs * 2);
  const raw: Record<string, unknown> = {
    name: overrides.name ?? type,
    type,
    ...options,
    interval: formatDuration(intervalMs),
    timeout: formatDuration(timeoutMs),
    ...(overrides.critical === undefined ? {} : { critical: overrides.critical }),
    ...(overrides.groups === undefined ? {} : { groups: overrides.groups }),
    ...(overrides.warn === undefined ? {} : { warn: overrides.warn }),
    ...(overrides.fail === undefined ? {} : { fail: overrides.fail }),
  };
  const inherited = {
    builtinTimeoutMs: BUILTIN_DEFAULTS.timeoutMs,
    failureThreshold: overrides.failureThreshold ?? 2,
    successThreshold: overrides.successThreshold ?? 1,
  };
  const built = buildProbe(raw, 0, inherited, { definitions: probeDefinitions });
  if (built.settings === undefined) {
    throw new Error(`invalid ${type} probe settings: ${built.issues.map((i) => `${i.path}: ${i.message}`).join('; ')}`);
  }
  return built.settings;
}

export interface ProbeUnderTest {
  definition: ProbeDefinition;
  probe: Probe;
  settings: ProbeSettings;
  /** One run through the real runner (timeout, classification, thresholds). */
  run(): Promise<ProbeResult>;
  close(): Promise<void>;
}

/** A live instance for tests that run it many times (leaks, recovery). Close it in afterEach. */
export function createProbe(type: ProbeType, options: Record<string, unknown>, overrides: SettingsOverrides = {}): ProbeUnderTest {
  const settings = settingsFor(type, options, overrides);
  const definition = settings.definition;
  const logger = pino({ level: process.env.VITALS_TEST_LOG ?? 'silent' });
  const probe = definition.create(settings.options, { name: settings.name, logger });
  return {
    definition,
    probe,
    settings,
    run: () => runProbe(definition, probe, settings),
    close: () => probe.close(Math.max(settings.timeoutMs, 1_000)),
  };
}

/** Create, run once, close (also when the run failed). */
export async function runOnce(type: ProbeType, options: Record<string, unknown>, overrides: SettingsOverrides = {}): Promise<ProbeResult> {
  const instance = createProbe(type, options, overrides);
  try {
    return await instance.run();
  } finally {
    await instance.close();
  }
}
