/**
 * A seeded, bounded chaos run against the built vitals (dist/), on loopback:
 * real PostgreSQL and Redis (SIGSTOP, kill/restart), an HTTP upstream and a TCP
 * listener behind the fault proxy (blackhole, latency below/above the timeout,
 * resets, refusals, flapping). Samples /ready/{probe}, /ready and /health every
 * 100 ms, compares each probe's verdict with the ground-truth timeline, and
 * exits 1 on any violation. CHAOS_SEED and CHAOS_SECONDS select the run.
 */
import { mkdtempSync, readdirSync, readFileSync, readlinkSync, rmSync, writeFileSync } from 'node:fs';
import net from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { Agent, request } from 'undici';
import { startFaultProxy, type FaultMode, type FaultProxy } from '../support/fault-proxy.js';
import { startHttpUpstream } from '../support/http-upstream.js';
import { freePort } from '../support/net.js';
import { startPostgres } from '../support/postgres-server.js';
import { startRedis } from '../support/redis-server.js';
import { spawnVitals } from '../support/vitals-process.js';

const SEED = Number(process.env.CHAOS_SEED ?? 17);
const SECONDS = Number(process.env.CHAOS_SECONDS ?? 120);
const INTERVAL = 1_000;
const TIMEOUT = 500;
const FAILURE_THRESHOLD = 2;
const SUCCESS_THRESHOLD = 1;
const DETECT_BOUND = FAILURE_THRESHOLD * INTERVAL + TIMEOUT;
const RECOVER_BOUND = SUCCESS_THRESHOLD * INTERVAL + TIMEOUT;
/** Sampling period plus scheduling slack on a shared 2-core machine. */
const MARGIN = 400;
/** A restarted server or a reconnecting client may take a little longer to answer again. */
const RESTART_SLACK = 1_500;
const SAMPLE_MS = 100;

/** mulberry32: a small seeded PRNG, so a seed replays the same fault plan. */
function prng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}
const random = prng(SEED);
const between = (lo: number, hi: number): number => Math.round(lo + random() * (hi - lo));
const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

/**
 * down: the probe must turn 503 within the detection bound (if the fault lasts that long);
 * up: the probe must stay 200 (latency below the timeout; what a connect-only tcp probe cannot see);
 * blip: no verdict during the fault (too short or ambiguous), only recovery afterwards.
 */
type Expect = 'down' | 'up' | 'blip';
interface Fault {
  probe: string;
  kind: string;
  expect: Expect;
  start: number;
  end: number;
  slack: number;
}
interface Fixture {
  probe: string;
  kinds: Array<{ kind: string; expect: Expect; apply: (ms: number) => Promise<void>; slack?: number }>;
}

const t0 = performance.now();
const now = (): number => performance.now() - t0;

async function proxyFault(proxy: FaultProxy, mode: FaultMode, ms: number): Promise<void> {
  await proxy.set(mode);
  await sleep(ms);
  await proxy.set({ kind: 'pass' });
}

async function flap(proxy: FaultProxy, ms: number): Promise<void> {
  const until = performance.now() + ms;
  while (performance.now() < until) {
    await proxy.set({ kind: 'reset' });
    await sleep(between(150, 600));
    await proxy.set({ kind: 'pass' });
    await sleep(between(150, 600));
  }
}

function fdsOf(pid: number): { fds: number; sockets: number } {
  const dir = `/proc/${pid}/fd`;
  const targets = readdirSync(dir).map((fd) => {
    try {
      return readlinkSync(join(dir, fd));
    } catch {
      return ''; // closed between readdir and readlink
    }
  });
  return { fds: targets.length, sockets: targets.filter((t) => t.startsWith('socket:')).length };
}
function rssMb(pid: number): number {
  const line = readFileSync(`/proc/${pid}/status`, 'utf8').split('\n').find((l) => l.startsWith('VmRSS:')) ?? '0';
  return Math.round(Number(line.replace(/\D+/g, '')) / 1024);
}

function percentile(sorted: number[], p: number): number {
  if (sorted.length === 0) return 0;
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))] as number;
}

async function main(): Promise<number> {
  const dir = mkdtempSync(join(tmpdir(), 'vitals-chaos-'));
  const pg = await startPostgres();
  const redis = await startRedis();
  const upstream = await startHttpUpstream();
  const listener = net.createServer((socket) => socket.end());
  await new Promise<void>((r) => listener.listen(0, '127.0.0.1', r));
  const listenerPort = (listener.address() as net.AddressInfo).port;
  const httpProxy = await startFaultProxy(upstream.port);
  const tcpProxy = await startFaultProxy(listenerPort);
  const port = await freePort();
  const common = `interval: ${INTERVAL}ms, timeout: ${TIMEOUT}ms, failureThreshold: ${FAILURE_THRESHOLD}, successThreshold: ${SUCCESS_THRESHOLD}`;
  const config = join(dir, 'vitals.yaml');
  writeFileSync(
    config,
    [
      `server: { host: 127.0.0.1, port: ${port} }`,
      'probes:',
      `  - { name: db, type: postgres, url: "${pg.url()}", ${common} }`,
      `  - { name: cache, type: redis, url: "${redis.url()}", ${common} }`,
      `  - { name: api, type: http, url: "http://127.0.0.1:${httpProxy.port}/ok", ${common} }`,
      `  - { name: port, type: tcp, host: 127.0.0.1, port: ${tcpProxy.port}, ${common} }`,
      '',
    ].join('\n'),
  );
  const vitals = spawnVitals(['serve', '--config', config], { VITALS_LOG_LEVEL: 'warn' }, dir);
  const pid = vitals.child.pid as number;
  const base = `http://127.0.0.1:${port}`;
  const cleanup = async (): Promise<void> => {
    vitals.kill('SIGTERM');
    await Promise.race([vitals.exited, sleep(5_000)]);
    vitals.kill('SIGKILL');
    pg.resume();
    redis.resume();
    await Promise.allSettled([pg.stop(), redis.stop(), upstream.close(), httpProxy.close(), tcpProxy.close()]);
    listener.close();
    rmSync(dir, { recursive: true, force: true });
  };

  try {
    for (let i = 0; i < 100; i += 1) {
      const ready = await fetch(`${base}/ready`).then((r) => r.status).catch(() => 0);
      if (ready === 200) break;
      await sleep(100);
    }
    await sleep(3_000); // let clients settle into their steady connections
    const baseline = { ...fdsOf(pid), rss: rssMb(pid) };
    const serverView = async (): Promise<{ pg: number; redis: number }> => {
      const admin = await pg.admin();
      const rows = await admin.query<{ n: string }>('SELECT count(*) AS n FROM pg_stat_activity WHERE usename = $1', [pg.user]);
      await admin.end();
      const r = await redis.admin();
      const list = String(await r.client('LIST'));
      await r.quit();
      // Minus the admin connection itself.
      return { pg: Number(rows.rows[0]?.n ?? 0), redis: list.split('\n').filter((l) => l.trim() !== '').length - 1 };
    };
    const viewBefore = await serverView();

    const fixtures: Fixture[] = [
      {
        probe: 'db',
        kinds: [
          { kind: 'sigstop', expect: 'down', apply: async (ms) => { pg.pause(); await sleep(ms); pg.resume(); } },
        ],
      },
      {
        probe: 'cache',
        kinds: [
          { kind: 'sigstop', expect: 'down', apply: async (ms) => { redis.pause(); await sleep(ms); redis.resume(); } },
          { kind: 'kill/restart', expect: 'blip', slack: RESTART_SLACK, apply: async () => { await redis.restart(); } },
        ],
      },
      {
        probe: 'api',
        kinds: [
          { kind: 'blackhole', expect: 'down', apply: (ms) => proxyFault(httpProxy, { kind: 'blackhole' }, ms) },
          { kind: 'latency>timeout', expect: 'down', apply: (ms) => proxyFault(httpProxy, { kind: 'latency', ms: TIMEOUT + 300 }, ms) },
          { kind: 'latency<timeout', expect: 'up', apply: (ms) => proxyFault(httpProxy, { kind: 'latency', ms: 60 }, ms) },
          { kind: 'reset', expect: 'down', apply: (ms) => proxyFault(httpProxy, { kind: 'reset' }, ms) },
          { kind: 'refuse', expect: 'down', apply: (ms) => proxyFault(httpProxy, { kind: 'refuse' }, ms) },
          { kind: 'flap', expect: 'blip', apply: (ms) => flap(httpProxy, ms) },
        ],
      },
      {
        probe: 'port',
        kinds: [
          { kind: 'refuse', expect: 'down', apply: (ms) => proxyFault(tcpProxy, { kind: 'refuse' }, ms) },
          // The proxy completes the handshake: a connect-only probe cannot see this (README, tcp probe).
          { kind: 'blackhole', expect: 'up', apply: (ms) => proxyFault(tcpProxy, { kind: 'blackhole' }, ms) },
        ],
      },
    ];

    // Each dependency gets its own seeded fault schedule, drawn up front so the seed alone fixes the plan.
    const endAt = now() + SECONDS * 1_000;
    const timeline: Fault[] = [];
    const schedules = fixtures.map((fixture) => {
      const plan: Array<{ gap: number; duration: number; kind: Fixture['kinds'][number] }> = [];
      let at = now();
      // Kinds in a seeded order, cycled, so even a short run exercises every kind of every dependency.
      const order = [...fixture.kinds].sort(() => random() - 0.5);
      while (at < endAt - 8_000) {
        const step = { gap: between(3_000, 6_000), duration: between(3_500, 6_000), kind: order[plan.length % order.length] as Fixture['kinds'][number] };
        plan.push(step);
        at += step.gap + step.duration + RECOVER_BOUND;
      }
      return (async () => {
        for (const step of plan) {
          await sleep(step.gap);
          const start = now();
          await step.kind.apply(step.duration);
          timeline.push({ probe: fixture.probe, kind: step.kind.kind, expect: step.kind.expect, start, end: now(), slack: step.kind.slack ?? 0 });
          await sleep(RECOVER_BOUND + MARGIN);
        }
      })();
    });

    const samples: Array<{ t: number; probe: string; status: number }> = [];
    const latencies: number[] = [];
    let healthFailures = 0;
    let readyChecks = 0;
    let sampling = true;
    // Its own pool, closed before the final fd count, so its keep-alive sockets are not counted as leaks.
    const agent = new Agent({ connections: 8 });
    const get = async (path: string): Promise<number> => {
      const started = performance.now();
      const status = await request(`${base}${path}`, { dispatcher: agent, signal: AbortSignal.timeout(2_000) })
        .then(async (r) => {
          await r.body.dump();
          return r.statusCode;
        })
        .catch(() => 0);
      latencies.push(performance.now() - started);
      return status;
    };
    const sampler = (async () => {
      while (sampling) {
        const tick = performance.now();
        const t = now();
        const results = await Promise.all([
          ...fixtures.map(async ({ probe }) => samples.push({ t, probe, status: await get(`/ready/${probe}`) })),
          get('/ready').then(() => (readyChecks += 1)),
          get('/health').then((s) => (healthFailures += s === 200 ? 0 : 1)),
        ]);
        void results;
        await sleep(Math.max(0, SAMPLE_MS - (performance.now() - tick)));
      }
    })();

    await Promise.all(schedules);
    await sleep(RECOVER_BOUND + RESTART_SLACK + MARGIN);
    sampling = false;
    await sampler;
    await agent.close();
    await sleep(2_000);
    const after = { ...fdsOf(pid), rss: rssMb(pid) };
    const viewAfter = await serverView();

    // ── verdicts ──────────────────────────────────────────────────────────
    const violations: string[] = [];
    const lines: string[] = [];
    for (const { probe } of fixtures) {
      const mine = samples.filter((s) => s.probe === probe);
      const faults = timeline.filter((f) => f.probe === probe);
      let worstDetect = 0;
      let worstRecover = 0;
      let falseNegatives = 0;
      for (const f of faults) {
        if (f.expect === 'down') {
          const hit = mine.find((s) => s.t >= f.start && s.t <= f.end + DETECT_BOUND + MARGIN && s.status === 503);
          if (hit === undefined) {
            if (f.end - f.start > DETECT_BOUND + MARGIN) {
              falseNegatives += 1;
              violations.push(`${probe}: ${f.kind} at ${(f.start / 1000).toFixed(1)} s for ${Math.round(f.end - f.start)} ms never turned /ready/${probe} 503`);
            }
          } else {
            const detection = hit.t - f.start;
            worstDetect = Math.max(worstDetect, detection);
            if (detection > DETECT_BOUND + MARGIN) violations.push(`${probe}: ${f.kind} detected after ${Math.round(detection)} ms > bound ${DETECT_BOUND} + ${MARGIN}`);
          }
        }
        if (f.expect !== 'up') {
          const back = mine.find((s) => s.t >= f.end && s.status === 200);
          const recovery = back === undefined ? Infinity : back.t - f.end;
          worstRecover = Math.max(worstRecover, recovery);
          if (recovery > RECOVER_BOUND + MARGIN + f.slack) {
            const took = Number.isFinite(recovery) ? `took ${Math.round(recovery)} ms` : 'never came';
            violations.push(`${probe}: recovery after ${f.kind} at ${(f.end / 1000).toFixed(1)} s ${took} > bound ${RECOVER_BOUND} + ${MARGIN + f.slack}`);
          }
        }
      }
      // A 503 outside every fault window (start … end + recovery bound) is a false positive; so is one during an `up` fault.
      const excused = (t: number): boolean =>
        faults.some((f) => f.expect !== 'up' && t >= f.start && t <= f.end + RECOVER_BOUND + MARGIN + f.slack);
      const falsePositives = mine.filter((s) => s.status !== 200 && !excused(s.t)).length;
      if (falsePositives > 0) violations.push(`${probe}: ${falsePositives} samples not 200 outside any fault window`);
      lines.push(
        `${probe.padEnd(6)} faults ${String(faults.length).padStart(2)} (${[...new Set(faults.map((f) => f.kind))].join(', ')}); ` +
          `worst detection ${Math.round(worstDetect)} ms (bound ${DETECT_BOUND}), worst recovery ${Number.isFinite(worstRecover) ? `${Math.round(worstRecover)} ms` : 'never'} (bound ${RECOVER_BOUND}); ` +
          `false positives ${falsePositives}, false negatives ${falseNegatives}`,
      );
    }
    if (healthFailures > 0) violations.push(`/health failed ${healthFailures} times`);
    const sorted = [...latencies].sort((a, b) => a - b);
    const p99 = percentile(sorted, 99);
    // The budget is 50 ms; the assertion leaves room for a shared, loaded CI machine.
    if (p99 > 200) violations.push(`request p99 ${p99.toFixed(1)} ms > 200 ms`);
    if (after.fds - baseline.fds > 3) violations.push(`fds grew ${baseline.fds} → ${after.fds}`);
    if (after.sockets - baseline.sockets > 2) violations.push(`sockets grew ${baseline.sockets} → ${after.sockets}`);
    if (viewAfter.pg > Math.max(2, viewBefore.pg)) violations.push(`PostgreSQL sees ${viewAfter.pg} vitals connections (before ${viewBefore.pg})`);
    if (viewAfter.redis > Math.max(2, viewBefore.redis)) violations.push(`Redis sees ${viewAfter.redis} vitals connections (before ${viewBefore.redis})`);
    if (vitals.child.exitCode !== null) violations.push(`vitals exited with ${vitals.child.exitCode}`);

    console.log(`chaos seed ${SEED}, ${SECONDS} s, ${timeline.length} faults; interval ${INTERVAL} ms, timeout ${TIMEOUT} ms, failureThreshold ${FAILURE_THRESHOLD}, successThreshold ${SUCCESS_THRESHOLD}; margin ${MARGIN} ms`);
    for (const line of lines) console.log(`  ${line}`);
    console.log(`  /health failures ${healthFailures}; /ready samples ${readyChecks}; request latency p50 ${percentile(sorted, 50).toFixed(1)} ms, p99 ${p99.toFixed(1)} ms, max ${(sorted.at(-1) ?? 0).toFixed(1)} ms over ${sorted.length} requests`);
    console.log(`  process: fds ${baseline.fds} → ${after.fds}, sockets ${baseline.sockets} → ${after.sockets}, RSS ${baseline.rss} → ${after.rss} MB`);
    console.log(`  servers' view: pg_stat_activity ${viewBefore.pg} → ${viewAfter.pg}, Redis CLIENT LIST ${viewBefore.redis} → ${viewAfter.redis}`);
    if (violations.length === 0) {
      console.log('chaos: no violations');
      return 0;
    }
    console.log(`chaos: ${violations.length} violation(s)`);
    for (const v of violations) console.log(`  ✗ ${v}`);
    return 1;
  } finally {
    await cleanup();
  }
}

main().then(
  (code) => process.exit(code),
  (error: unknown) => {
    console.error('chaos run could not run:', error instanceof Error ? error.message : String(error));
    process.exit(2);
  },
);
