import rateLimit from '@fastify/rate-limit';
import Fastify, { LogController, type FastifyInstance } from 'fastify';
import { collectSecrets } from '../core/redact.js';
import type { LifecycleState } from '../core/state.js';
import type { AppContext, AppDeps, LifecycleSource } from './deps.js';
import { diagnosticsRoutes } from './diagnostics.js';
import { docsRoutes } from './docs.js';
import { frameworkErrors, registerErrorHandling } from './errors.js';
import { healthRoutes } from './health.js';
import { metricsRoutes } from './metrics-route.js';
import { adminRoutes } from './admin.js';
import { statusPageRoutes } from './status-page.js';
import { loadOpenApiDocument } from './openapi-document.js';

export type { AppDeps, AppContext, LifecycleSource } from './deps.js';

function lifecycleGetter(source: LifecycleSource): () => LifecycleState {
  return typeof source === 'function' ? source : () => source.state();
}

/**
 * The HTTP face of vitals: one Fastify instance, one plugin per route family.
 * Reads state only; nothing here calls a dependency. Plugins added later
 * (status page, admin) find everything under `app.vitals`, can guard routes
 * with `requireToken` (auth.ts) and rate limit with `config.rateLimit`.
 */
export function buildApp(deps: AppDeps): FastifyInstance {
  const app = Fastify({
    ...(deps.logger === undefined ? { logger: false } : { loggerInstance: deps.logger }),
    // Kubelets and scrapers call every few seconds: no per-request log lines.
    logController: new LogController({ disableRequestLogging: true }),
    // No per-request child logger either: it costs an allocation on every
    // probe request (measured in bench/), and request logs carry no request
    // id we use. Errors are still logged, through the service logger.
    childLoggerFactory: (logger) => logger,
    // Probe names are at most 63 characters; anything much longer is not a probe.
    routerOptions: { maxParamLength: 200 },
    bodyLimit: 64 * 1024,
    ajv: {
      customOptions: {
        // An unknown query parameter is an error (400), never silently dropped.
        removeAdditional: false,
        allErrors: false,
      },
    },
    frameworkErrors,
  }) as unknown as FastifyInstance; // the pino-typed instance is a FastifyInstance with a narrower logger type

  const known = [...collectSecrets(deps.config), ...(deps.secrets ?? [])];
  const context: AppContext = {
    deps,
    config: deps.config,
    state: deps.state,
    lifecycle: lifecycleGetter(deps.lifecycle),
    now: deps.now ?? Date.now,
    secrets: [...new Set(known)],
  };
  app.decorate('vitals', context);
  registerErrorHandling(app, context.secrets);

  // Callback style, not async: this runs on every kubelet and LB request, and
  // an async hook costs a promise per request (measured in bench/).
  app.addHook('onSend', (_request, reply, payload, done) => {
    void reply.header('x-content-type-options', 'nosniff');
    done(null, payload);
  });

  const document = loadOpenApiDocument(deps.version);
  void app.register(rateLimit, {
    global: false,
    // Built as an error so the error handler gives it the common JSON shape.
    errorResponseBuilder: (_request, context) =>
      Object.assign(new Error(`too many requests; retry in ${context.after}`), { statusCode: context.statusCode }),
  });
  void app.register(healthRoutes(document));
  void app.register(diagnosticsRoutes(document));
  void app.register(metricsRoutes(document));
  void app.register(docsRoutes(document));
  void app.register(statusPageRoutes(document));
  void app.register(adminRoutes(document));
  return app;
}
