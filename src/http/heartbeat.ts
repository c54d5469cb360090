import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { redactText } from '../core/redact.js';
import { requireToken } from './auth.js';
import type { AppContext, HeartbeatInbox } from './deps.js';
import { HttpError, methodNotAllowed, quote } from './errors.js';
import { querystringSchema, type OpenApiDocument } from './openapi-document.js';

/**
 * Per client address and probe. A worker that beats on every loop iteration
 * gets 429s past this, but the beats that got through still count; a storm
 * (or a token guesser) cannot make vitals spend more than this per probe.
 */
export const DEFAULT_HEARTBEAT_RATE_LIMIT = { max: 120, timeWindowMs: 60_000 };
/** CONTRACT §11: the /fail text is at most 1 KiB; longer is 413, not truncated. */
export const MAX_FAIL_TEXT_BYTES = 1024;

type NamedRequest = FastifyRequest<{ Params: { name: string } }>;

/**
 * POST /heartbeat/{name} and /heartbeat/{name}/fail (CONTRACT §11): a job
 * pushes its own health. The beat is recorded, then the probe runs at once
 * (the scheduler's single-flight run-now) so /ready and /metrics show it when
 * the request returns instead of at the next interval.
 */
export function heartbeatRoutes(document: OpenApiDocument, ctx: AppContext) {
  return async function plugin(app: FastifyInstance): Promise<void> {
    const lookup = ctx.heartbeat;
    if (lookup === undefined) return;
    const limit = ctx.heartbeatRateLimit;
    const guards = new Map<string, ReturnType<typeof requireToken>>();

    // Any content type is plain text here (curl -d sends form-encoded): the body is only ever shown as text.
    app.removeAllContentTypeParsers();
    app.addContentTypeParser('*', { parseAs: 'string', bodyLimit: MAX_FAIL_TEXT_BYTES }, (_request, body, done) => done(null, body));

    const inboxFor = (name: string): HeartbeatInbox => {
      const inbox = lookup(name);
      if (inbox === undefined) throw new HttpError(404, 'VITALS_ERR_PROBE_NOT_FOUND', `no heartbeat probe ${quote(name)}`);
      return inbox;
    };
    // 404 and 401 before the body is read: an unauthenticated caller never gets it parsed.
    const authorize = async <P>(request: NamedRequest, reply: FastifyReply, payload: P): Promise<P> => {
      const name = request.params.name;
      const inbox = inboxFor(name);
      let guard = guards.get(name);
      if (guard === undefined) {
        guard = requireToken(inbox.token);
        guards.set(name, guard);
      }
      await guard.call(app, request, reply);
      return payload;
    };
    const rateLimit = {
      max: limit.max,
      timeWindow: limit.timeWindowMs,
      // Unknown names share one bucket so rotating names buys no extra guesses.
      keyGenerator: (request: FastifyRequest) => {
        const name = (request.params as { name?: string }).name ?? '';
        return `${request.ip}|${lookup(name) === undefined ? '?' : name}`;
      },
    };

    const answer = async (request: NamedRequest, reply: FastifyReply, received: 'beat' | 'fail'): Promise<FastifyReply> => {
      const { name } = request.params;
      let result;
      try {
        result = ctx.lifecycle().shuttingDown || ctx.runProbe === undefined ? undefined : await ctx.runProbe(name);
      } catch {
        // Shutdown began while this request waited: the beat is recorded all the same.
        result = undefined;
      }
      return reply
        .code(200)
        .header('cache-control', 'no-store')
        .send({
          name,
          received,
          at: new Date(ctx.now()).toISOString(),
          ...(result === undefined ? {} : { status: result.status }),
          ...(result?.reason === undefined ? {} : { reason: result.reason }),
          ...(result?.message === undefined ? {} : { message: redactText(result.message, ctx.secrets) }),
        });
    };

    app.post(
      '/heartbeat/:name',
      { schema: { querystring: querystringSchema(document, '/heartbeat/{name}', 'post') }, config: { rateLimit }, preParsing: authorize },
      async (request: NamedRequest, reply) => {
        inboxFor(request.params.name).beat();
        return answer(request, reply, 'beat');
      },
    );
    app.post(
      '/heartbeat/:name/fail',
      {
        schema: { querystring: querystringSchema(document, '/heartbeat/{name}/fail', 'post') },
        bodyLimit: MAX_FAIL_TEXT_BYTES,
        config: { rateLimit },
        preParsing: authorize,
      },
      async (request: NamedRequest, reply) => {
        const body = typeof request.body === 'string' ? request.body : '';
        // One line, no secrets: it becomes the probe's message on /ready, /diagnostics and the status page.
        const text = redactText(body.replace(/\s+/g, ' ').trim(), ctx.secrets);
        inboxFor(request.params.name).fail(text);
        ctx.logger.info({ probe: request.params.name, client: request.ip }, 'heartbeat failure reported');
        return answer(request, reply, 'fail');
      },
    );
    methodNotAllowed(app, '/heartbeat/:name', ['POST']);
    methodNotAllowed(app, '/heartbeat/:name/fail', ['POST']);
  };
}
