import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import type { Logger } from 'pino';
import type { OpenApiDocument } from './openapi-document.js';

/**
 * GET /openapi.json (the document from openapi/openapi.yaml, as is, with the
 * running version) and Swagger UI under /docs.
 *
 * Swagger UI is loaded on the first request under /docs (docs-ui.ts), not at
 * start: its plugins and their dependencies were a few MiB of every
 * process's memory, for a page few people ever open. test/e2e/lazy-libraries
 * checks that a zero-config `vitals serve` loads none of them until then.
 */
export function docsRoutes(document: OpenApiDocument, context: { readonly secrets: readonly string[]; readonly logger: Logger }) {
  return async function plugin(app: FastifyInstance): Promise<void> {
    let ui: Promise<FastifyInstance> | undefined;
    const loadUi = (): Promise<FastifyInstance> => {
      ui ??= import('./docs-ui.js')
        .then(({ buildDocsApp }) => buildDocsApp(document, context.secrets, context.logger))
        .catch((error: unknown) => {
          ui = undefined; // the next request tries again; this one is a 500 from the error handler
          throw error;
        });
      return ui;
    };
    app.addHook('onClose', async () => {
      const loaded = ui;
      if (loaded !== undefined) await (await loaded.catch(() => undefined))?.close();
    });
    const forward = async (request: FastifyRequest, reply: FastifyReply): Promise<void> => {
      const docs = await loadUi();
      // The UI instance answers on this request's own socket, streaming its assets as it would in place.
      reply.hijack();
      docs.routing(request.raw, reply.raw);
    };
    app.get('/docs', forward);
    app.get('/docs/*', forward);
    app.get('/openapi.json', { exposeHeadRoute: false }, async (_request, reply) => {
      return reply.type('application/json; charset=utf-8').send(document);
    });
  };
}
