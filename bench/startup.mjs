// Start-up: spawn → first /ready 200 (polled every 5 ms on a fresh
// connection), and the server's CPU time and RSS at that moment, for a bare
// Fastify server, a zero-config vitals and the ten-probe vitals; several
// rotated repetitions, medians, ratios ÷ bare. Bounded: reps × 3 spawns.
//
//   npm run bench:startup                     # 7 reps
//   npm run bench:startup -- --quick          # 3 reps
//   BENCH_BASELINE=../other-checkout npm run bench:startup   # + that build's zero-config, same rotation
import {
  QUICK, baselineCase, cpuSeconds, environment, finish, median, memoryMiB, printTable, spawnServer, tenProbes, waitReady, watchdog,
  writeResults,
} from './lib/common.mjs';
import { startTargets } from './targets.mjs';
import { performance } from 'node:perf_hooks';

const REPS = Number(process.env.BENCH_REPS ?? (QUICK ? 3 : 7));

const servers = [];
watchdog(REPS * 4 * 20 + 30, servers);
const targets = await startTargets();
try {
  const env = environment();
  const cases = [
    ['bare Fastify', 'bare', undefined],
    ['vitals zero-config', 'vitals', undefined],
    ['vitals 10 probes', 'vitals', tenProbes(targets)],
    ...(baselineCase() === undefined ? [] : [baselineCase()]),
  ];
  const samples = cases.map(() => []);
  for (let rep = 0; rep < REPS; rep++) {
    for (let k = 0; k < cases.length; k++) {
      // Rotate so no case always spawns first (cold page cache) or last.
      const i = (k + rep) % cases.length;
      const [, kind, probes, cli] = cases[i];
      const server = await spawnServer(kind, { probes, cli });
      servers.push(server);
      await waitReady(`${server.base}/ready`, { timeoutMs: 15_000, everyMs: 5 });
      samples[i].push({ ms: performance.now() - server.spawnedAt, cpuMs: cpuSeconds(server.pid) * 1000, rss: memoryMiB(server.pid).rss });
      await server.stop();
      servers.splice(servers.indexOf(server), 1);
    }
  }
  const rows = cases.map(([name], i) => ({
    case: name,
    ms: median(samples[i].map((s) => s.ms)),
    minMs: Math.min(...samples[i].map((s) => s.ms)),
    maxMs: Math.max(...samples[i].map((s) => s.ms)),
    cpuMs: median(samples[i].map((s) => s.cpuMs)),
    rss: median(samples[i].map((s) => s.rss)),
  }));
  for (const row of rows) {
    row.ratio = row.ms / rows[0].ms;
    row.cpuRatio = row.cpuMs / rows[0].cpuMs;
  }
  const file = writeResults('startup', { env, reps: REPS, rows, samples });
  printTable(`vitals start-up: spawn → first /ready 200, medians of ${REPS} rotated reps; CPU and RSS at that moment`, env, [
    ['case', 'case'], ['ms', 'ms'], ['minMs', 'min'], ['maxMs', 'max'], ['ratio', '×'], ['cpuMs', 'CPU ms'], ['cpuRatio', '×'], ['rss', 'RSS MiB'],
  ], rows);
  const zero = rows[1];
  console.log(`target: start-up ≤ 2× bare → ${zero.ratio.toFixed(2)}× (zero-config)  ${zero.ratio <= 2 ? 'met' : 'MISSED'}`);
  console.log(`results: ${file}`);
  await finish(servers, targets);
} catch (error) {
  await finish(servers, targets, error);
}
