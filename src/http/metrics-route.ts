import type { FastifyInstance } from 'fastify';
import { requireToken } from './auth.js';
import { BodyCache } from './body-cache.js';
import { methodNotAllowed } from './errors.js';
import { querystringSchema, type OpenApiDocument } from './openapi-document.js';
import type { AppContext } from './deps.js';

/**
 * Scrapes share one render while no run has finished since (two Prometheus
 * replicas, a curious operator) and for at most this age.
 */
export const METRICS_MAX_AGE_MS = 1_000;

/** GET /metrics: the Prometheus exposition; the token only when auth.protectMetrics. */
export function metricsRoutes(document: OpenApiDocument, ctx: AppContext) {
  return async function plugin(app: FastifyInstance): Promise<void> {
    // Read per request: a live reload may change auth.protectMetrics or the token.
    const guard = requireToken(() => ctx.config.auth.token);
    const bodies = new BodyCache<Buffer>(METRICS_MAX_AGE_MS, ctx.now);
    let runs = 0;
    const unsubscribe = ctx.state.onRun(() => {
      runs += 1;
    });
    app.addHook('onClose', async () => unsubscribe());
    app.get(
      '/metrics',
      {
        schema: { querystring: querystringSchema(document, '/metrics', 'get') },
        preValidation: async (request, reply) => {
          if (ctx.config.auth.protectMetrics) await guard.call(app, request, reply);
        },
        exposeHeadRoute: false,
      },
      async (_request, reply) => {
        const lifecycle = ctx.lifecycle();
        const version = JSON.stringify([runs, lifecycle.maintenance ?? null, lifecycle.shuttingDown, ctx.metrics.changeToken()]);
        const text = await bodies.get('', version, () => ctx.metrics.renderBytes());
        return reply.code(200).type(ctx.metrics.contentType).header('cache-control', 'no-store').send(text);
      },
    );
    methodNotAllowed(app, '/metrics', ['GET']);
  };
}
