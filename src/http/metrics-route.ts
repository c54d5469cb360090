import type { FastifyInstance } from 'fastify';
import { requireToken } from './auth.js';
import { methodNotAllowed } from './errors.js';
import { querystringSchema, type OpenApiDocument } from './openapi-document.js';
import type { AppContext } from './deps.js';

/** GET /metrics: the Prometheus exposition; the token only when auth.protectMetrics. */
export function metricsRoutes(document: OpenApiDocument, ctx: AppContext) {
  return async function plugin(app: FastifyInstance): Promise<void> {
    // Read per request: a live reload may change auth.protectMetrics or the token.
    const guard = requireToken(() => ctx.config.auth.token);
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
        const text = await ctx.metrics.render();
        return reply.code(200).type(ctx.metrics.contentType).header('cache-control', 'no-store').send(text);
      },
    );
    methodNotAllowed(app, '/metrics', ['GET']);
  };
}
