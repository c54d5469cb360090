// /metrics on a real server: N tcp probes (interval 1 s, timeout 500 ms)
// against a loopback target. After a warm-up, a quiet phase and a scrape
// phase of the same length: in the scrape phase /metrics is fetched once a
// second (so at 1,000 probes every probe ran since the previous scrape: the
// body cache cannot help), and in both phases /ready is polled every 20 ms
// by another client. Prints per N: /metrics wall ms, server CPU ms per
// scrape (the probes' own CPU, measured in the quiet phase, subtracted),
// body size per probe, and /ready p99 / max in each phase (a long
// synchronous scrape shows as a /ready max). Bounded: ≈ 35 s per size.
//
//   npm run build && node bench/metrics-scrape.mjs      (BENCH_METRICS_N, default 10,1000)
import http from 'node:http';
import {
  cpuSeconds, environment, finish, manyProbes, median, percentile, printTable, sleep, startServer, timedGet, watchdog, writeResults,
} from './lib/common.mjs';
import { performance } from 'node:perf_hooks';
import { startTargets } from './targets.mjs';

const SIZES = (process.env.BENCH_METRICS_N ?? '10,1000').split(',').map(Number);
const WARM_S = 8;
const PHASE_S = 10;

/** One GET: wall ms and body bytes; rejects with the reason on anything but 200. */
function get(url, agent) {
  return new Promise((resolve, reject) => {
    const started = performance.now();
    const req = http.get(url, { agent, timeout: 30_000 }, (res) => {
      let bytes = 0;
      res.on('data', (chunk) => {
        bytes += chunk.length;
      });
      res.on('end', () => (res.statusCode === 200 ? resolve({ ms: performance.now() - started, bytes }) : reject(new Error(`${url}: HTTP ${res.statusCode}`))));
      res.on('error', reject);
    });
    req.on('timeout', () => req.destroy(new Error(`${url}: no answer within 30 s`)));
    req.on('error', (error) => reject(new Error(`${url}: ${error.message}`)));
  });
}

/** /ready every 20 ms until stopped: the latencies. */
function pollReady(server) {
  const agent = new http.Agent({ keepAlive: true });
  const latencies = [];
  let running = true;
  const done = (async () => {
    while (running) {
      const res = await timedGet(`${server.base}/ready`, { agent, timeoutMs: 5_000 });
      latencies.push(res.ms);
      await sleep(20);
    }
    agent.destroy();
  })();
  return async () => {
    running = false;
    await done;
    return latencies;
  };
}

async function runCase(n, targets, servers) {
  const server = await startServer('vitals', { probes: manyProbes('tcp', n, targets) });
  servers.push(server);
  await sleep(WARM_S * 1000);

  let stop = pollReady(server);
  const cpu0 = cpuSeconds(server.pid);
  await sleep(PHASE_S * 1000);
  const backgroundCpuPerS = (cpuSeconds(server.pid) - cpu0) / PHASE_S;
  const quiet = await stop();

  stop = pollReady(server);
  const agent = new http.Agent({ keepAlive: true });
  const scrapes = [];
  for (let i = 0; i < PHASE_S; i++) {
    const before = cpuSeconds(server.pid);
    const res = await get(`${server.base}/metrics`, agent);
    const cpuMs = (cpuSeconds(server.pid) - before - backgroundCpuPerS * (res.ms / 1000)) * 1000;
    scrapes.push({ ms: res.ms, cpuMs: Math.max(0, cpuMs), bytes: res.bytes });
    await sleep(1_000);
  }
  agent.destroy();
  const scraping = await stop();
  await server.stop();
  servers.splice(servers.indexOf(server), 1);
  return {
    case: `${n} tcp`,
    backgroundPct: backgroundCpuPerS * 100,
    metricsMs: median(scrapes.map((s) => s.ms)),
    metricsCpuMs: median(scrapes.map((s) => s.cpuMs)),
    cpuUsPerProbe: (median(scrapes.map((s) => s.cpuMs)) * 1000) / n,
    kb: scrapes.at(-1).bytes / 1000,
    bytesPerProbe: scrapes.at(-1).bytes / n,
    quietP99: percentile(quiet, 99),
    quietMax: Math.max(...quiet),
    scrapeP99: percentile(scraping, 99),
    scrapeMax: Math.max(...scraping),
  };
}

const servers = [];
watchdog(SIZES.length * (WARM_S + 2 * PHASE_S + 40) + 30, servers);
const targets = await startTargets();
try {
  const env = environment();
  const rows = [];
  for (const n of SIZES) rows.push(await runCase(n, targets, servers));
  const file = writeResults('metrics-scrape', { env, warmS: WARM_S, phaseS: PHASE_S, rows });
  printTable(`/metrics: tcp probes at 1 s; one scrape a second for ${PHASE_S} s; /ready every 20 ms alongside`, env, [
    ['case', 'case'], ['backgroundPct', 'probes CPU %'], ['metricsMs', '/metrics ms'], ['metricsCpuMs', 'CPU ms'],
    ['cpuUsPerProbe', 'CPU µs/probe'], ['kb', 'kB'], ['bytesPerProbe', 'B/probe'],
    ['quietP99', '/ready p99 quiet'], ['quietMax', 'max'], ['scrapeP99', '/ready p99 scraping'], ['scrapeMax', 'max'],
  ], rows);
  console.log(`results: ${file}`);
  await finish(servers, targets);
} catch (error) {
  await finish(servers, targets, error);
}
