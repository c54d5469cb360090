// Scale: N tcp or http probes (interval 1 s, timeout 500 ms) against loopback
// targets in this process. Per case: the server's CPU % and RSS over a
// window, probe runs/s seen by the targets, time / server CPU / size of
// /metrics, /status and /diagnostics, and the spacing of each probe's runs in the window
// (from /diagnostics history) as a multiple of its interval. A bare Fastify
// server runs alongside as the RSS reference. The window ends 50 s after the
// first /ready, when every probe's history (50 runs) is full, so RSS is the
// steady state. Bounded: ≈ 60 s per case (≈ 20 s with --quick, history not full).
//
//   npm run bench:scale                       # N = 100 and 1,000, tcp and http
//   npm run bench:scale -- --quick            # shorter windows
//   BENCH_SCALE_N=1000 BENCH_SCALE_TYPES=tcp npm run bench:scale
import http from 'node:http';
import {
  QUICK, READY_TIMEOUT_S, cpuSeconds, environment, finish, heapUsedMiB, manyProbes, median, memoryMiB, printTable, runSpacing,
  sleep, startServer, timedGet, watchdog, writeResults,
} from './lib/common.mjs';
import { startTargets } from './targets.mjs';
import { performance } from 'node:perf_hooks';

const SIZES = (process.env.BENCH_SCALE_N ?? '100,1000').split(',').map(Number);
const TYPES = (process.env.BENCH_SCALE_TYPES ?? 'tcp,http').split(',');
const WARM_S = QUICK ? 4 : 36;
const WINDOW_S = QUICK ? 8 : 15;
const REQUESTS = QUICK ? 3 : 5;
// /diagnostics allows 5 requests/s per client: stay under it.
const REQUEST_GAP_MS = 250;

/**
 * REQUESTS sequential GETs of one path: median and max wall time, body size,
 * and the server CPU per request with the probes' own background CPU
 * (measured over the window just before) subtracted.
 */
async function endpoint(server, path, backgroundCpuPerS) {
  const agent = new http.Agent({ keepAlive: true });
  const samples = [];
  let last;
  for (let i = 0; i < REQUESTS; i++) {
    const cpu0 = cpuSeconds(server.pid);
    // Generous: on a loaded shared machine a 1,000-probe /diagnostics can take tens of seconds.
    const res = await timedGet(server.base + path, { agent, keepBody: path === '/diagnostics', timeoutMs: 120_000 });
    const cpuMs = (cpuSeconds(server.pid) - cpu0 - backgroundCpuPerS * (res.ms / 1000)) * 1000;
    if (res.status !== 200) {
      // The memory figures are still worth having: report the endpoint as failed, not the whole case.
      console.error(`${path}: HTTP ${res.status} after ${res.ms.toFixed(0)} ms`);
      agent.destroy();
      return { ms: NaN, maxMs: NaN, cpuMs: NaN, kb: NaN, body: undefined };
    }
    samples.push({ ms: res.ms, cpuMs: Math.max(0, cpuMs), bytes: res.bytes });
    last = res;
    await sleep(REQUEST_GAP_MS);
  }
  agent.destroy();
  return {
    ms: median(samples.map((s) => s.ms)),
    maxMs: Math.max(...samples.map((s) => s.ms)),
    cpuMs: median(samples.map((s) => s.cpuMs)),
    kb: last.bytes / 1000,
    body: last.body,
  };
}

async function runCase(type, n, targets, servers) {
  const server = await startServer('vitals', { probes: manyProbes(type, n, targets) });
  servers.push(server);
  const readyAfterS = (performance.now() - server.spawnedAt) / 1000;
  await sleep(WARM_S * 1000);
  const counted = type === 'tcp' ? 'tcpConnections' : 'httpRequests';
  const cpu0 = cpuSeconds(server.pid);
  const runs0 = targets.counts[counted];
  const t0 = performance.now();
  // Spacing is judged from here on: a probe's first run comes with start-up, its second on its grid slot,
  // anywhere in [interval, 2 × interval) after it (scheduler.ts), which is a phase, not a missed schedule.
  const windowFromMs = Date.now();
  await sleep(WINDOW_S * 1000);
  const seconds = (performance.now() - t0) / 1000;
  const cpuPerS = (cpuSeconds(server.pid) - cpu0) / seconds;
  const runsPerS = (targets.counts[counted] - runs0) / seconds;
  const { rss } = memoryMiB(server.pid);
  // Printed at once: should the endpoints below outlast the watchdog, the steady-state figures are not lost.
  console.error(`${n} ${type}: RSS ${rss.toFixed(1)} MiB, ${(cpuPerS * 100).toFixed(1)} % CPU, ${runsPerS.toFixed(0)} runs/s (load ${environment().loadavg.join(' ')})`);
  const metrics = await endpoint(server, '/metrics', cpuPerS);
  const status = await endpoint(server, '/status', cpuPerS);
  const diagnostics = await endpoint(server, '/diagnostics', cpuPerS);
  const body = diagnostics.body === undefined ? undefined : JSON.parse(diagnostics.body);
  const spacing = body === undefined ? { p50: NaN, p99: NaN, max: NaN } : runSpacing(body, { fromMs: windowFromMs });
  // The peak includes what rendering the three endpoints allocated.
  const { peak } = memoryMiB(server.pid);
  await server.stop();
  servers.splice(servers.indexOf(server), 1);
  return {
    case: `${n} ${type}`,
    readyS: readyAfterS,
    cpuPct: cpuPerS * 100,
    runsPerS,
    rssMiB: rss,
    peakMiB: peak,
    heapMiB: body === undefined ? NaN : heapUsedMiB(body),
    metricsMs: metrics.ms,
    metricsCpuMs: metrics.cpuMs,
    metricsKB: metrics.kb,
    statusMs: status.ms,
    statusKB: status.kb,
    diagMs: diagnostics.ms,
    diagMaxMs: diagnostics.maxMs,
    diagCpuMs: diagnostics.cpuMs,
    diagKB: diagnostics.kb,
    spacingP50: spacing.p50,
    spacingP99: spacing.p99,
    spacingMax: spacing.max,
  };
}

const servers = [];
watchdog(SIZES.length * TYPES.length * (WARM_S + WINDOW_S + 60 + Math.max(0, READY_TIMEOUT_S - 60)) + 30, servers);
const targets = await startTargets();
try {
  const env = environment();
  const bare = await startServer('bare');
  servers.push(bare);
  const rows = [];
  for (const n of SIZES) for (const type of TYPES) rows.push(await runCase(type, n, targets, servers));
  const bareMemory = memoryMiB(bare.pid);
  rows.push({ case: 'bare Fastify', rssMiB: bareMemory.rss, peakMiB: bareMemory.peak });
  const file = writeResults('scale', { env, warmS: WARM_S, windowS: WINDOW_S, interval: '1s', timeout: '500ms', rows });
  printTable(`vitals scale: probes at 1 s, timeout 500 ms; ${WINDOW_S} s window after ${WARM_S} s; endpoints: median of ${REQUESTS}`, env, [
    ['case', 'case'], ['cpuPct', 'CPU %'], ['runsPerS', 'runs/s'], ['rssMiB', 'RSS MiB'], ['peakMiB', 'peak MiB'], ['heapMiB', 'heap MiB'],
    ['metricsMs', '/metrics ms'], ['metricsCpuMs', 'CPU ms'], ['metricsKB', 'kB'],
    ['statusMs', '/status ms'], ['statusKB', 'kB'],
    ['diagMs', '/diagnostics ms'], ['diagMaxMs', 'max'], ['diagCpuMs', 'CPU ms'], ['diagKB', 'kB'],
    ['spacingP99', 'spacing p99 ×'], ['spacingMax', 'max ×'],
  ], rows);
  console.log(`first /ready after: ${rows.filter((r) => r.readyS !== undefined).map((r) => `${r.case} ${r.readyS.toFixed(2)} s`).join(', ')}`);
  console.log(`results: ${file}`);
  await finish(servers, targets);
} catch (error) {
  await finish(servers, targets, error);
}
