import { randomBytes } from 'node:crypto';
import type { FastifyInstance, FastifyReply } from 'fastify';
import { evaluate } from '../core/evaluate.js';
import { maintenanceActive, probeView, probeViews } from '../core/read-model.js';
import { underRoots } from '../core/root-cause.js';
import { redactText } from '../core/redact.js';
import { viewSeverity, worstFirst } from '../core/worst-first.js';
import { LongHistory } from '../runner/long-history.js';
import { requireToken } from './auth.js';
import { BodyCache } from './body-cache.js';
import { methodNotAllowed, quote, sendError } from './errors.js';
import { acceptsGzip, GzipMemo } from './gzip-body.js';
import { querystringSchema, type OpenApiDocument } from './openapi-document.js';
import { escapeHtml, renderStatusPage, stateText, type ProbeRow, type StatusPageModel } from './status-page-template.js';
import { renderProbePage, type ProbePageModel } from './status-probe-template.js';
import { probeLongUptime } from './long-uptime-template.js';
import { probePageJson, statusPageJson } from './status-json.js';
import type { AppContext } from './deps.js';

/**
 * The pages update every this many seconds: their nonce'd script polls the JSON view
 * (`?format=json`); with scripts off, a <noscript> meta refresh reloads them instead.
 */
export const STATUS_REFRESH_SECONDS = 10;
/** Per client address; a page refreshing every 10 s, or a person reloading, stays far below it. */
export const STATUS_RATE_LIMIT = { max: 5, timeWindowMs: 1_000 };
/** The page is rendered at most once per this age; each response still gets its own CSP nonce. */
export const STATUS_MAX_AGE_MS = 1_000;

function contentSecurityPolicy(nonce: string): string {
  return [
    "default-src 'none'",
    `style-src 'nonce-${nonce}'`,
    // The one inline script (status-live-script), and its polls of this service's own JSON view: nothing else.
    `script-src 'nonce-${nonce}'`,
    "connect-src 'self'",
    // The favicon is `data:,` so browsers do not ask for /favicon.ico (a 404 in the console).
    'img-src data:',
    "base-uri 'none'",
    "form-action 'none'",
    "frame-ancestors 'none'",
  ].join('; ');
}

/**
 * GET /status: a server-rendered page for people (CONTRACT §2). Token when
 * configured, as Bearer or as the Basic password with any user name — the
 * 401 challenges for Basic too so a browser prompts. Reads state only.
 */
export function statusPageRoutes(document: OpenApiDocument, ctx: AppContext) {
  return async function plugin(app: FastifyInstance): Promise<void> {
    // The cached page carries this per-process random stand-in; each response swaps in a fresh nonce.
    const noncePlaceholder = randomBytes(16).toString('base64');
    const pages = new BodyCache<string>(STATUS_MAX_AGE_MS, ctx.now);
    const limit = ctx.statusRateLimit;
    // 24 h of rollups and state changes, fed from finished runs (the scheduler's onRun); lives with the app.
    const { history: longHistory, stop } = LongHistory.follow(ctx.state);
    app.addHook('onClose', async () => stop());
    const routeOptions = (path: string) => ({
      schema: { querystring: querystringSchema(document, path, 'get') },
      config: { rateLimit: { max: limit.max, timeWindow: limit.timeWindowMs } },
      preValidation: requireToken(() => ctx.config.auth.token, { basicChallenge: true }),
    });
    const clean = (text: string | null): string | undefined => (text === null ? undefined : redactText(text, ctx.secrets));
    const sendPage = (reply: FastifyReply, code: number, nonce: string, html: string) =>
      reply
        .code(code)
        .type('text/html; charset=utf-8')
        .header('cache-control', 'no-store')
        .header('content-security-policy', contentSecurityPolicy(nonce))
        .header('referrer-policy', 'no-referrer')
        .send(html);
    // The JSON view: same auth, rate limit and cache as the page; the page's script reads it.
    const sendJson = (reply: FastifyReply, body: string | Buffer) =>
      reply.code(200).type('application/json; charset=utf-8').header('cache-control', 'no-store').header('x-content-type-options', 'nosniff').header('vary', 'accept-encoding').send(body);
    // The list's JSON is polled by every open page (2 MiB at 1,000 probes, mostly repeated markup):
    // gzipped once per cached body, about a tenth on the wire.
    const listGzip = new GzipMemo();
    type Format = { Querystring: { format?: 'html' | 'json' } };

    app.get<Format>(
      '/status',
      routeOptions('/status'),
      async (request, reply) => {
        const lifecycle = ctx.lifecycle();
        const version = JSON.stringify([lifecycle.maintenance ?? null, lifecycle.shuttingDown]);
        // HTML and JSON are two renders of one model (pageModel), each cached on its own.
        if (request.query.format === 'json') {
          const body = await pages.get('json', version, async () => JSON.stringify(statusPageJson(pageModel(lifecycle))));
          if (!acceptsGzip(request.headers['accept-encoding'])) return sendJson(reply, body);
          const gz = await listGzip.get(body);
          return sendJson(reply.header('content-encoding', 'gzip'), gz);
        }
        const page = await pages.get('', version, async () => renderStatusPage(pageModel(lifecycle)));
        const nonce = randomBytes(16).toString('base64');
        return sendPage(reply, 200, nonce, page.replaceAll(noncePlaceholder, nonce));
      },
    );

    function pageModel(lifecycle: ReturnType<AppContext['lifecycle']>): StatusPageModel {
        const now = ctx.now();
        const snapshots = ctx.state.list();
        const ready = evaluate(snapshots, { group: 'ready', lifecycle, now });
        const live = evaluate(snapshots, { group: 'live', lifecycle, now });
        const views = probeViews(snapshots, lifecycle, now);
        const longUptime = ctx.longUptime();
        const rows: ProbeRow[] = snapshots.map((s, i) => {
          const view = views[i]!;
          const cause = view.dependency?.cause;
          const reason = view.stale ? null : view.reason;
          return {
            name: s.name,
            type: s.type,
            critical: s.critical,
            groups: s.groups,
            state: s.state,
            severity: viewSeverity(view),
            tone: view.tone,
            stale: view.stale,
            ...(view.failing === undefined ? {} : { failing: view.failing }),
            ...(s.last === undefined ? {} : { durationMs: s.last.durationMs, lastStatus: s.last.status }),
            // The stale explanation has its own line; the latest run's own reason shows beside it.
            ...(reason === null ? {} : { reason }),
            ...(reason === null || view.message === null ? {} : { message: clean(view.message)! }),
            ...(reason === null || view.hint === null ? {} : { hint: clean(view.hint)! }),
            ...(cause === undefined ? {} : { cause: { reason: cause.reason, ...(cause.message === null ? {} : { message: clean(cause.message)! }) } }),
            ...(s.lastChange === undefined ? {} : { lastChange: s.lastChange }),
            ...(s.lastRun === undefined ? {} : { lastRun: s.lastRun }),
            history: ctx.state.history(s.name).map((r) => ({ durationMs: r.durationMs, status: r.status })),
            ...(longUptime === undefined ? {} : { longUptime: probeLongUptime(longUptime, s.name)! }),
          };
        });
        // Worst first (core/worst-first), then dependents under their root (CONTRACT §9): one red block per cause.
        const ordered = worstFirst(rows, (r) => ({ severity: r.severity, name: r.name }));
        const rootOf = new Map(views.map((v) => [v.name, v.dependency?.roots[0]?.name]));
        const probes = underRoots(ordered, (r) => r.name, (r) => rootOf.get(r.name)).map(({ item, dependent }) =>
          dependent ? { ...item, dependent } : item,
        );

        const model: StatusPageModel = {
          serviceId: ctx.config.service.id,
          description: ctx.config.service.description,
          version: ctx.version,
          now,
          ready: { status: ready.status, ...(ready.output === undefined ? {} : { output: ready.output }) },
          live: { status: live.status },
          ...(lifecycle.maintenance !== undefined && maintenanceActive(lifecycle.maintenance, now)
            ? { maintenance: { ...lifecycle.maintenance, reason: clean(lifecycle.maintenance.reason)! } }
            : {}),
          shuttingDown: lifecycle.shuttingDown,
          probes,
          ...(longUptime === undefined ? {} : { longUptime }),
          refreshSeconds: ctx.statusRefreshSeconds,
          nonce: noncePlaceholder,
        };
        return model;
    }
    methodNotAllowed(app, '/status', ['GET', 'HEAD']);

    // GET /status/{probe}: one probe's page. Every status on it comes from the read model; history from longHistory.
    app.get<{ Params: { probe: string } } & Format>('/status/:probe', routeOptions('/status/{probe}'), async (request, reply) => {
      const now = ctx.now();
      const nonce = randomBytes(16).toString('base64');
      const json = request.query.format === 'json';
      const s = ctx.state.get(request.params.probe);
      if (s === undefined && json) return sendError(reply, 404, 'VITALS_ERR_PROBE_NOT_FOUND', `no probe ${quote(request.params.probe)}`);
      if (s === undefined) {
        return sendPage(
          reply,
          404,
          nonce,
          `<!doctype html><html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1"><link rel="icon" href="data:,"><title>No such probe — vitals</title></head><body><main><h1>No probe named “${escapeHtml(request.params.probe)}”</h1><p><a href="/status">All probes</a></p></main></body></html>`,
        );
      }
      const view = probeView(s, ctx.lifecycle(), now);
      const longUptime = ctx.longUptime();
      const { changes, truncated } = longHistory.changes(s.name, now);
      const model: ProbePageModel = {
        name: s.name,
        type: s.type,
        critical: s.critical,
        state: s.state,
        severity: viewSeverity(view),
        stateText: stateText({ stale: view.stale, state: s.state, ...(view.failing === undefined ? {} : { failing: view.failing }) }),
        tone: view.tone,
        ...(view.reason === null ? {} : { reason: view.reason }),
        ...(view.message === null ? {} : { message: clean(view.message)! }),
        ...(view.hint === null ? {} : { hint: clean(view.hint)! }),
        observations: s.last?.observations ?? [],
        rollups: longHistory.rollups(s.name, now),
        changes,
        changesTruncated: truncated,
        ...(s.lastChange === undefined ? {} : { since: s.lastChange }),
        lastRuns: ctx.state.history(s.name).map((r) => ({
          finishedAt: r.finishedAt,
          status: r.status,
          durationMs: r.durationMs,
          ...(r.reason === undefined ? {} : { reason: r.reason }),
          ...(r.message === undefined ? {} : { message: clean(r.message)! }),
        })),
        now,
        refreshSeconds: ctx.statusRefreshSeconds,
        nonce,
        serviceId: ctx.config.service.id,
        ...(longUptime === undefined ? {} : { longUptime }),
      };
      if (json) return sendJson(reply, JSON.stringify(probePageJson(model)));
      return sendPage(reply, 200, nonce, renderProbePage(model));
    });
    methodNotAllowed(app, '/status/:probe', ['GET', 'HEAD']);
  };
}
