import type { FastifyInstance, FastifyRequest } from 'fastify';
import { requireToken } from './auth.js';
import { buildDiagnostics } from './diagnostics-body.js';
import { HttpError, methodNotAllowed, quote } from './errors.js';
import { HEALTH_JSON } from './health-format.js';
import { querystringSchema, type OpenApiDocument } from './openapi-document.js';
import { namesFrom } from './query.js';
import type { AppContext } from './deps.js';

export const DEFAULT_DIAGNOSTICS_RATE_LIMIT = { max: 5, timeWindowMs: 1_000 };

/**
 * GET /diagnostics: everything known, for operators. Token required when one
 * is configured; rate limited per client address before the token is even
 * looked at (so it also slows token guessing). 200 for pass or warn, 503
 * for fail; the full body either way.
 */
export function diagnosticsRoutes(document: OpenApiDocument, ctx: AppContext) {
  return async function plugin(app: FastifyInstance): Promise<void> {
    const limit = ctx.diagnosticsRateLimit;

    app.get(
      '/diagnostics',
      {
        schema: { querystring: querystringSchema(document, '/diagnostics', 'get') },
        config: { rateLimit: { max: limit.max, timeWindow: limit.timeWindowMs } },
        preValidation: requireToken(ctx.config.auth.token),
        // HEAD would compute the whole body to throw it away; GET only.
        exposeHeadRoute: false,
      },
      async (request: FastifyRequest, reply) => {
        const query = request.query as { probe?: string[] };
        const probes = ctx.state.list();
        const wanted = namesFrom(query.probe);
        for (const name of wanted) {
          if (ctx.state.get(name) === undefined) {
            throw new HttpError(404, 'VITALS_ERR_PROBE_NOT_FOUND', `no probe ${quote(name)}`);
          }
        }
        const body = buildDiagnostics({
          config: ctx.config,
          probes,
          ...(wanted.length > 0 ? { only: new Set(wanted) } : {}),
          history: (name) => ctx.state.history(name),
          lifecycle: ctx.lifecycle(),
          now: ctx.now(),
          version: ctx.version,
          redactedConfig: ctx.redactedConfig(),
          secrets: ctx.secrets,
        });
        // fail → 503 with the full body (CONTRACT §2, IETF draft §3.1); pass and warn → 200.
        return reply.code(body.status === 'fail' ? 503 : 200).type(HEALTH_JSON).header('cache-control', 'no-store').send(body);
      },
    );
    methodNotAllowed(app, '/diagnostics', ['GET']);
  };
}
