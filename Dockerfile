# syntax=docker/dockerfile:1
#
# vitals container image: Node 20, production dependencies only, non-root,
# node as PID 1 (exec-form ENTRYPOINT; vitals handles SIGTERM/SIGINT itself
# and starts no child processes, so no init is needed to forward signals or
# reap zombies; `docker run --init` adds tini if you want one anyway).
#
#   docker build -t vitals:0.1.0 .
#   docker run --rm -p 8080:8080 vitals:0.1.0                  # zero-config
#   docker run --rm -p 8080:8080 -v $PWD/vitals.yaml:/etc/vitals/vitals.yaml:ro \
#     -e VITALS_CONFIG=/etc/vitals/vitals.yaml --env-file .env vitals:0.1.0

ARG NODE_IMAGE=node:20-bookworm-slim

# --- production dependencies only --------------------------------------------
FROM ${NODE_IMAGE} AS deps
WORKDIR /app
COPY package.json package-lock.json ./
# --ignore-scripts: no dependency needs an install script, and the package's
# own `prepare` (tsc) needs dev dependencies that this stage does not have.
RUN npm ci --omit=dev --ignore-scripts --no-audit --no-fund \
 && npm cache clean --force

# --- build: all dependencies, compile TypeScript to dist/ ---------------------
FROM ${NODE_IMAGE} AS build
WORKDIR /app
COPY package.json package-lock.json ./
RUN npm ci --ignore-scripts --no-audit --no-fund
COPY tsconfig.json tsconfig.build.json ./
COPY src ./src
COPY probes ./probes
# The build also writes dist/openapi/openapi.json from the YAML (scripts/openapi-json.mjs).
COPY scripts/openapi-json.mjs ./scripts/
COPY openapi ./openapi
RUN npm run build

# --- runtime ------------------------------------------------------------------
FROM ${NODE_IMAGE} AS runtime
# VITALS_PORT is deliberately not set here: it would override server.port of
# a mounted config file. The HEALTHCHECK reads it when you set it.
ENV NODE_ENV=production
WORKDIR /app
# Owned by root and only readable by the service user: the process cannot
# rewrite its own code, and the root filesystem can be mounted read-only.
COPY --from=deps /app/node_modules ./node_modules
COPY --from=build /app/dist ./dist
COPY package.json ./
COPY openapi ./openapi

# The `node` user of the official image (uid/gid 1000), given numerically so
# Kubernetes' runAsNonRoot can verify it without resolving a name.
USER 1000:1000

EXPOSE 8080

# Liveness only (GET /health, which never depends on databases): a Docker
# HEALTHCHECK must not turn a dependency outage into container restarts.
# No curl in the slim image, so node's own fetch, bounded by a 4 s abort.
HEALTHCHECK --interval=15s --timeout=5s --start-period=20s --retries=3 \
  CMD ["node", "-e", "fetch('http://127.0.0.1:'+(process.env.VITALS_PORT||process.env.PORT||8080)+'/health',{signal:AbortSignal.timeout(4000)}).then(r=>process.exit(r.ok?0:1),()=>process.exit(1))"]

# vitals drains on SIGTERM: /ready turns 503, it keeps serving for drainDelay
# (5 s), then closes within shutdown.timeout (25 s). Give `docker stop` more
# than that: `docker stop -t 40`, or stop_grace_period in compose.
STOPSIGNAL SIGTERM
ENTRYPOINT ["node", "dist/src/cli/main.js"]
CMD ["serve"]
