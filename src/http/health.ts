import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { evaluate, type Evaluation } from '../core/evaluate.js';
import { httpStatusFor } from '../core/status.js';
import type { Group } from '../core/types.js';
import { HttpError, methodNotAllowed, quote } from './errors.js';
import { HEALTH_JSON, TEXT_PLAIN, healthBodyJson, verboseText } from './health-format.js';
import type { OpenApiDocument } from './openapi-document.js';
import { querystringSchema } from './openapi-document.js';
import { namesFrom } from './query.js';

interface GroupQuery {
  verbose?: string;
  exclude?: string[];
}

const ROUTES: ReadonlyArray<{ group: Group; path: string; label: 'health' | 'ready' }> = [
  { group: 'live', path: '/health', label: 'health' },
  { group: 'ready', path: '/ready', label: 'ready' },
];

function answer(reply: FastifyReply, evaluation: Evaluation, verbose: boolean, label: 'health' | 'ready'): FastifyReply {
  void reply.code(httpStatusFor(evaluation.status)).header('cache-control', 'no-store');
  if (verbose) return reply.type(TEXT_PLAIN).send(verboseText(evaluation, label));
  return reply.type(HEALTH_JSON).send(healthBodyJson(evaluation.status, evaluation.output));
}

/**
 * /health, /ready and their /{probe} forms (GET; HEAD comes with GET).
 * Never authenticated, never a dependency call: the latest background state
 * only. Bodies say pass/warn/fail and nothing about hosts, versions or errors.
 */
export function healthRoutes(document: OpenApiDocument) {
  return async function plugin(app: FastifyInstance): Promise<void> {
    const ctx = app.vitals;

    for (const { group, path, label } of ROUTES) {
      app.get(path, { schema: { querystring: querystringSchema(document, path, 'get') } }, async (request: FastifyRequest, reply) => {
        const query = request.query as GroupQuery;
        const probes = ctx.state.list();
        const exclude = namesFrom(query.exclude);
        for (const name of exclude) {
          if (!probes.some((p) => p.name === name && p.groups.includes(group))) {
            throw new HttpError(400, 'VITALS_ERR_BAD_REQUEST', `exclude: ${quote(name)} is not a probe of group ${group}`);
          }
        }
        const evaluation = evaluate(probes, { group, exclude: new Set(exclude), lifecycle: ctx.lifecycle(), now: ctx.now() });
        return answer(reply, evaluation, query.verbose !== undefined, label);
      });

      const probePath = `${path}/{probe}`;
      app.get(
        `${path}/:probe`,
        { schema: { querystring: querystringSchema(document, probePath, 'get') } },
        async (request: FastifyRequest<{ Params: { probe: string } }>, reply) => {
          const query = request.query as GroupQuery;
          const snapshot = ctx.state.get(request.params.probe);
          if (snapshot === undefined || !snapshot.groups.includes(group)) {
            throw new HttpError(404, 'VITALS_ERR_PROBE_NOT_FOUND', `no probe ${quote(request.params.probe)} in group ${group}`);
          }
          // One dependency's own status: fail is 503 even for a non-critical
          // probe, and service-wide maintenance/shutdown belong to /ready only.
          const { startedAt } = ctx.lifecycle();
          const single = evaluate([snapshot], { group, lifecycle: { shuttingDown: false, startedAt }, now: ctx.now() });
          const own = single.checks[0]!.status;
          const evaluation: Evaluation = { ...single, status: own };
          return answer(reply, evaluation, query.verbose !== undefined, label);
        },
      );

      methodNotAllowed(app, path, ['GET', 'HEAD']);
      methodNotAllowed(app, `${path}/:probe`, ['GET', 'HEAD']);
    }
  };
}
