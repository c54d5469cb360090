import rateLimit from '@fastify/rate-limit';
import Fastify, { type FastifyInstance } from 'fastify';
import { pino } from 'pino';
import { redactDeep } from '../core/redact.js';
import type { LifecycleState } from '../core/state.js';
import type { AppContext, AppDeps, LifecycleSource } from './deps.js';
import { DEFAULT_DIAGNOSTICS_RATE_LIMIT, diagnosticsRoutes } from './diagnostics.js';
import { docsRoutes } from './docs.js';
import { frameworkErrors, registerErrorHandling } from './errors.js';
import { healthRoutes } from './health.js';
import { closeIdleSockets } from './idle-sockets.js';
import { metricsRoutes } from './metrics-route.js';
import { DEFAULT_ADMIN_RUN_RATE_LIMIT, adminRoutes } from './admin.js';
import { DEFAULT_HEARTBEAT_RATE_LIMIT, heartbeatRoutes } from './heartbeat.js';
import { STATUS_RATE_LIMIT, STATUS_REFRESH_SECONDS, statusPageRoutes } from './status-page.js';
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
/**
 * Socket limits for a health endpoint: kubelets and scrapers send a whole
 * request in one packet and are done in milliseconds, so anything slower is
 * broken or hostile and must not hold a socket for long (slow-loris).
 */
export const SERVER_LIMITS = {
  /** Whole header block within 5 s of the connection (or of the previous request on keep-alive). */
  headersTimeoutMs: 5_000,
  /** Whole request, body included, within 10 s. */
  requestTimeoutMs: 10_000,
  /** An idle keep-alive connection is closed after 5 s (Prometheus reconnects per scrape at 15 s anyway). */
  keepAliveTimeoutMs: 5_000,
  /**
   * A socket that moves no byte either way for 10 s is closed (within one
   * check interval more). Enforced by closeIdleSockets, not Fastify's
   * connectionTimeout: that re-arms a socket timer on every read and write.
   */
  idleTimeoutMs: 10_000,
  /** How often the header, request and idle timeouts are enforced (Node's default, 30 s, would let a crowd pile up). */
  checkIntervalMs: 1_000,
  /** Open connections beyond this are closed at once: bounds fds and memory under a flood. */
  maxConnections: 4_096,
} as const;

export function buildApp(deps: AppDeps): FastifyInstance {
  const app = Fastify({
    http: { headersTimeout: SERVER_LIMITS.headersTimeoutMs, connectionsCheckingInterval: SERVER_LIMITS.checkIntervalMs },
    requestTimeout: SERVER_LIMITS.requestTimeoutMs,
    keepAliveTimeout: SERVER_LIMITS.keepAliveTimeoutMs,
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
  app.server.maxConnections = SERVER_LIMITS.maxConnections;
  closeIdleSockets(app.server, SERVER_LIMITS.idleTimeoutMs, SERVER_LIMITS.checkIntervalMs);

  const currentConfig = deps.currentConfig ?? (() => deps.config);
  const limits = deps.config.server.rateLimits;
  const context: AppContext = {
    logger: deps.logger ?? pino({ level: 'silent' }),
    get config() {
      return currentConfig();
    },
    state: deps.state,
    lifecycle: lifecycleGetter(deps.lifecycle),
    now: deps.now ?? Date.now,
    secrets: deps.secrets ?? deps.config.secrets.all,
    version: deps.version,
    metrics: deps.metrics,
    redactedConfig: deps.redactedConfig ?? (() => redactDeep(deps.config, deps.config.secrets.all)),
    diagnosticsRateLimit: deps.diagnosticsRateLimit ?? limits?.diagnostics ?? DEFAULT_DIAGNOSTICS_RATE_LIMIT,
    adminRunRateLimit: deps.adminRunRateLimit ?? limits?.adminRun ?? DEFAULT_ADMIN_RUN_RATE_LIMIT,
    statusRateLimit: deps.statusRateLimit ?? limits?.status ?? STATUS_RATE_LIMIT,
    statusRefreshSeconds: deps.statusRefreshSeconds ?? STATUS_REFRESH_SECONDS,
    ...(deps.maintenance === undefined ? {} : { maintenance: deps.maintenance }),
    ...(deps.runProbe === undefined ? {} : { runProbe: deps.runProbe }),
    ...(deps.reload === undefined ? {} : { reload: deps.reload }),
    ...(deps.heartbeat === undefined ? {} : { heartbeat: deps.heartbeat }),
    heartbeatRateLimit: deps.heartbeatRateLimit ?? DEFAULT_HEARTBEAT_RATE_LIMIT,
    longUptime: deps.longUptime ?? (() => undefined),
  };
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
  void app.register(healthRoutes(document, context));
  void app.register(async (scope: FastifyInstance) => {
    scope.addHook('onSend', (_request, reply, payload, done) => {
      void reply.header('x-content-type-options', 'nosniff');
      done(null, payload);
    });
    await scope.register(diagnosticsRoutes(document, context));
    await scope.register(metricsRoutes(document, context));
    await scope.register(docsRoutes(document, context));
    await scope.register(statusPageRoutes(document, context));
    await scope.register(adminRoutes(document, context));
    await scope.register(heartbeatRoutes(document, context));
  });
  return app;
}
