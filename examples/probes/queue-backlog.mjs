/**
 * A custom vitals probe: the backlog of one job queue, read from the stats
 * endpoint a worker pool exposes (`GET <url>/queues/<name>` answering
 * `{"waiting": 12, "oldestWaitingMs": 3400}`) — the shape Celery/RQ/BullMQ
 * dashboards and most in-house workers offer in some form.
 *
 * Use it from a config file (the path is relative to the config file):
 *
 *   probes:
 *     - name: video-jobs
 *       type: custom
 *       module: ./probes/queue-backlog.mjs
 *       url: http://workers.internal:9000
 *       queue: video
 *       warn: { backlog: 500 }
 *
 * A module exports its definition, or (as here) a function that receives
 * vitals' own `z` (zod) and `ProbeError`, so it needs no packages installed
 * beside it. vitals owns the timeout, timing, thresholds, metrics and hints;
 * the module only measures.
 */
export default function queueBacklog({ z, ProbeError }) {
  return {
    componentType: 'component',
    defaultIntervalMs: 15_000,
    options: z.object({
      url: z.string().url(),
      queue: z.string().min(1),
    }),
    measurements: {
      backlog: { unit: 'count', warn: 1_000, fail: 10_000, description: 'jobs waiting in the queue' },
      oldestJobAge: { unit: 'ms', description: 'how long the oldest waiting job has waited' },
    },
    hints: {
      reasons: {
        refused: 'the workers\' stats endpoint is not answering: check the worker deployment is running and its stats port',
        timeout: 'the stats endpoint did not answer in time: the workers may be overloaded or blocked',
        unavailable: 'the stats endpoint answered with an error: check the workers\' logs',
        config: 'the queue name or URL is wrong: list the queues the workers know at <url>/queues',
        error: 'the stats endpoint answered something unexpected: check it returns {"waiting": n, "oldestWaitingMs": n}',
      },
      measurements: {
        backlog: 'jobs arrive faster than they are done: scale the workers, and look for a consumer stuck on one job',
        oldestJobAge: 'jobs wait too long: a consumer may be stuck, or the queue has no consumer at all',
      },
    },
    create(options) {
      const endpoint = new URL(`queues/${encodeURIComponent(options.queue)}`, options.url.endsWith('/') ? options.url : `${options.url}/`);
      return {
        // `signal` aborts when vitals' timeout fires: hand it to every I/O call.
        async check(signal) {
          const response = await fetch(endpoint, { signal, headers: { accept: 'application/json' } });
          if (response.status === 404) throw new ProbeError('config', `the workers know no queue named "${options.queue}"`);
          if (!response.ok) throw new ProbeError('unavailable', `stats endpoint answered HTTP ${response.status}`);
          const stats = await response.json();
          if (typeof stats?.waiting !== 'number') throw new ProbeError('error', 'stats answer has no numeric "waiting" field');
          const observations = [{ measurement: 'backlog', value: stats.waiting, unit: 'count' }];
          if (typeof stats.oldestWaitingMs === 'number') {
            observations.push({ measurement: 'oldestJobAge', value: stats.oldestWaitingMs, unit: 'ms' });
          }
          return { observations, info: { queue: options.queue } };
        },
        // Nothing is held between runs (fetch pools its own sockets).
        async close() {},
      };
    },
  };
}
