import { pino } from 'pino';
import type { Probe, ProbeDefinition } from '../../src/core/probe.js';
import type { ProbeSettings } from '../../src/core/settings.js';
import type { ProbeResult, ProbeType } from '../../src/core/types.js';
import { runProbe } from '../../src/runner/run-probe.js';
import { definitionFor } from '../../probes/index.js';

export type SettingsOverrides = Partial<Omit<ProbeSettings, 'options' | 'type'>>;

/** Effective warn/fail per measurement: the type's defaults, overlaid with `extra`. */
function thresholds(definition: ProbeDefinition, level: 'warn' | 'fail', extra?: Record<string, number>): Record<string, number> {
  const out: Record<string, number> = {};
  for (const [measurement, spec] of Object.entries(definition.measurements)) {
    const value = spec[level];
    if (value !== undefined) out[measurement] = value;
  }
  return { ...out, ...extra };
}

/**
 * Settings as config would produce them, for tests: the options parsed by the
 * type's schema (so defaults apply and bad options throw), default thresholds
 * merged with the overrides' warn/fail.
 */
export function settingsFor(type: ProbeType, options: Record<string, unknown>, overrides: SettingsOverrides = {}): ProbeSettings {
  const definition = definitionFor(type);
  const parsed = definition.options.parse(options) as Record<string, unknown>;
  return {
    name: overrides.name ?? type,
    type,
    critical: overrides.critical ?? true,
    groups: overrides.groups ?? definition.defaultGroups ?? ['ready'],
    intervalMs: overrides.intervalMs ?? 10_000,
    timeoutMs: overrides.timeoutMs ?? 2_000,
    failureThreshold: overrides.failureThreshold ?? 2,
    successThreshold: overrides.successThreshold ?? 1,
    warn: thresholds(definition, 'warn', overrides.warn),
    fail: thresholds(definition, 'fail', overrides.fail),
    options: parsed,
  };
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
  const definition = definitionFor(type);
  const settings = settingsFor(type, options, overrides);
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
