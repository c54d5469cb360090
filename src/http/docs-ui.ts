import swagger from '@fastify/swagger';
import swaggerUi from '@fastify/swagger-ui';
import Fastify, { type FastifyInstance } from 'fastify';
import type { Logger } from 'pino';
import { frameworkErrors, registerErrorHandling } from './errors.js';
import type { OpenApiDocument } from './openapi-document.js';

/**
 * Swagger UI at /docs, as its own small Fastify instance: docs.ts imports
 * this module on the first request under /docs and hands that request's raw
 * socket to it, so @fastify/swagger, @fastify/swagger-ui, @fastify/static and
 * their yaml cost nothing until someone opens the docs. Its responses are
 * what the same plugins answered inside the service: the same error shape
 * (errors.ts) and nosniff on every response.
 */
export async function buildDocsApp(document: OpenApiDocument, secrets: readonly string[], logger: Logger): Promise<FastifyInstance> {
  const app = Fastify({ logger: false, routerOptions: { maxParamLength: 200 }, frameworkErrors }) as unknown as FastifyInstance;
  registerErrorHandling(app, secrets, logger);
  app.addHook('onSend', (_request, reply, payload, done) => {
    void reply.header('x-content-type-options', 'nosniff');
    done(null, payload);
  });
  // The YAML is parsed untyped; its shape is checked by test/http/docs-errors.test.ts, not by a cast.
  await app.register(swagger, { mode: 'static', specification: { document: document as never } });
  await app.register(swaggerUi, { routePrefix: '/docs', staticCSP: true });
  await app.ready();
  return app;
}
