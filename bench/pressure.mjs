// /diagnostics pressure: 1,000 tcp probes at 1 s (timeout 500 ms). A quiet
// phase, then a pressure phase in which several clients (each its own
// loopback address, so each has its own rate limit) fire GET /diagnostics at
// 4/s each (inside the 5/s limit; at most 2 in flight per client). In both
// phases /ready and /health of vitals, and /ready of a bare Fastify server
// for reference, are polled every 50 ms; reported: their p50/p99/max, the
// server's CPU %, probe runs/s seen by the target and the spacing of each
// probe's runs (from /diagnostics history) as a multiple of the interval.
// Bounded: ≈ 60 s (≈ 30 s with --quick).
//
//   npm run bench:pressure
//   BENCH_DIAG_CLIENTS=3 BENCH_DIAG_RATE=4 npm run bench:pressure -- --quick
import http from 'node:http';
import {
  QUICK, cpuSeconds, environment, finish, manyProbes, percentile, printTable, runSpacing, sleep, startServer, timedGet,
  watchdog, writeResults,
} from './lib/common.mjs';
import { startTargets } from './targets.mjs';

const PROBES = Number(process.env.BENCH_PRESSURE_PROBES ?? 1000);
const CLIENTS = Number(process.env.BENCH_DIAG_CLIENTS ?? 3);
const RATE = Number(process.env.BENCH_DIAG_RATE ?? 4);
const MAX_IN_FLIGHT = 2;
const WARM_S = QUICK ? 4 : 8;
const PHASE_S = QUICK ? 10 : 20;
const POLL_MS = 50;

/** Polls url every POLL_MS (one request at a time) until stop(); latencies in ms. */
function poller(url) {
  const agent = new http.Agent({ keepAlive: true });
  const latencies = [];
  let failures = 0;
  let running = true;
  const done = (async () => {
    while (running) {
      const res = await timedGet(url, { agent, timeoutMs: 10_000 });
      if (res.status === 200) latencies.push(res.ms);
      else failures++;
      await sleep(POLL_MS);
    }
    agent.destroy();
  })();
  return { stop: async () => { running = false; await done; return { latencies, failures }; } };
}

/** One operator's dashboard: GET /diagnostics at RATE/s from its own address. */
function diagnosticsClient(url, index) {
  const agent = new http.Agent({ keepAlive: true });
  const localAddress = `127.0.0.${10 + index}`;
  const counts = { ok: 0, limited: 0, other: 0, skipped: 0 };
  const inFlight = new Set();
  const timer = setInterval(() => {
    if (inFlight.size >= MAX_IN_FLIGHT) {
      counts.skipped++;
      return;
    }
    const request = timedGet(url, { agent, localAddress, timeoutMs: 20_000 }).then((res) => {
      inFlight.delete(request);
      if (res.status === 200) counts.ok++;
      else if (res.status === 429) counts.limited++;
      else counts.other++;
    });
    inFlight.add(request);
  }, 1000 / RATE);
  return {
    stop: async () => {
      clearInterval(timer);
      await Promise.all(inFlight);
      agent.destroy();
      return counts;
    },
  };
}

async function phase(name, vitals, bare, targets, pressure) {
  const from = Date.now();
  const cpu0 = cpuSeconds(vitals.pid);
  const runs0 = targets.counts.tcpConnections;
  const pollers = [poller(`${vitals.base}/ready`), poller(`${vitals.base}/health`), poller(`${bare.base}/ready`)];
  const clients = pressure ? Array.from({ length: CLIENTS }, (_, i) => diagnosticsClient(`${vitals.base}/diagnostics`, i)) : [];
  await sleep(PHASE_S * 1000);
  const to = Date.now();
  const runs = targets.counts.tcpConnections - runs0;
  const cpu = cpuSeconds(vitals.pid) - cpu0;
  const diag = await Promise.all(clients.map((c) => c.stop()));
  const [ready, health, bareReady] = await Promise.all(pollers.map((p) => p.stop()));
  // Read history after the phase, from a client address of its own; the runs that finished inside the phase count.
  const res = await timedGet(`${vitals.base}/diagnostics`, { localAddress: '127.0.0.9', keepBody: true });
  if (res.status !== 200) throw new Error(`/diagnostics after ${name}: HTTP ${res.status}`);
  const spacing = runSpacing(JSON.parse(res.body), { fromMs: from, toMs: to });
  const stats = (key, { latencies, failures }) => ({
    [`${key}P50`]: percentile(latencies, 50),
    [`${key}P99`]: percentile(latencies, 99),
    [`${key}Max`]: Math.max(...latencies),
    [`${key}Failures`]: failures,
  });
  const sum = (key) => diag.reduce((n, c) => n + c[key], 0);
  return {
    case: name,
    cpuPct: (cpu / ((to - from) / 1000)) * 100,
    runsPerS: runs / ((to - from) / 1000),
    diagOk: sum('ok'),
    diag429: sum('limited'),
    diagSkipped: sum('skipped'),
    ...stats('ready', ready),
    ...stats('health', health),
    ...stats('bare', bareReady),
    spacingP50: spacing.p50,
    spacingP99: spacing.p99,
    spacingMax: spacing.max,
  };
}

const servers = [];
watchdog(WARM_S + 2 * PHASE_S + 90, servers);
const targets = await startTargets();
try {
  const env = environment();
  const bare = await startServer('bare');
  servers.push(bare);
  const vitals = await startServer('vitals', { probes: manyProbes('tcp', PROBES, targets) });
  servers.push(vitals);
  await sleep(WARM_S * 1000);
  const rows = [await phase('quiet', vitals, bare, targets, false)];
  rows.push(await phase(`${CLIENTS} × /diagnostics ${RATE}/s`, vitals, bare, targets, true));
  const file = writeResults('pressure', { env, probes: PROBES, clients: CLIENTS, rate: RATE, phaseS: PHASE_S, rows });
  printTable(`vitals /diagnostics pressure: ${PROBES} tcp probes at 1 s; ${PHASE_S} s per phase; latencies ms, polled every ${POLL_MS} ms`, env, [
    ['case', 'phase'], ['cpuPct', 'CPU %'], ['runsPerS', 'runs/s'], ['diagOk', 'diag 200'], ['diag429', '429'],
    ['readyP50', '/ready p50'], ['readyP99', 'p99'], ['readyMax', 'max'],
    ['healthP50', '/health p50'], ['healthP99', 'p99'], ['healthMax', 'max'],
    ['bareP99', 'bare /ready p99'], ['spacingP99', 'spacing p99 ×'], ['spacingMax', 'max ×'],
  ], rows);
  const loaded = rows[1];
  const worst = Math.max(loaded.readyP99, loaded.healthP99);
  console.log(`targets under pressure: /ready, /health p99 < 50 ms → ${worst.toFixed(1)} ms  ${worst < 50 ? 'met' : 'MISSED'};  run spacing ≤ 1.2× → ${loaded.spacingMax.toFixed(2)}×  ${loaded.spacingMax <= 1.2 ? 'met' : 'MISSED'}`);
  console.log(`results: ${file}`);
  await finish(servers, targets);
} catch (error) {
  await finish(servers, targets, error);
}
