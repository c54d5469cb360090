import swagger from '@fastify/swagger';
import swaggerUi from '@fastify/swagger-ui';
import type { FastifyInstance } from 'fastify';
import type { OpenApiDocument } from './openapi-document.js';

/**
 * GET /openapi.json (the document from openapi/openapi.yaml, served as is by
 * @fastify/swagger in static mode) and Swagger UI at /docs.
 */
export function docsRoutes(document: OpenApiDocument) {
  return async function plugin(app: FastifyInstance): Promise<void> {
    // The YAML is parsed untyped; its shape is checked by test/http/docs-errors.test.ts, not by a cast.
    await app.register(swagger, { mode: 'static', specification: { document: document as never } });
    await app.register(swaggerUi, { routePrefix: '/docs', staticCSP: true });
    app.get('/openapi.json', { exposeHeadRoute: false }, async (_request, reply) => {
      return reply.type('application/json; charset=utf-8').send(app.swagger());
    });
  };
}
