// Instructions per request, counted by valgrind (callgrind): unlike CPU time,
// the count hardly moves when other work shares the machine, so a change of a
// per cent or two on /health or /ready shows where `npm run bench` cannot.
// Needs valgrind on the PATH; slow (each server takes minutes to start).
//
// Each server (the bare route of bench/bare-server.mjs, and dist's vitals
// with the ten probes of `npm run bench`, each run once: interval 1 h) runs
// under callgrind, node with --single-threaded (no compiler or GC thread whose
// work lands anywhere) and --no-incremental-marking. After an uninstrumented
// warm-up, for each path and repetition: counters zeroed, N requests, dump;
// zeroed, 2N requests, dump. Garbage collection and optimising compilation
// are left out (see EXCLUDED). Printed per request: the 2N window ÷ 2N (the
// steadier figure; it includes the few instructions a window costs whatever
// its length), and (2N − N) ÷ N, which cancels those but scatters more.
// The first repetition is left out of the figures; trust a figure when the
// spread between the others is small.
//
// The clock's own work (timers, the event-loop probe's 20 ms sampler) weighs
// far more here than at full speed, a request taking ~50× longer: the idle
// cost per second is printed alongside.
//
//   npm run bench:instructions                       # N=1000, warm-up 8000, 3 reps, 1 connection
//   BENCH_REPS=4 BENCH_PATHS=/ready npm run bench:instructions
//   BENCH_KINDS=vitals BENCH_ROOT=/tmp/old node bench/instructions.mjs   # another checkout's dist/
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
/** BENCH_COUNT_GC=1: count garbage collection and compilation too (then figures scatter with where they fall). */
const COUNT_GC = process.env.BENCH_COUNT_GC === '1';
const IDLE_MS = 3000;
const BOUND_S = Number(process.env.BENCH_BOUND_S ?? 3600);

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
    // The ten probes of `npm run bench`, each run once (interval 1 h) and each
    // answering 200 whatever valgrind does to it: a probe takes ~50× longer
    // (timeout 60 s), the event loop lags (delay thresholds out of reach), and
    // any failure left only warns (non-critical): the figure is for the 200 path.
    const probes = tenProbes(targets, '1h').map((p) => ({ ...p, interval: '1h', timeout: '60s', critical: false }));
    for (const p of probes) if (p.type === 'eventloop') Object.assign(p, { warn: { delayP99: 1e9 }, fail: { delayP99: 1e9 } });
    writeFileSync(file, configYaml(probes));
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
  child.once('error', (error) => {
    console.error(`bench:instructions needs valgrind on the PATH (Debian: apt-get install valgrind): ${error.message}`);
    process.exit(2);
  });
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
 * V8's own one-off and lumpy work, left out of every count (unless
 * BENCH_COUNT_GC=1): garbage collection falls in whichever window it happens
 * to (one major collection outweighs a thousand requests), and optimising
 * compilation goes on for thousands of requests after any warm-up. The
 * inclusive cost of each of these entry points is subtracted.
 */
const EXCLUDED = /(Heap::PerformGarbageCollection|Runtime_CompileOptimized|Runtime_CompileLazy|Runtime_CompileBaseline|Runtime_InstallBaselineCode)\(/;

/** Dumps the counters (they restart from zero) and returns the instructions since the last dump or zeroing, less EXCLUDED. */
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
  let excluded = 0;
  for (const row of annotated.split('\n')) {
    const cost = /^\s*([\d,]+) /.exec(row);
    if (cost !== null && EXCLUDED.test(row)) excluded += Number(cost[1].replaceAll(',', ''));
  }
  return total - excluded;
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
  const reps = [];
  for (let rep = 0; rep < REPS; rep++) {
    callgrindControl('-z', server.pid);
    await load(server, path, N);
    const single = dump(server);
    callgrindControl('-z', server.pid);
    await load(server, path, 2 * N);
    const double = dump(server);
    reps.push({ window: double / (2 * N), difference: (double - single) / N });
    note(`${server.kind} ${path} rep ${rep}: ${single} for N, ${double} for 2N`);
  }
  return reps;
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
      const reps = await measure(server, path);
      rows.push({ kind, path, reps });
      console.error(`${kind} ${path}: ${reps.map((r) => `${r.window.toFixed(0)} (${r.difference.toFixed(0)})`).join(', ')} instructions/request`);
    }
    rows.push({ kind, idle: await idlePerSecond(server) });
    await server.stop();
    servers.splice(servers.indexOf(server), 1);
  }
} finally {
  await Promise.allSettled(servers.map((s) => s.stop()));
  await targets.close();
}

// The first repetition still carries warm-up (inline caches, lazy sweeping): left out of the figures when there are more.
const settled = (reps) => (reps.length > 1 ? reps.slice(1) : reps);
const mean = (xs) => xs.reduce((a, b) => a + b, 0) / xs.length;
const spread = (xs) => (Math.max(...xs) - Math.min(...xs)) / mean(xs);
console.log(
  `\nvitals bench:instructions (callgrind): N=${N} after ${WARMUP} warm-up, ${REPS} reps (first left out), ${CONNECTIONS} connection(s), GC and compilation ${COUNT_GC ? 'counted' : 'left out'}, node ${process.version}, ${ROOT}, load average ${loadavg().map((x) => x.toFixed(2)).join(' ')}`,
);
console.log('| case | instructions/request (2N window) | spread | ratio to bare | (2N − N) ÷ N | spread |');
console.log('|---|---:|---:|---:|---:|---:|');
for (const row of rows.filter((r) => r.reps !== undefined)) {
  const windows = settled(row.reps).map((r) => r.window);
  const differences = settled(row.reps).map((r) => r.difference);
  const bare = rows.find((r) => r.kind === 'bare' && r.path === row.path);
  const ratio = bare === undefined ? '—' : (mean(windows) / mean(settled(bare.reps).map((r) => r.window))).toFixed(3);
  const pct = (x) => `${(x * 100).toFixed(2)} %`;
  console.log(`| ${row.kind} \`${row.path}\` | ${mean(windows).toFixed(0)} | ${pct(spread(windows))} | ${ratio} | ${mean(differences).toFixed(0)} | ${pct(spread(differences))} |`);
}
for (const row of rows.filter((r) => r.idle !== undefined)) console.log(`idle ${row.kind}: ${(row.idle / 1e6).toFixed(2)} M instructions/s`);
process.exit(0);
