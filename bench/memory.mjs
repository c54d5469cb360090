// Memory: RSS of a bare Fastify server, a zero-config vitals and a vitals
// with the ten probes of `npm run bench` (at 1 s, so their history fills),
// spawned together in the same run, read 10 s and 30 s after spawn, then
// once more after 5 s of autocannon load on /ready of each; with the ratios
// vitals ÷ bare. Bounded: ≈ 50 s (≈ 25 s with --quick: 5 s and 15 s).
//
//   npm run bench:memory
//   npm run bench:memory -- --quick
//   BENCH_BASELINE=../other-checkout npm run bench:memory   # + that build's zero-config, same run
import autocannon from 'autocannon';
import {
  QUICK, baselineCase, environment, finish, heapUsedMiB, memoryMiB, printTable, sleep, spawnServer, tenProbes, timedGet, waitReady,
  watchdog, writeResults,
} from './lib/common.mjs';
import { startTargets } from './targets.mjs';
import { performance } from 'node:perf_hooks';

const EARLY_S = QUICK ? 5 : 10;
const LATE_S = QUICK ? 15 : 30;
const LOAD_S = QUICK ? 3 : 5;

const servers = [];
watchdog(LATE_S + 4 * LOAD_S + 60, servers);
const targets = await startTargets();
try {
  const env = environment();
  const kinds = [
    ['bare Fastify', 'bare', undefined],
    ['vitals zero-config', 'vitals', undefined],
    ['vitals 10 probes', 'vitals', tenProbes(targets, '1s')],
    ...(baselineCase() === undefined ? [] : [baselineCase()]),
  ];
  const started = await Promise.all(kinds.map(([, kind, probes, cli]) => spawnServer(kind, { probes, cli })));
  servers.push(...started);
  await Promise.all(started.map((s) => waitReady(`${s.base}/ready`, { timeoutMs: 30_000, everyMs: 50 })));
  const t0 = Math.min(...started.map((s) => s.spawnedAt));
  const rows = kinds.map(([name]) => ({ case: name }));
  const readAt = async (seconds, key) => {
    await sleep(Math.max(0, t0 + seconds * 1000 - performance.now()));
    started.forEach((s, i) => (rows[i][key] = memoryMiB(s.pid).rss));
  };
  await readAt(EARLY_S, 'early');
  await readAt(LATE_S, 'late');
  started.forEach((s, i) => (rows[i].peakIdle = memoryMiB(s.pid).peak));
  for (const [i, s] of started.entries()) {
    await autocannon({ url: `${s.base}/ready`, connections: 10, duration: LOAD_S });
    rows[i].peakLoad = memoryMiB(s.pid).peak;
  }
  for (const [i, s] of started.entries()) {
    if (s.kind !== 'vitals') continue;
    const res = await timedGet(`${s.base}/diagnostics`, { keepBody: true });
    if (res.status === 200) rows[i].heap = heapUsedMiB(JSON.parse(res.body));
  }
  const bare = rows[0];
  for (const row of rows) {
    row.earlyRatio = row.early / bare.early;
    row.lateRatio = row.late / bare.late;
    row.peakLoadRatio = row.peakLoad / bare.peakLoad;
  }
  const file = writeResults('memory', { env, earlyS: EARLY_S, lateS: LATE_S, loadS: LOAD_S, rows });
  printTable(`vitals memory: RSS MiB after spawn, then peak after ${LOAD_S} s of autocannon on /ready (10 connections); ratios ÷ bare`, env, [
    ['case', 'case'], ['early', `${EARLY_S} s`], ['earlyRatio', '×'], ['late', `${LATE_S} s`], ['lateRatio', '×'],
    ['peakIdle', 'peak idle'], ['peakLoad', 'peak under load'], ['peakLoadRatio', '×'], ['heap', 'heap used'],
  ], rows);
  const zero = rows[1];
  console.log(`target: zero-config RSS ≤ 1.25× bare → ${zero.lateRatio.toFixed(2)}× at ${LATE_S} s  ${zero.lateRatio <= 1.25 ? 'met' : 'MISSED'}`);
  console.log(`results: ${file}`);
  await finish(servers, targets);
} catch (error) {
  await finish(servers, targets, error);
}
