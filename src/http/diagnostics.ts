import type { Status } from '../core/types.js';
import type { FastifyInstance, FastifyRequest } from 'fastify';
import { requireToken } from './auth.js';
import { BodyCache } from './body-cache.js';
import { DiagnosticsRenderer } from './diagnostics-render.js';
import { HttpError, methodNotAllowed, quote } from './errors.js';
import { HEALTH_JSON } from './health-format.js';
import { querystringSchema, type OpenApiDocument } from './openapi-document.js';
import { namesFrom } from './query.js';
import type { AppContext } from './deps.js';

export const DEFAULT_DIAGNOSTICS_RATE_LIMIT = { max: 5, timeWindowMs: 1_000 };
/** A body is shared by every request for the same ?probe filter within this age. */
export const DIAGNOSTICS_MAX_AGE_MS = 1_000;

/**
 * GET /diagnostics: everything known, for operators. Token required when one
 * is configured; rate limited per client address before the token is even
 * looked at (so it also slows token guessing). 200 for pass or warn, 503
 * for fail; the full body either way.
 */
export function diagnosticsRoutes(document: OpenApiDocument, ctx: AppContext) {
  return async function plugin(app: FastifyInstance): Promise<void> {
    const limit = ctx.diagnosticsRateLimit;
    const renderer = new DiagnosticsRenderer();
    // Kept as bytes: every client served from one render skips encoding megabytes of text again.
    const bodies = new BodyCache<{ body: Buffer; status: Status }>(DIAGNOSTICS_MAX_AGE_MS, ctx.now);
    // A finished run changes what the body shows: reuse a render only between runs (per-probe parts stay cached).
    let runs = 0;
    const unsubscribe = ctx.state.onRun(() => {
      runs += 1;
    });
    app.addHook('onClose', async () => unsubscribe());
    // Masking the config walks every probe's options (≈ 50 ms at 1,000 probes): once per config, not per render.
    let masked: { config: AppContext['config']; value: unknown } | undefined;
    const redactedConfig = (): unknown => {
      if (masked?.config !== ctx.config) masked = { config: ctx.config, value: ctx.redactedConfig() };
      return masked.value;
    };

    app.get(
      '/diagnostics',
      {
        schema: { querystring: querystringSchema(document, '/diagnostics', 'get') },
        config: { rateLimit: { max: limit.max, timeWindow: limit.timeWindowMs } },
        preValidation: requireToken(() => ctx.config.auth.token),
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
        const lifecycle = ctx.lifecycle();
        // Maintenance and shutdown show at once; probe results may be up to DIAGNOSTICS_MAX_AGE_MS old.
        const version = JSON.stringify([runs, ctx.state.list().length, lifecycle.maintenance ?? null, lifecycle.shuttingDown]);
        const { body, status } = await bodies.get([...new Set(wanted)].sort().join(','), version, async () =>
          renderer.renderBody({
            config: ctx.config,
            probes,
            ...(wanted.length > 0 ? { only: new Set(wanted) } : {}),
            history: (name) => ctx.state.history(name),
            lifecycle,
            now: ctx.now(),
            version: ctx.version,
            redactedConfig: redactedConfig(),
            secrets: ctx.secrets,
          }),
        );
        // fail → 503 with the full body (CONTRACT §2, IETF draft §3.1); pass and warn → 200.
        return reply.code(status === 'fail' ? 503 : 200).type(HEALTH_JSON).header('cache-control', 'no-store').send(body);
      },
    );
    methodNotAllowed(app, '/diagnostics', ['GET']);
  };
}
