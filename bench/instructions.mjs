// Instructions per request, counted by valgrind (callgrind): unlike CPU time,
// the count does not move when other work shares the machine, so a change of
// a few per cent on /health or /ready shows in one run.
//
// Each server (the bare route of bench/bare-server.mjs, and dist's vitals
// with the ten probes of `npm run bench`, every interval 1 h so no probe run
// lands in a window) runs under callgrind. After a warm-up (JIT), for each
// path: counters zeroed, N requests, dump; 2N requests, dump. Instructions
// per request = (count(2N) − count(N)) ÷ N, which cancels what a window costs
// whatever its length (the dump itself, the client connecting). Each pair is
// done REPS times, and the spread between them is printed: trust a figure only
// when the repetitions agree.
//
// Work driven by the clock (timers, the event-loop probe's 20 ms sampler) is
// also counted, and it weighs far more here than at full speed, since a
// request takes ~50× longer under valgrind: the idle cost per second is
// printed alongside so it can be told apart.
//
//   npm run bench:instructions                       # N=2000, warm-up 5000, 2 reps, 10 connections
//   BENCH_N=4000 BENCH_REPS=3 BENCH_PATHS=/ready npm run bench:instructions
//   BENCH_KINDS=vitals npm run bench:instructions    # only one server
import { execFileSync, spawn } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import autocannon from 'autocannon';
import { configYaml, freePort, sleep, tenProbes, waitReady } from './lib/common.mjs';
import { startTargets } from './targets.mjs';

const N = Number(process.env.BENCH_N ?? 1000);
const WARMUP = Number(process.env.BENCH_WARMUP ?? 8000);
const REPS = Number(process.env.BENCH_REPS ?? 2);
const CONNECTIONS = Number(process.env.BENCH_CONNECTIONS ?? 1);
const PATHS = (process.env.BENCH_PATHS ?? '/health,/ready').split(',');
const KINDS = (process.env.BENCH_KINDS ?? 'bare,vitals').split(',');
/** Where dist/ lives: another checkout's build can be measured with the same script (bisecting). */
const ROOT = process.env.BENCH_ROOT ?? fileURLToPath(new URL('..', import.meta.url));
/** BENCH_COUNT_GC=1: count garbage collection too (then figures scatter with where collections fall). */
const COUNT_GC = process.env.BENCH_COUNT_GC === '1';
const IDLE_MS = 3000;
const BOUND_S = Number(process.env.BENCH_BOUND_S ?? 1800);

const watchdog = setTimeout(() => {
  console.error(`bench:instructions exceeded its ${BOUND_S} s bound; stopping`);
  for (const child of children) child.kill('SIGKILL');
  process.exit(1);
}, BOUND_S * 1000);
watchdog.unref();
const children = new Set();

/** Spawns `node args` under callgrind; dumps go to a fresh directory. */
async function startUnderCallgrind(kind, targets) {
  const port = await freePort();
  const dir = mkdtempSync(join(tmpdir(), 'vitals-instr-'));
  const env = Object.fromEntries(Object.entries(process.env).filter(([k]) => !/^(DATABASE_URL|POSTGRES_URL|REDIS_URL|NATS_URL|NEO4J_.*|VITALS_.*|PORT)$/.test(k)));
  let args;
  if (kind === 'bare') args = [join(ROOT, 'bench/bare-server.mjs'), String(port)];
  else {
    const file = join(dir, 'vitals.yaml');
    writeFileSync(file, configYaml(tenProbes(targets, '1h').map((p) => ({ ...p, interval: '1h' }))));
    args = [join(ROOT, 'dist/src/cli/main.js'), 'serve', '--config', file];
    Object.assign(env, { VITALS_PORT: String(port), VITALS_LOG_LEVEL: 'warn' });
  }
  const child = spawn(
    'valgrind',
    [
      '--tool=callgrind',
      // V8 rewrites code it has generated: without this valgrind may run stale translations.
      '--smc-check=all-non-file',
      '--vgdb=yes',
      // Start-up and warm-up run uninstrumented (several times faster); measuring switches it on.
      '--instr-atstart=no',
      `--callgrind-out-file=${join(dir, 'cg.out')}`,
      process.execPath,
      // No concurrent compiler or GC threads: their work would land in whichever window it happens to fall.
      '--single-threaded',
      // Every collection inside PerformGarbageCollection (no marking steps spread over allocations).
      '--no-incremental-marking',
      ...args,
    ],
    { cwd: dir, env, stdio: ['ignore', 'ignore', 'pipe'] },
  );
  let stderr = '';
  child.stderr.on('data', (chunk) => {
    stderr = (stderr + chunk).slice(-4000);
  });
  children.add(child);
  const exited = new Promise((r) => child.once('exit', r));
  const base = `http://127.0.0.1:${port}`;
  try {
    await waitReady(`${base}/ready`, { timeoutMs: 900_000, everyMs: 1000 });
  } catch (error) {
    child.kill('SIGKILL');
    throw new Error(`${kind} did not come up under valgrind: ${error.message}\n${stderr}`, { cause: error });
  }
  return {
    kind,
    base,
    pid: child.pid,
    dir,
    stop: async () => {
      child.kill('SIGTERM');
      const timer = setTimeout(() => child.kill('SIGKILL'), 60_000);
      await exited;
      clearTimeout(timer);
      children.delete(child);
    },
  };
}

function callgrindControl(flag, pid) {
  execFileSync('callgrind_control', [...flag.split(' '), String(pid)], { stdio: 'ignore', timeout: 120_000 });
}

/**
 * Dumps the counters (they restart from zero) and returns the instructions
 * since the last dump or zeroing, less those inside garbage collection
 * (unless BENCH_COUNT_GC=1): a collection falls in whichever window it
 * happens to, and one major collection outweighs a thousand requests.
 */
function dump(server) {
  const before = new Set(readdirSync(server.dir));
  callgrindControl('-d', server.pid);
  const fresh = readdirSync(server.dir).filter((f) => f.startsWith('cg.out') && !before.has(f));
  if (fresh.length !== 1) throw new Error(`expected one new dump in ${server.dir}, found ${fresh.join(', ') || 'none'}`);
  const file = join(server.dir, fresh[0]);
  const line = /^(?:summary|totals):\s+(\d+)/m.exec(readFileSync(file, 'utf8'));
  if (line === null) throw new Error(`no totals in ${fresh[0]}`);
  const total = Number(line[1]);
  if (COUNT_GC) return total;
  const annotated = execFileSync('callgrind_annotate', ['--inclusive=yes', '--threshold=100', file], { encoding: 'utf8', maxBuffer: 64 * 2 ** 20 });
  const gc = /^\s*([\d,]+) .*v8::internal::Heap::PerformGarbageCollection\(/m.exec(annotated);
  return total - (gc === null ? 0 : Number(gc[1].replaceAll(',', '')));
}

async function load(server, path, amount) {
  const result = await autocannon({ url: server.base + path, connections: CONNECTIONS, amount, timeout: 120 });
  const answered = result.requests.total;
  if (result.non2xx > 0 || result.errors > 0 || result.timeouts > 0 || answered !== amount) {
    throw new Error(`${server.kind} ${path}: ${answered}/${amount} answered, ${result.non2xx} non-2xx, ${result.errors} errors, ${result.timeouts} timeouts`);
  }
}

const t0 = Date.now();
const note = (what) => {
  if (process.env.BENCH_VERBOSE === '1') console.error(`${((Date.now() - t0) / 1000).toFixed(1)} s: ${what}`);
};

async function measure(server, path) {
  await load(server, path, WARMUP);
  note(`${server.kind} ${path} warmed up`);
  if (!server.instrumented) {
    callgrindControl('-i on', server.pid);
    server.instrumented = true;
    // A second warm-up, instrumented: the first window after switching on counted far more.
    await load(server, path, Math.min(WARMUP, 2000));
  }
  const perRequest = [];
  for (let rep = 0; rep < REPS; rep++) {
    callgrindControl('-z', server.pid);
    await load(server, path, N);
    const single = dump(server);
    callgrindControl('-z', server.pid);
    await load(server, path, 2 * N);
    const double = dump(server);
    perRequest.push((double - single) / N);
    note(`${server.kind} ${path} rep ${rep}: ${single} for N, ${double} for 2N`);
  }
  return perRequest;
}

async function idlePerSecond(server) {
  callgrindControl('-z', server.pid);
  const started = Date.now();
  await sleep(IDLE_MS);
  const count = dump(server);
  return count / ((Date.now() - started) / 1000);
}

const targets = await startTargets();
const rows = [];
const servers = [];
try {
  for (const kind of KINDS) {
    const server = await startUnderCallgrind(kind, targets);
    servers.push(server);
    note(`${kind} up`);
    for (const path of PATHS) {
      const perRequest = await measure(server, path);
      rows.push({ kind, path, perRequest });
      console.error(`${kind} ${path}: ${perRequest.map((x) => x.toFixed(0)).join(', ')} instructions/request`);
    }
    rows.push({ kind, idle: await idlePerSecond(server) });
    await server.stop();
    servers.splice(servers.indexOf(server), 1);
  }
} finally {
  await Promise.allSettled(servers.map((s) => s.stop()));
  await targets.close();
}

const mean = (xs) => xs.reduce((a, b) => a + b, 0) / xs.length;
const spread = (xs) => (Math.max(...xs) - Math.min(...xs)) / mean(xs);
console.log(
  `\nvitals bench:instructions (callgrind): N=${N} after ${WARMUP} warm-up, ${REPS} reps, ${CONNECTIONS} connections, node ${process.version}, ${ROOT}, load average ${loadavg().map((x) => x.toFixed(2)).join(' ')}`,
);
console.log('| case | instructions/request | spread | ratio to bare |');
console.log('|---|---:|---:|---:|');
for (const row of rows.filter((r) => r.perRequest !== undefined)) {
  const bare = rows.find((r) => r.kind === 'bare' && r.path === row.path);
  const value = mean(row.perRequest);
  const ratio = bare === undefined ? '—' : (value / mean(bare.perRequest)).toFixed(3);
  console.log(`| ${row.kind} \`${row.path}\` | ${value.toFixed(0)} | ${(spread(row.perRequest) * 100).toFixed(2)} % | ${ratio} |`);
}
for (const row of rows.filter((r) => r.idle !== undefined)) console.log(`idle ${row.kind}: ${(row.idle / 1e6).toFixed(2)} M instructions/s`);
process.exit(0);
