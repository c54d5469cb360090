// Heap investigation (issue 16, item 2): spawns a vitals with N tcp or http
// probes at 1 s, waits until every history is full (55 s), writes a V8 heap
// snapshot (SIGUSR2 → --heapsnapshot-signal) and prints where the heap goes:
// self size by V8 node type and constructor, plain objects grouped by their
// property names (ProbeResult, observation, snapshot, … records), and strings.
// Before the snapshot, a preloaded helper (lib/heap-report.mjs) reports RSS,
// heap committed and used per V8 space, before and after a full GC.
// Bounded: ≈ 90 s. The snapshot stays in bench/results/ for DevTools
// (`--no-snapshot`: the memory report only).
//
//   node bench/heap.mjs tcp 1000
//   node bench/heap.mjs http 1000 --quick     # 15 s: history not full
import { mkdirSync, readFileSync, readdirSync, renameSync, statSync } from 'node:fs';
import { dirname, join } from 'node:path';
import {
  QUICK, environment, finish, heapUsedMiB, manyProbes, memoryMiB, sleep, startServer, timedGet, watchdog, writeResults,
} from './lib/common.mjs';
import { startTargets } from './targets.mjs';

const TYPE = process.argv[2] ?? 'tcp';
const N = Number(process.argv[3] ?? 1000);
const SETTLE_S = QUICK ? 15 : 55;
const TOP = 25;

/** Waits for the snapshot V8 writes into the server's working directory, until its size stops changing. */
async function snapshotFile(dir) {
  for (let i = 0; i < 600; i++) {
    const file = readdirSync(dir).find((f) => f.endsWith('.heapsnapshot'));
    if (file !== undefined) {
      const size = statSync(join(dir, file)).size;
      await sleep(1000);
      if (size > 0 && statSync(join(dir, file)).size === size) return join(dir, file);
    } else {
      await sleep(500);
    }
  }
  throw new Error('no heap snapshot written');
}

/** Self sizes grouped three ways; plain objects keyed by their first property names. */
function summarise(snapshot) {
  const { node_fields: nf, edge_fields: ef, node_types: [nodeTypes], edge_types: [edgeTypes] } = snapshot.snapshot.meta;
  const { nodes, edges, strings } = snapshot;
  const NF = nf.length;
  const EF = ef.length;
  const [iType, iName, iSize, iEdges] = ['type', 'name', 'self_size', 'edge_count'].map((k) => nf.indexOf(k));
  const [eType, eName] = ['type', 'name_or_index'].map((k) => ef.indexOf(k));
  const byConstructor = new Map();
  const byShape = new Map();
  const add = (map, key, size) => {
    const entry = map.get(key) ?? { key, count: 0, bytes: 0 };
    entry.count++;
    entry.bytes += size;
    map.set(key, entry);
  };
  let total = 0;
  for (let n = 0, e = 0; n < nodes.length; n += NF) {
    const type = nodeTypes[nodes[n + iType]];
    const name = strings[nodes[n + iName]];
    const size = nodes[n + iSize];
    const edgeCount = nodes[n + iEdges];
    total += size;
    const isString = type === 'string' || type === 'concatenated string' || type === 'sliced string';
    add(byConstructor, isString ? 'string' : `${type}:${name.slice(0, 60)}`, size);
    if (type === 'object' && name === 'Object') {
      const props = [];
      for (let k = 0; k < edgeCount; k++) {
        const at = e + k * EF;
        if (edgeTypes[edges[at + eType]] === 'property') props.push(strings[edges[at + eName]]);
      }
      add(byShape, `{${props.filter((p) => !p.startsWith('<')).slice(0, 8).join(',')}}`, size);
    }
    e += edgeCount * EF;
  }
  const top = (map) => [...map.values()].sort((a, b) => b.bytes - a.bytes).slice(0, TOP);
  return { totalBytes: total, byConstructor: top(byConstructor), byShape: top(byShape) };
}

/** RSS split: V8 spaces committed vs used, before and after a full GC. */
function printReport({ before, afterGc }) {
  const f = (x) => x.toFixed(1).padStart(7);
  console.log('\nmemory (MiB)             before GC  after GC');
  for (const key of ['rss', 'heapTotal', 'heapUsed', 'external', 'arrayBuffers', 'mallocedMiB']) {
    console.log(`${key.padEnd(24)} ${f(before[key])}  ${f(afterGc[key])}`);
  }
  console.log('V8 space committed / used (MiB), before GC → after GC');
  for (const [name, s] of Object.entries(before.spaces)) {
    const a = afterGc.spaces[name];
    if (s.committedMiB < 0.5 && a.committedMiB < 0.5) continue;
    console.log(`  ${name.padEnd(22)} ${f(s.committedMiB)} / ${f(s.usedMiB)}  →  ${f(a.committedMiB)} / ${f(a.usedMiB)}`);
  }
}

const servers = [];
watchdog(SETTLE_S + 240, servers);
const targets = await startTargets();
try {
  const env = environment();
  const server = await startServer('vitals', { probes: manyProbes(TYPE, N, targets), nodeArgs: ['--heapsnapshot-signal=SIGUSR2', '--expose-gc', '--import', new URL('./lib/heap-report.mjs', import.meta.url).href],
  });
  servers.push(server);
  await sleep(SETTLE_S * 1000);
  // Generous, and not fatal: on a loaded machine a 1,000-probe /diagnostics can take tens of seconds.
  const res = await timedGet(`${server.base}/diagnostics`, { keepBody: true, timeoutMs: 120_000 });
  const heapUsed = res.status === 200 ? heapUsedMiB(JSON.parse(res.body)) : NaN;
  const { rss } = memoryMiB(server.pid);
  const report = await new Promise((resolve) => {
    server.child.on('message', (m) => m?.heapReport && resolve(m.heapReport));
    server.child.send('heap-report');
  });
  printReport(report);
  if (process.argv.includes('--no-snapshot')) {
    console.log(`results: ${writeResults(`heap-${TYPE}-${N}`, { env, type: TYPE, n: N, rss, heapUsed, report })}`);
    await finish(servers, targets);
  }
  server.child.kill('SIGUSR2');
  const file = await snapshotFile(server.dir);
  const kept = new URL(`../bench/results/heap-${TYPE}-${N}-${Date.now()}.heapsnapshot`, import.meta.url).pathname;
  mkdirSync(dirname(kept), { recursive: true }); // a fresh checkout has no bench/results yet
  renameSync(file, kept);
  const summary = summarise(JSON.parse(readFileSync(kept, 'utf8')));
  const mib = (b) => (b / 2 ** 20).toFixed(2).padStart(8);
  console.log(`\n${N} ${TYPE} probes after ${SETTLE_S} s: RSS ${rss.toFixed(0)} MiB, heapUsed ${heapUsed.toFixed(1)} MiB, snapshot self sizes ${mib(summary.totalBytes)} MiB (${env.date}, load ${env.loadavg.join(' ')})`);
  console.log('\nby V8 type:constructor            MiB     count   bytes/probe');
  for (const r of summary.byConstructor) console.log(`${r.key.slice(0, 60).padEnd(60)} ${mib(r.bytes)} ${String(r.count).padStart(9)} ${(r.bytes / N).toFixed(0).padStart(8)}`);
  console.log('\nplain objects by property names    MiB     count   bytes/probe');
  for (const r of summary.byShape) console.log(`${r.key.slice(0, 90).padEnd(90)} ${mib(r.bytes)} ${String(r.count).padStart(9)} ${(r.bytes / N).toFixed(0).padStart(8)}`);
  console.log(`results: ${writeResults(`heap-${TYPE}-${N}`, { env, type: TYPE, n: N, rss, heapUsed, report, snapshot: kept, ...summary })}`);
  await finish(servers, targets);
} catch (error) {
  await finish(servers, targets, error);
}
