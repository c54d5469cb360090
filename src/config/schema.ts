import { z } from 'zod';
import { headersSchema } from '../../probes/http.js';
import { parseDuration } from '../core/duration.js';
import { GROUPS } from '../core/types.js';

/**
 * The shape of the config file (CONTRACT §5), section by section. Every object
 * is strict: an unknown key is an error, never silently ignored. Probe entries
 * are validated one by one in probe-settings.ts, because their keys depend on
 * their type.
 */

/** Node timers overflow past 2^31-1 ms (≈24.8 days) and then fire at once. */
export const MAX_DURATION_MS = 2 ** 31 - 1;

export const DURATION_HELP = 'use 500ms, 2s, 1m, 1h, 7d';

/** A duration string → milliseconds. */
export function durationSchema(options: { allowZero?: boolean } = {}) {
  return z
    .string({
      error: (issue) =>
        issue.input === undefined
          ? 'required'
          : `invalid duration ${JSON.stringify(issue.input)} (${DURATION_HELP}; a number needs a unit)`,
    })
    .transform((text, ctx) => {
      const ms = parseDuration(text);
      if (ms === undefined) {
        ctx.addIssue({ code: 'custom', message: `invalid duration ${JSON.stringify(text)} (${DURATION_HELP})`, input: text });
        return z.NEVER;
      }
      if (ms === 0 && options.allowZero !== true) {
        ctx.addIssue({ code: 'custom', message: 'must be longer than 0', input: text });
        return z.NEVER;
      }
      if (ms > MAX_DURATION_MS) {
        ctx.addIssue({ code: 'custom', message: 'must be at most 24d (longer timers overflow)', input: text });
        return z.NEVER;
      }
      return ms;
    });
}

const count = z.number().int().min(1);

export const serviceSchema = z.strictObject({
  id: z.string().min(1).default('vitals'),
  description: z.string().default(''),
});

export const portSchema = z.number().int().min(0).max(65535);

/** `{ max: 5, window: 1s }`: requests per client address per window. */
const rateLimitSchema = z.strictObject({
  max: z.number().int().min(1).max(100_000),
  window: durationSchema(),
});

/** Omitted keys keep the built-in limits (README: Configuration → server.rateLimits). */
export const rateLimitsSchema = z.strictObject({
  diagnostics: rateLimitSchema.optional(),
  status: rateLimitSchema.optional(),
  adminRun: rateLimitSchema.optional(),
});

export const serverSchema = z.strictObject({
  host: z.string().min(1).default('0.0.0.0'),
  port: portSchema.default(8080),
  rateLimits: rateLimitsSchema.optional(),
});

export const authSchema = z.strictObject({
  token: z.string().optional(),
  protectMetrics: z.boolean().default(false),
});

/** Optional here: whether a default was written decides how probes inherit it (see probe-settings.ts). */
export const defaultsSchema = z.strictObject({
  interval: durationSchema().optional(),
  timeout: durationSchema().optional(),
  failureThreshold: count.optional(),
  successThreshold: count.optional(),
});

export const shutdownSchema = z.strictObject({
  drainDelay: durationSchema({ allowZero: true }).default(5_000),
  timeout: durationSchema().default(25_000),
});

// PromQL label matchers: name, operator, quoted value ("…" and '…' with escapes, `…` raw).
const PROMQL_STRING = String.raw`"(?:[^"\\\n]|\\.)*"|'(?:[^'\\\n]|\\.)*'|\x60[^\x60]*\x60`;
const PROMQL_MATCHER = String.raw`\s*[a-zA-Z_][a-zA-Z0-9_]*\s*(?:=~|!~|!=|=)\s*(?:${PROMQL_STRING})\s*`;
/** `{}`, `{job="vitals"}`, `{job="vitals", namespace=~"prod|stage"}`: matchers only, so no other PromQL gets into the query. */
export const PROMQL_SELECTOR = new RegExp(String.raw`^\{(?:${PROMQL_MATCHER}(?:,${PROMQL_MATCHER})*,?)?\s*\}$`);

/** statusPage.prometheus (README: Long-range uptime from Prometheus). Cross-field rules are in build.ts. */
export const prometheusUptimeSchema = z.strictObject({
  url: z.string().refine((value) => URL.canParse(value) && /^https?:$/.test(new URL(value).protocol), {
    message: 'must be an http:// or https:// URL (the Prometheus server, e.g. http://prometheus:9090)',
  }),
  interval: durationSchema().default(300_000),
  timeout: durationSchema().default(10_000),
  selector: z
    .string()
    .trim()
    .refine((value) => PROMQL_SELECTOR.test(value), {
      message: 'must be PromQL label matchers in braces, e.g. {job="vitals"} or {namespace="prod", job=~"vitals.*"}',
    })
    .default('{}'),
  bearerToken: z.string().optional(),
  headers: headersSchema.default({}),
});

export const statusPageSchema = z.strictObject({
  prometheus: prometheusUptimeSchema.optional(),
});

export const fileSchema = z.strictObject({
  // prefault: a missing section is parsed as {} so its own defaults apply.
  service: serviceSchema.prefault({}),
  server: serverSchema.prefault({}),
  auth: authSchema.prefault({}),
  defaults: defaultsSchema.prefault({}),
  shutdown: shutdownSchema.prefault({}),
  statusPage: statusPageSchema.optional(),
  probes: z.array(z.unknown(), { error: (issue) => (issue.input === undefined ? 'required (a list of probes; it may be [])' : 'must be a list of probes') }),
});

export type ParsedFile = z.output<typeof fileSchema>;

export const BUILTIN_DEFAULTS = {
  intervalMs: 30_000,
  timeoutMs: 2_000,
  failureThreshold: 2,
  successThreshold: 1,
} as const;

export const PROBE_NAME = /^[a-z0-9][a-z0-9_-]{0,62}$/;

/** The keys every probe accepts, whatever its type. */
export const probeCommonSchema = z.object({
  name: z
    .string()
    .regex(PROBE_NAME, {
      error: (issue) =>
        `invalid name ${JSON.stringify(issue.input)}: use lowercase letters, digits, - and _, starting with a letter or digit, at most 63 characters`,
    }),
  type: z.unknown(),
  critical: z.boolean().optional(),
  groups: z.array(z.enum(GROUPS)).min(1).optional(),
  interval: durationSchema().optional(),
  timeout: durationSchema().optional(),
  failureThreshold: count.optional(),
  successThreshold: count.optional(),
  warn: z.record(z.string(), z.number().nullable()).optional(),
  fail: z.record(z.string(), z.number().nullable()).optional(),
  // Names only here; that they exist and form no cycle is checked across probes (config/dependencies.ts).
  dependsOn: z.array(z.string({ error: 'must be a list of probe names' })).optional(),
});

export const PROBE_COMMON_KEYS: readonly string[] = Object.keys(probeCommonSchema.shape);
