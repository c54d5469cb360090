import rateLimit from '@fastify/rate-limit';
import Fastify, { type FastifyInstance } from 'fastify';
import { pino } from 'pino';
import { collectSecrets } from '../core/redact.js';
import type { LifecycleState } from '../core/state.js';
import type { AppContext, AppDeps, LifecycleSource } from './deps.js';
import { diagnosticsRoutes } from './diagnostics.js';
import { docsRoutes } from './docs.js';
import { frameworkErrors, registerErrorHandling } from './errors.js';
import { healthRoutes } from './health.js';
import { metricsRoutes } from './metrics-route.js';
import { adminRoutes } from './admin.js';
import { heartbeatRoutes } from './heartbeat.js';
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
    // Kubelets, load balancers and scrapers call every few seconds: Fastify's
    // own request logging (and the per-request child logger it builds even
    // when request logging is off) is pure cost here — about 3 % of a /ready
    // request in bench/. The few lines worth logging (5xx causes, admin
    // actions) go through the service logger in `app.vitals.logger`.
    logger: false,
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
    logger: deps.logger ?? pino({ level: 'silent' }),
    config: deps.config,
    state: deps.state,
    lifecycle: lifecycleGetter(deps.lifecycle),
    now: deps.now ?? Date.now,
    secrets: [...new Set(known)],
  };
  app.decorate('vitals', context);
  registerErrorHandling(app, context.secrets, context.logger);

  const document = loadOpenApiDocument(deps.version);
  void app.register(rateLimit, {
    global: false,
    // Built as an error so the error handler gives it the common JSON shape.
    errorResponseBuilder: (_request, context) =>
      Object.assign(new Error(`too many requests; retry in ${context.after}`), { statusCode: context.statusCode }),
  });
  // The probe endpoints set every header themselves: a hook on the hottest
  // routes costs about 4 % of a request (bench/). Error responses set
  // nosniff in sendError.
  void app.register(healthRoutes(document));
  void app.register(async (scope: FastifyInstance) => {
    scope.addHook('onSend', (_request, reply, payload, done) => {
      void reply.header('x-content-type-options', 'nosniff');
      done(null, payload);
    });
    await scope.register(diagnosticsRoutes(document));
    await scope.register(metricsRoutes(document));
    await scope.register(docsRoutes(document));
    await scope.register(statusPageRoutes(document));
    await scope.register(adminRoutes(document));
    await scope.register(heartbeatRoutes(document));
  });
  return app;
}
