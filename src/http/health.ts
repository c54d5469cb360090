import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { evaluate, evaluateOne, type Evaluation } from '../core/evaluate.js';
import { httpStatusFor } from '../core/status.js';
import type { Group } from '../core/types.js';
import { HttpError, methodNotAllowed, quote } from './errors.js';
import { EvaluationMemo } from './evaluation-memo.js';
import { HEALTH_JSON, TEXT_PLAIN, healthBodyJson, verboseText } from './health-format.js';
import type { OpenApiDocument } from './openapi-document.js';
import { namesFrom } from './query.js';
import type { AppContext } from './deps.js';

interface GroupQuery {
  verbose: boolean;
  exclude: string[];
}

/**
 * The query of the probe endpoints, checked by hand rather than by a route
 * schema: these are the hottest routes (kubelets, load balancers), the
 * common request has no query at all, and ajv validation cost about 4 % of a
 * request in bench/. Same contract as the OpenAPI document: `verbose` (any
 * value), `exclude` (repeatable) where allowed, anything else → 400.
 */
function parseQuery(query: Record<string, unknown>, allowExclude: boolean): GroupQuery {
  const parsed: GroupQuery = { verbose: false, exclude: [] };
  for (const key in query) {
    const value = query[key];
    if (key === 'verbose') {
      if (typeof value !== 'string') throw new HttpError(400, 'VITALS_ERR_BAD_REQUEST', "query parameter 'verbose' must be given once");
      parsed.verbose = true;
    }
    else if (key === 'exclude' && allowExclude && (typeof value === 'string' || Array.isArray(value))) {
      parsed.exclude = namesFrom(value as string | string[]);
    } else throw new HttpError(400, 'VITALS_ERR_BAD_REQUEST', `unknown query parameter ${quote(key)}`);
  }
  return parsed;
}

const ROUTES: ReadonlyArray<{ group: Group; path: string; label: 'health' | 'ready' }> = [
  { group: 'live', path: '/health', label: 'health' },
  { group: 'ready', path: '/ready', label: 'ready' },
];

function answer(reply: FastifyReply, evaluation: Evaluation, verbose: boolean, label: 'health' | 'ready'): FastifyReply {
  // No x-content-type-options here (every other route has it): the bodies are
  // application/health+json or text/plain, never rendered by a browser as
  // HTML, and the one extra header cost about 2 900 instructions per request
  // (bench:instructions, ~5 %). Error responses still carry it (sendError).
  void reply.code(httpStatusFor(evaluation.status)).header('cache-control', 'no-store');
  if (verbose) return reply.type(TEXT_PLAIN).send(verboseText(evaluation, label));
  return reply.type(HEALTH_JSON).send(healthBodyJson(evaluation.status, evaluation.output));
}

/**
 * /health, /ready and their /{probe} forms (GET; HEAD comes with GET).
 * Never authenticated, never a dependency call: the latest background state
 * only. Bodies say pass/warn/fail and nothing about hosts, versions or errors.
 */
export function healthRoutes(_document: OpenApiDocument, ctx: AppContext) {
  // Read once: the context object is built with spreads and a getter, which
  // leaves it in V8's slow (dictionary) mode, and these are the hottest routes.
  const { state, lifecycle, now } = ctx;
  return async function plugin(app: FastifyInstance): Promise<void> {
    for (const { group, path, label } of ROUTES) {
      const memo = new EvaluationMemo(group);
      app.get(path, (request: FastifyRequest, reply) => {
        const query = parseQuery(request.query as Record<string, unknown>, true);
        const probes = state.list();
        const exclude = query.exclude;
        for (const name of exclude) {
          if (!probes.some((p) => p.name === name && p.groups.includes(group))) {
            throw new HttpError(400, 'VITALS_ERR_BAD_REQUEST', `exclude: ${quote(name)} is not a probe of group ${group}`);
          }
        }
        const evaluation =
          exclude.length === 0
            ? memo.evaluate(probes, lifecycle(), now())
            : evaluate(probes, { group, exclude: new Set(exclude), lifecycle: lifecycle(), now: now() });
        answer(reply, evaluation, query.verbose, label);
      });

      app.get(
        `${path}/:probe`,
        (request: FastifyRequest<{ Params: { probe: string } }>, reply) => {
          const query = parseQuery(request.query as Record<string, unknown>, false);
          const snapshot = state.get(request.params.probe);
          if (snapshot === undefined || !snapshot.groups.includes(group)) {
            throw new HttpError(404, 'VITALS_ERR_PROBE_NOT_FOUND', `no probe ${quote(request.params.probe)} in group ${group}`);
          }
          const evaluation = evaluateOne(snapshot, group, lifecycle(), now());
          answer(reply, evaluation, query.verbose, label);
        },
      );

      methodNotAllowed(app, path, ['GET', 'HEAD']);
      methodNotAllowed(app, `${path}/:probe`, ['GET', 'HEAD']);
    }
  };
}
