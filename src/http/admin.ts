import type { FastifyInstance, FastifyRequest } from 'fastify';
import { formatDuration, parseDuration } from '../core/duration.js';
import { redactDeep, redactText } from '../core/redact.js';
import type { ProbeResult } from '../core/types.js';
import { bodyIssueMessage, componentSchema, shown, strictJsonBody, type FieldHints } from './admin-validation.js';
import { requireToken } from './auth.js';
import type { MaintenanceControl } from './deps.js';
import { HttpError, methodNotAllowed, quote } from './errors.js';
import { querystringSchema, type OpenApiDocument } from './openapi-document.js';
import type { AppContext } from './deps.js';

/** Longest maintenance one request may declare: past a week it is an outage, not maintenance. */
export const MAX_MAINTENANCE_TTL_MS = 7 * 86_400_000;
/**
 * Runs on demand per client address and probe. Single-flight already stops
 * concurrent runs; this stops a script in a loop from turning vitals into a
 * load generator against the dependency it watches.
 */
export const DEFAULT_ADMIN_RUN_RATE_LIMIT = { max: 10, timeWindowMs: 60_000 };
/** The maintenance routes per client address: generous for people, and it slows token guessing. */
export const MAINTENANCE_RATE_LIMIT = { max: 30, timeWindowMs: 60_000 };

const MAINTENANCE_FIELDS = ['reason', 'ttl'] as const;

const MAINTENANCE_HINTS: FieldHints = {
  ttl: (value) => `invalid duration ${shown(value)} (e.g. 30m, 2h, 1d; at most 7d)`,
  reason: (value, keyword) =>
    keyword === 'maxLength'
      ? `too long (${typeof value === 'string' ? value.length : '?'} characters; at most 200)`
      : 'must be one line of text, not blank (at most 200 characters)',
};

interface MaintenanceBody {
  reason: string;
  ttl: string;
}

function iso(epochMs: number): string {
  return new Date(epochMs).toISOString();
}

/** The body of POST /admin/probes/{name}/run: the finished run, redacted again on the way out. */
function runBody(name: string, result: ProbeResult, state: string | undefined, secrets: readonly string[]): unknown {
  return redactDeep(
    {
      name,
      status: result.status,
      ...(state === undefined ? {} : { state }),
      ...(result.reason === undefined ? {} : { reason: result.reason }),
      ...(result.message === undefined ? {} : { message: result.message }),
      ...(result.hint === undefined ? {} : { hint: result.hint }),
      durationMs: result.durationMs,
      startedAt: iso(result.startedAt),
      finishedAt: iso(result.finishedAt),
      observations: result.observations,
      ...(result.info === undefined ? {} : { info: result.info }),
    },
    secrets,
  );
}

function maintenanceRoutes(app: FastifyInstance, document: OpenApiDocument, ctx: AppContext, control: MaintenanceControl, token: string): void {
  const requestSchema = componentSchema(document, 'MaintenanceRequest');
  const rateLimit = { max: MAINTENANCE_RATE_LIMIT.max, timeWindow: MAINTENANCE_RATE_LIMIT.timeWindowMs };
  // Lifecycle drops an expired maintenance on read; this timer only puts its end in the log.
  let expiryTimer: NodeJS.Timeout | undefined;
  app.addHook('onClose', async () => clearTimeout(expiryTimer));

  app.post(
    '/admin/maintenance',
    {
      schema: { querystring: querystringSchema(document, '/admin/maintenance', 'post'), body: requestSchema },
      attachValidation: true,
      config: { rateLimit },
      preValidation: [requireToken(token), strictJsonBody(MAINTENANCE_FIELDS)],
    },
    async (request: FastifyRequest<{ Body: MaintenanceBody }>, reply) => {
      if (request.validationError !== undefined) {
        const error = request.validationError as { validation?: unknown[]; validationContext?: string };
        if (error.validationContext === 'querystring') throw request.validationError;
        const issue = (error.validation ?? [])[0] as Parameters<typeof bodyIssueMessage>[0];
        throw new HttpError(400, 'VITALS_ERR_BAD_REQUEST', bodyIssueMessage(issue, request.body, MAINTENANCE_FIELDS, MAINTENANCE_HINTS));
      }
      const { reason, ttl } = request.body;
      const ttlMs = parseDuration(ttl);
      if (ttlMs === undefined || ttlMs <= 0 || ttlMs > MAX_MAINTENANCE_TTL_MS) {
        throw new HttpError(400, 'VITALS_ERR_BAD_REQUEST', `body.ttl: ${MAINTENANCE_HINTS.ttl!(ttl, 'range')}`);
      }
      const on = control.start(reason, ttlMs);
      const until = iso(on.until);
      ctx.logger.info(
        { maintenance: 'on', reason: redactText(reason, ctx.secrets), ttl: formatDuration(ttlMs), until, client: request.ip },
        `maintenance on: /ready answers 503 until ${until} or DELETE /admin/maintenance`,
      );
      clearTimeout(expiryTimer);
      expiryTimer = setTimeout(() => {
        if (ctx.lifecycle().maintenance === undefined) {
          ctx.logger.info({ maintenance: 'off', cause: 'ttl', since: iso(on.since) }, 'maintenance off: its ttl passed');
        }
      }, on.until - on.since + 50);
      expiryTimer.unref();
      return reply
        .code(200)
        .header('cache-control', 'no-store')
        .send({ maintenance: { reason: on.reason, since: iso(on.since), until } });
    },
  );

  app.delete(
    '/admin/maintenance',
    {
      schema: { querystring: querystringSchema(document, '/admin/maintenance', 'delete') },
      config: { rateLimit },
      preValidation: requireToken(token),
    },
    async (request, reply) => {
      clearTimeout(expiryTimer);
      const wasOn = control.end();
      ctx.logger.info({ maintenance: 'off', cause: 'request', wasOn, client: request.ip }, wasOn ? 'maintenance off' : 'maintenance off (it was not on)');
      return reply.code(200).header('cache-control', 'no-store').send({ maintenance: null, wasOn });
    },
  );
  methodNotAllowed(app, '/admin/maintenance', ['POST', 'DELETE']);
}

function runRoute(app: FastifyInstance, document: OpenApiDocument, ctx: AppContext, runProbe: (name: string) => Promise<ProbeResult>, token: string): void {
  const limit = ctx.adminRunRateLimit;
  app.post(
    '/admin/probes/:name/run',
    {
      schema: { querystring: querystringSchema(document, '/admin/probes/{name}/run', 'post') },
      config: {
        rateLimit: {
          max: limit.max,
          timeWindow: limit.timeWindowMs,
          // Per probe, so checking the cache does not use up the database's budget;
          // unknown names share one bucket so rotating names buys no extra guesses.
          keyGenerator: (request: FastifyRequest) => {
            const name = (request.params as { name?: string }).name ?? '';
            return `${request.ip}|${ctx.state.get(name) === undefined ? '?' : name}`;
          },
        },
      },
      preValidation: requireToken(token),
    },
    async (request: FastifyRequest<{ Params: { name: string } }>, reply) => {
      const { name } = request.params;
      if (ctx.state.get(name) === undefined) throw new HttpError(404, 'VITALS_ERR_PROBE_NOT_FOUND', `no probe ${quote(name)}`);
      if (ctx.lifecycle().shuttingDown) throw new HttpError(503, 'VITALS_ERR_INTERNAL', 'shutting down: probes are stopped');
      let result: ProbeResult;
      try {
        result = await runProbe(name);
      } catch (error) {
        if (error instanceof RangeError) throw new HttpError(404, 'VITALS_ERR_PROBE_NOT_FOUND', `no probe ${quote(name)}`);
        // The scheduler refuses runs once stopped: shutdown began while this request waited.
        throw new HttpError(503, 'VITALS_ERR_INTERNAL', 'probes are stopped (shutting down)');
      }
      ctx.logger.info(
        { probe: name, status: result.status, reason: result.reason, durationMs: result.durationMs, client: request.ip },
        'probe run on request',
      );
      return reply.code(200).header('cache-control', 'no-store').send(runBody(name, result, ctx.state.get(name)?.state, ctx.secrets));
    },
  );
  methodNotAllowed(app, '/admin/probes/:name/run', ['POST']);
}

/**
 * The admin API (CONTRACT §2): maintenance on/off and on-demand runs. Only
 * when auth.token is configured: without one these routes do not exist (404
 * like any unknown path), so an unprotected deployment cannot be drained by
 * anyone who can reach it.
 */
export function adminRoutes(document: OpenApiDocument, ctx: AppContext) {
  return async function plugin(app: FastifyInstance): Promise<void> {
    const token = ctx.config.auth.token;
    if (token === undefined || token === '') return;
    if (ctx.maintenance !== undefined) maintenanceRoutes(app, document, ctx, ctx.maintenance, token);
    if (ctx.runProbe !== undefined) runRoute(app, document, ctx, ctx.runProbe, token);
  };
}
