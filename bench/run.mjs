// Benchmark: vitals' /health and /ready against a bare Fastify route returning
// the same body, in the same run, each server in its own process, several
// rotated repetitions. Reports requests/s, p50/p99 latency and the server's CPU
// time per request (read from /proc, so the load generator's CPU is not in
// it), and the ratios vitals ÷ bare. Bounded: REPS × 4 cases × DURATION s.
//
//   npm run bench                       # defaults: 3 reps, 5 s each, 10 connections
//   BENCH_REPS=5 BENCH_DURATION=10 npm run bench
import autocannon from 'autocannon';
import { execFileSync, fork } from 'node:child_process';
import { readFileSync, mkdtempSync, writeFileSync } from 'node:fs';
import net from 'node:net';
import { availableParallelism, tmpdir } from 'node:os';
import { join } from 'node:path';
import { startTargets } from './targets.mjs';

const REPS = Number(process.env.BENCH_REPS ?? 3);
const DURATION = Number(process.env.BENCH_DURATION ?? 5);
const CONNECTIONS = Number(process.env.BENCH_CONNECTIONS ?? 10);
const TICKS = 100; // USER_HZ on Linux

// Pin the load generator to CPU 0 and the servers to CPU 1 when there are two
// or more CPUs and taskset exists: on a 2-core machine, letting the scheduler
// move them around made the CPU-per-request ratio swing by ±8 % run to run.
const PIN = (() => {
  // Asked before pinning: availableParallelism() follows this process's affinity.
  if (availableParallelism() < 2 || process.env.BENCH_NO_PIN === '1') return false;
  try {
    execFileSync('taskset', ['-cp', '0', String(process.pid)], { stdio: 'ignore' });
    return true;
  } catch {
    return false;
  }
})();
function pinServer(pid) {
  if (PIN) execFileSync('taskset', ['-cp', '1', String(pid)], { stdio: 'ignore' });
}

function freePort() {
  return new Promise((resolve, reject) => {
    const s = net.createServer();
    s.on('error', reject);
    s.listen(0, '127.0.0.1', () => {
      const { port } = s.address();
      s.close(() => resolve(port));
    });
  });
}

/** utime + stime of a process, in seconds, from /proc/PID/stat. */
function cpuSeconds(pid) {
  const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  return (Number(fields[11]) + Number(fields[12])) / TICKS;
}

async function waitReady(url, timeoutMs = 20_000) {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    try {
      const res = await fetch(url);
      if (res.status === 200) return;
    } catch {
      // not up yet
    }
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error(`${url} did not answer 200 within ${timeoutMs} ms`);
}

function vitalsConfig(targets) {
  const probes = [
    { name: 'loop', type: 'eventloop' },
    { name: 'mem', type: 'memory' },
    { name: 'root', type: 'disk', path: '/' },
  ];
  for (let i = 1; i <= 4; i++) probes.push({ name: `tcp-${i}`, type: 'tcp', host: '127.0.0.1', port: targets.tcpPort, interval: '1h' });
  for (let i = 1; i <= 3; i++) probes.push({ name: `up-${i}`, type: 'http', url: `http://127.0.0.1:${targets.httpPort}/health`, interval: '1h' });
  const lines = ['service: { id: bench }', 'probes:'];
  for (const p of probes) lines.push(`  - ${JSON.stringify(p)}`);
  return `${lines.join('\n')}\n`;
}

async function startServer(kind, targets) {
  const port = await freePort();
  let child;
  if (kind === 'bare') {
    child = fork(new URL('./bare-server.mjs', import.meta.url), [String(port)], { stdio: 'ignore' });
  } else {
    const dir = mkdtempSync(join(tmpdir(), 'vitals-bench-'));
    const file = join(dir, 'vitals.yaml');
    writeFileSync(file, vitalsConfig(targets));
    child = fork(new URL('../dist/src/cli/main.js', import.meta.url), ['serve', '--config', file], {
      stdio: 'ignore',
      env: { ...process.env, VITALS_PORT: String(port), VITALS_LOG_LEVEL: 'warn' },
    });
  }
  pinServer(child.pid);
  const base = `http://127.0.0.1:${port}`;
  await waitReady(`${base}/ready`);
  return { kind, base, pid: child.pid, stop: () => new Promise((r) => { child.once('exit', r); child.kill('SIGTERM'); }) };
}

async function measure(server, path) {
  const before = cpuSeconds(server.pid);
  const result = await autocannon({ url: server.base + path, connections: CONNECTIONS, duration: DURATION });
  const cpu = cpuSeconds(server.pid) - before;
  const requests = result.requests.total;
  if (result.non2xx > 0 || result.errors > 0) throw new Error(`${server.kind} ${path}: ${result.non2xx} non-2xx, ${result.errors} errors`);
  return { rps: result.requests.average, p50: result.latency.p50, p99: result.latency.p99, cpuPerReqUs: (cpu / requests) * 1e6, requests };
}

const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];

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
