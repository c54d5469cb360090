// Benchmark: vitals' /health and /ready against a bare Fastify route returning
// the same body, in the same run, each server in its own process, several
// rotated repetitions. Reports requests/s, p50/p99 latency and the server's CPU
// time per request (read from /proc, so the load generator's CPU is not in
// it), and the ratios vitals ÷ bare. Bounded: REPS × 4 cases × DURATION s.
//
//   npm run bench                       # defaults: 3 reps, 5 s each, 10 connections
//   BENCH_REPS=5 BENCH_DURATION=10 npm run bench
import autocannon from 'autocannon';
import { PIN, cpuSeconds, median, startServer as start, tenProbes } from './lib/common.mjs';
import { startTargets } from './targets.mjs';

const REPS = Number(process.env.BENCH_REPS ?? 3);
const DURATION = Number(process.env.BENCH_DURATION ?? 5);
const CONNECTIONS = Number(process.env.BENCH_CONNECTIONS ?? 10);

/** The bare route, or a vitals with the ten probes (intervals 1 h: no probe runs under load). */
const startServer = (kind, targets) => start(kind, kind === 'bare' ? {} : { probes: tenProbes(targets) });

async function measure(server, path) {
  const before = cpuSeconds(server.pid);
  const result = await autocannon({ url: server.base + path, connections: CONNECTIONS, duration: DURATION });
  const cpu = cpuSeconds(server.pid) - before;
  const requests = result.requests.total;
  if (result.non2xx > 0 || result.errors > 0) throw new Error(`${server.kind} ${path}: ${result.non2xx} non-2xx, ${result.errors} errors`);
  return { rps: result.requests.average, p50: result.latency.p50, p99: result.latency.p99, cpuPerReqUs: (cpu / requests) * 1e6, requests };
}

const targets = await startTargets();
const bare = await startServer('bare', targets);
const vitals = await startServer('vitals', targets);
// Let every probe finish its first round, then count dependency traffic from here on.
await new Promise((r) => setTimeout(r, 1500));
const depsBefore = { ...targets.counts };

const cases = [
  ['bare /health', bare, '/health'],
  ['vitals /health', vitals, '/health'],
  ['bare /ready', bare, '/ready'],
  ['vitals /ready', vitals, '/ready'],
];
// Warm up every case (JIT, connection pools) so the first measured case is not penalised.
for (const [, server, path] of cases) {
  await autocannon({ url: server.base + path, connections: CONNECTIONS, duration: 1 });
}
const samples = Object.fromEntries(cases.map(([name]) => [name, []]));
for (let rep = 0; rep < REPS; rep++) {
  // Rotate the order so no case always runs first (warm-up) or last (thermal).
  const order = cases.map((_, i) => cases[(i + rep) % cases.length]);
  for (const [name, server, path] of order) samples[name].push(await measure(server, path));
}
const depsDuring = {
  tcpConnections: targets.counts.tcpConnections - depsBefore.tcpConnections,
  httpRequests: targets.counts.httpRequests - depsBefore.httpRequests,
};
await Promise.all([bare.stop(), vitals.stop()]);
await targets.close();

const summary = {};
for (const [name] of cases) {
  const s = samples[name];
  summary[name] = {
    rps: median(s.map((x) => x.rps)),
    p50: median(s.map((x) => x.p50)),
    p99: median(s.map((x) => x.p99)),
    cpuPerReqUs: median(s.map((x) => x.cpuPerReqUs)),
  };
}
// Each vitals route is compared with the bare route of the same path.
const baseFor = (name) => summary[`bare ${name.split(' ')[1]}`];
console.log(`\nvitals bench: ${REPS} rotated reps × ${DURATION}s, ${CONNECTIONS} connections, node ${process.version}, medians${PIN ? ', load on CPU 0, servers on CPU 1' : ''}`);
console.log('case              req/s     p50 ms  p99 ms  cpu µs/req   rps ratio  cpu ratio');
for (const [name, s] of Object.entries(summary)) {
  console.log(
    `${name.padEnd(16)} ${s.rps.toFixed(0).padStart(7)}  ${String(s.p50).padStart(6)}  ${String(s.p99).padStart(6)}  ${s.cpuPerReqUs.toFixed(1).padStart(10)}   ${(s.rps / baseFor(name).rps).toFixed(3).padStart(8)}  ${(s.cpuPerReqUs / baseFor(name).cpuPerReqUs).toFixed(3).padStart(8)}`,
  );
}
console.log(`dependency calls during load: tcp ${depsDuring.tcpConnections}, http ${depsDuring.httpRequests} (probe intervals 1h: any call would be request-caused)`);
const vitalsCases = ['vitals /health', 'vitals /ready'];
const worstCpu = Math.max(...vitalsCases.map((n) => summary[n].cpuPerReqUs / baseFor(n).cpuPerReqUs));
const worstRps = Math.min(...vitalsCases.map((n) => summary[n].rps / baseFor(n).rps));
console.log(`targets: cpu/req ≤ 1.05× → ${worstCpu.toFixed(3)}×  ${worstCpu <= 1.05 ? 'met' : 'MISSED'};  req/s ≥ 0.95× → ${worstRps.toFixed(3)}×  ${worstRps >= 0.95 ? 'met' : 'MISSED'};  dependency calls from requests: ${depsDuring.tcpConnections + depsDuring.httpRequests === 0 ? 'none' : 'SOME'}`);
