// What every benchmark shares: CPU pinning, free ports, /proc readings,
// spawning a bare Fastify server or a vitals, timed GETs, percentiles, the
// results file and the summary table. Loopback only; nothing here waits
// without a deadline.
import { execFileSync, fork } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import http from 'node:http';
import net from 'node:net';
import { availableParallelism, loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';

const TICKS = 100; // USER_HZ on Linux
const PAGE_KIB = 4;

/** `--quick` on the command line or BENCH_QUICK=1: shorter windows, same cases. */
export const QUICK = process.argv.includes('--quick') || process.env.BENCH_QUICK === '1';

// Pin the load generator to CPU 0 and the servers to CPU 1 when there are two
// or more CPUs and taskset exists: on a 2-core machine, letting the scheduler
// move them around made the CPU-per-request ratio swing by ±8 % run to run.
export const PIN = (() => {
  // Asked before pinning: availableParallelism() follows this process's affinity.
  if (availableParallelism() < 2 || process.env.BENCH_NO_PIN === '1') return false;
  try {
    execFileSync('taskset', ['-cp', '0', String(process.pid)], { stdio: 'ignore' });
    return true;
  } catch {
    return false;
  }
})();

export function pinServer(pid) {
  if (PIN) execFileSync('taskset', ['-cp', '1', String(pid)], { stdio: 'ignore' });
}

export const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

export function freePort() {
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
export function cpuSeconds(pid) {
  const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  return (Number(fields[11]) + Number(fields[12])) / TICKS;
}

/** Resident set now and its peak so far (VmHWM), in MiB, from /proc/PID/status. */
export function memoryMiB(pid) {
  const status = readFileSync(`/proc/${pid}/status`, 'utf8');
  const kib = (key) => Number(new RegExp(`^${key}:\\s+(\\d+) kB`, 'm').exec(status)?.[1] ?? NaN);
  return { rss: kib('VmRSS') / 1024, peak: kib('VmHWM') / 1024 };
}

/** RSS in MiB from /proc/PID/statm: cheap enough to sample every few ms. */
export function rssMiB(pid) {
  const pages = Number(readFileSync(`/proc/${pid}/statm`, 'utf8').split(' ')[1]);
  return (pages * PAGE_KIB) / 1024;
}

/**
 * One GET on loopback: status, wall time in ms (first byte sent → last byte
 * read) and body size in bytes. The body is counted, not kept. `localAddress`
 * (127.0.0.x) makes a distinct client for per-address rate limits.
 */
export function timedGet(url, { agent, localAddress, timeoutMs = 30_000, keepBody = false } = {}) {
  return new Promise((resolve) => {
    const started = process.hrtime.bigint();
    const elapsed = () => Number(process.hrtime.bigint() - started) / 1e6;
    const req = http.get(url, { agent, localAddress, timeout: timeoutMs }, (res) => {
      let bytes = 0;
      const chunks = [];
      res.on('data', (chunk) => {
        bytes += chunk.length;
        if (keepBody) chunks.push(chunk);
      });
      res.on('end', () =>
        resolve({ status: res.statusCode, ms: elapsed(), bytes, ...(keepBody ? { body: Buffer.concat(chunks).toString('utf8') } : {}) }),
      );
      res.on('error', () => resolve({ status: 0, ms: elapsed(), bytes }));
    });
    req.on('timeout', () => req.destroy(new Error('timeout')));
    req.on('error', () => resolve({ status: 0, ms: elapsed(), bytes: 0 }));
  });
}

/** Polls url until it answers 200; resolves with the ms it took, rejects past the deadline. */
export async function waitReady(url, { timeoutMs = 30_000, everyMs = 100 } = {}) {
  const started = Date.now();
  // A fresh connection per attempt: before the server listens every attempt is refused at once.
  const agent = new http.Agent({ keepAlive: false });
  while (Date.now() - started < timeoutMs) {
    const res = await timedGet(url, { agent, timeoutMs: 2_000 });
    if (res.status === 200) return Date.now() - started;
    await sleep(everyMs);
  }
  throw new Error(`${url} did not answer 200 within ${timeoutMs} ms`);
}

/** The YAML of a config: one probe per line, as JSON flow mappings. */
export function configYaml(probes, extra = {}) {
  const lines = ['service: { id: bench }'];
  for (const [key, value] of Object.entries(extra)) lines.push(`${key}: ${JSON.stringify(value)}`);
  lines.push(probes.length === 0 ? 'probes: []' : 'probes:');
  for (const p of probes) lines.push(`  - ${JSON.stringify(p)}`);
  return `${lines.join('\n')}\n`;
}

/** The ten-probe config `npm run bench` measures: eventloop, memory, disk, four tcp, three http. */
export function tenProbes(targets, interval = '1h') {
  const probes = [
    { name: 'loop', type: 'eventloop' },
    { name: 'mem', type: 'memory' },
    { name: 'root', type: 'disk', path: '/' },
  ];
  for (let i = 1; i <= 4; i++) probes.push({ name: `tcp-${i}`, type: 'tcp', host: '127.0.0.1', port: targets.tcpPort, interval });
  for (let i = 1; i <= 3; i++) probes.push({ name: `up-${i}`, type: 'http', url: `http://127.0.0.1:${targets.httpPort}/health`, interval });
  return probes;
}

/** N tcp or http probes against the loopback targets. */
export function manyProbes(type, n, targets, { interval = '1s', timeout = '500ms' } = {}) {
  const probes = [];
  for (let i = 0; i < n; i++) {
    probes.push(
      type === 'tcp'
        ? { name: `tcp-${i}`, type: 'tcp', host: '127.0.0.1', port: targets.tcpPort, interval, timeout }
        : { name: `http-${i}`, type: 'http', url: `http://127.0.0.1:${targets.httpPort}/p/${i}`, interval, timeout },
    );
  }
  return probes;
}

/** This checkout's built CLI. */
const VITALS_CLI = new URL('../../dist/src/cli/main.js', import.meta.url);

/**
 * BENCH_BASELINE=DIR: another vitals checkout, built (`npm run build` there), to
 * measure alongside this one in the same run (an A/B of a change: the baseline's
 * CLI spawns in the same rotation). Its zero-config case; undefined when unset.
 */
export function baselineCase() {
  const dir = process.env.BENCH_BASELINE;
  if (dir === undefined || dir === '') return undefined;
  const cli = join(dir, 'dist', 'src', 'cli', 'main.js');
  if (!existsSync(cli)) throw new Error(`BENCH_BASELINE=${dir}: no ${cli} (run npm run build there)`);
  return ['vitals zero-config, baseline', 'vitals', undefined, cli];
}

// Variables that would add probes to a zero-config vitals (CONTRACT §5) or change its port or config.
const VITALS_ENV = /^(DATABASE_URL|POSTGRES_URL|REDIS_URL|NATS_URL|NEO4J_.*|VITALS_.*|PORT)$/;

/**
 * Spawns a server pinned to the server CPU. kind 'bare' is bench/bare-server.mjs;
 * kind 'vitals' is dist's CLI with `probes` written to a config file, or
 * zero-config (no file, an empty working directory, no connection variables)
 * when probes is undefined; `cli` runs another checkout's CLI (BENCH_BASELINE). Resolves once the process is spawned; the caller
 * decides what "up" means.
 */
export async function spawnServer(kind, { probes, configExtra, nodeArgs = [], cli = VITALS_CLI } = {}) {
  const port = await freePort();
  const dir = mkdtempSync(join(tmpdir(), 'vitals-bench-'));
  const env = Object.fromEntries(Object.entries(process.env).filter(([k]) => !VITALS_ENV.test(k)));
  let child;
  const spawnedAt = performance.now();
  if (kind === 'bare') {
    child = fork(new URL('../bare-server.mjs', import.meta.url), [String(port)], { stdio: 'ignore', cwd: dir, env, execArgv: nodeArgs });
  } else {
    const args = ['serve'];
    if (probes !== undefined) {
      const file = join(dir, 'vitals.yaml');
      writeFileSync(file, configYaml(probes, configExtra));
      args.push('--config', file);
    }
    child = fork(cli, args, {
      stdio: ['ignore', 'ignore', 'inherit', 'ipc'],
      cwd: dir,
      env: { ...env, VITALS_PORT: String(port), VITALS_LOG_LEVEL: 'warn' },
      execArgv: nodeArgs,
    });
  }
  pinServer(child.pid);
  spawned.add(child);
  const exited = new Promise((r) => child.once('exit', r));
  child.once('exit', () => spawned.delete(child));
  return {
    kind,
    base: `http://127.0.0.1:${port}`,
    pid: child.pid,
    dir,
    child,
    spawnedAt,
    stop: async () => {
      child.kill('SIGTERM');
      const timer = setTimeout(() => child.kill('SIGKILL'), 10_000);
      await exited;
      clearTimeout(timer);
    },
  };
}

/** BENCH_READY_TIMEOUT_S (60): on a loaded shared machine 1,000 probes' first round can take longer than a minute. */
export const READY_TIMEOUT_S = Number(process.env.BENCH_READY_TIMEOUT_S ?? 60);

/** Every server spawned and not yet exited: the watchdog kills these too, also one still starting. */
const spawned = new Set();

/** Spawns a server and waits for its first /ready 200. */
export async function startServer(kind, options) {
  const server = await spawnServer(kind, options);
  try {
    await waitReady(`${server.base}/ready`, { timeoutMs: READY_TIMEOUT_S * 1000 });
  } catch (error) {
    // The caller never gets the handle to stop it: a server that did not come up must not outlive the run.
    server.child.kill('SIGKILL');
    throw error;
  }
  return server;
}

export function percentile(xs, p) {
  if (xs.length === 0) return NaN;
  const sorted = [...xs].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)];
}

export const median = (xs) => percentile(xs, 50);

/** Date, load average, node, pinning: printed above every table and stored with every result. */
export function environment() {
  return {
    date: new Date().toISOString(),
    loadavg: loadavg().map((x) => Number(x.toFixed(2))),
    node: process.version,
    cpus: availableParallelism(),
    pinned: PIN,
    quick: QUICK,
  };
}

/** Writes bench/results/NAME-<timestamp>.json and returns its path. */
export function writeResults(name, data) {
  const dir = new URL('../results/', import.meta.url);
  mkdirSync(dir, { recursive: true });
  const file = new URL(`${name}-${new Date().toISOString().replace(/[:.]/g, '-')}.json`, dir);
  writeFileSync(file, `${JSON.stringify(data, null, 2)}\n`);
  return file.pathname;
}

const cell = (v) => (typeof v === 'number' ? (Number.isInteger(v) ? String(v) : v.toFixed(Math.abs(v) >= 100 ? 0 : Math.abs(v) >= 10 ? 1 : 2)) : String(v ?? '—'));

/** A Markdown table (pastes into the README as is) of rows with the given columns. */
export function printTable(title, env, columns, rows) {
  console.log(`\n${title}`);
  console.log(`${env.date}, load average ${env.loadavg.join(' ')}, node ${env.node}${env.pinned ? ', load on CPU 0, servers on CPU 1' : ''}${env.quick ? ', --quick' : ''}`);
  const cells = rows.map((row) => columns.map(([key]) => cell(row[key])));
  const widths = columns.map(([, label], i) => Math.max(label.length, ...cells.map((c) => c[i].length)));
  const line = (values) => `| ${values.map((v, i) => (i === 0 ? v.padEnd(widths[i]) : v.padStart(widths[i]))).join(' | ')} |`;
  console.log(line(columns.map(([, label]) => label)));
  console.log(`|${widths.map((w, i) => (i === 0 ? ` ${'-'.repeat(w)} ` : ` ${'-'.repeat(w - 1)}: `)).join('|')}|`);
  for (const c of cells) console.log(line(c));
}

/** Stops every server and closes the targets even when a case threw, then exits: a bench must not linger. */
export async function finish(servers, targets, error) {
  await Promise.allSettled(servers.map((s) => s.stop()));
  await targets?.close();
  if (error !== undefined) {
    console.error(error);
    process.exit(1);
  }
  process.exit(0);
}

/**
 * A hard bound on the whole benchmark: past `seconds`, kill every server
 * still registered and exit 1, whatever is still awaiting.
 */
export function watchdog(seconds, servers) {
  const timer = setTimeout(() => {
    console.error(`benchmark exceeded its ${seconds} s bound; stopping`);
    for (const s of servers) s.child.kill('SIGKILL');
    for (const child of spawned) child.kill('SIGKILL');
    process.exit(1);
  }, seconds * 1000);
  timer.unref();
}

/** Spacing between consecutive finished runs of each probe, as multiples of its interval, from a /diagnostics body. */
export function runSpacing(diagnostics, { fromMs = 0, toMs = Infinity } = {}) {
  const ratios = [];
  for (const probe of Object.values(diagnostics.vitals.probes)) {
    const times = probe.history.map((h) => Date.parse(h.time));
    for (let i = 1; i < times.length; i++) {
      if (times[i] >= fromMs && times[i] <= toMs) ratios.push((times[i] - times[i - 1]) / probe.intervalMs);
    }
  }
  return { pairs: ratios.length, p50: percentile(ratios, 50), p99: percentile(ratios, 99), max: ratios.length ? Math.max(...ratios) : NaN };
}

/** A vitals' own heapUsed, in MiB, from its /diagnostics body. */
export const heapUsedMiB = (diagnostics) => diagnostics.vitals.system.memory.heapUsedBytes / 2 ** 20;
