import type { FastifyInstance } from 'fastify';
import { requireToken } from './auth.js';
import { methodNotAllowed } from './errors.js';
import { querystringSchema, type OpenApiDocument } from './openapi-document.js';
import type { AppContext } from './deps.js';

/** GET /metrics: the Prometheus exposition; the token only when auth.protectMetrics. */
export function metricsRoutes(document: OpenApiDocument, ctx: AppContext) {
  return async function plugin(app: FastifyInstance): Promise<void> {
    const { token, protectMetrics } = ctx.config.auth;
    app.get(
      '/metrics',
      {
        schema: { querystring: querystringSchema(document, '/metrics', 'get') },
        ...(protectMetrics ? { preValidation: requireToken(token) } : {}),
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
