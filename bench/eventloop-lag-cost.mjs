// What prom-client's nodejs_eventloop_lag_{min,max,mean,stddev,p50,p90,p99}_seconds
// cost, against the cheaper-per-scrape alternative issue 16 suggested: a JS
// sampler (a 10 ms timer, like prom-client's monitorEventLoopDelay resolution)
// keeping count/sum/sum of squares/min/max and a bounded 3-figure histogram for
// the percentiles. Two costs each: CPU per scrape (reading the statistics and
// resetting them), and CPU per second while idle (the sampler itself), in a
// child process per option, alternated. Bounded: ≈ 1 min.
//   node bench/eventloop-lag-cost.mjs          (BENCH_IDLE_MS per idle window, default 5000)
import { spawnSync } from 'node:child_process';
import { loadavg } from 'node:os';
import { createHistogram, monitorEventLoopDelay, performance } from 'node:perf_hooks';
import { fileURLToPath } from 'node:url';

const RESOLUTION_MS = 10;
const IDLE_MS = Number(process.env.BENCH_IDLE_MS ?? 5_000);

/** The sampler a replacement would need: Node's monitorEventLoopDelay records in C++, this one runs JS every tick. */
function jsSampler() {
  const percentiles = createHistogram({ lowest: 1, highest: 60e9, figures: 3 });
  const s = { count: 0, sum: 0, squares: 0, min: Infinity, max: 0 };
  let previous = performance.now();
  const timer = setInterval(() => {
    const now = performance.now();
    const delay = (now - previous) * 1e6;
    previous = now;
    s.count += 1;
    s.sum += delay;
    s.squares += delay * delay;
    if (delay < s.min) s.min = delay;
    if (delay > s.max) s.max = delay;
    percentiles.record(Math.max(1, Math.round(delay)));
  }, RESOLUTION_MS);
  timer.unref();
  const read = () => {
    const mean = s.sum / s.count;
    const out = [s.min, s.max, mean, Math.sqrt(Math.max(0, s.squares / s.count - mean * mean)), percentiles.percentile(50), percentiles.percentile(90), percentiles.percentile(99)];
    Object.assign(s, { count: 0, sum: 0, squares: 0, min: Infinity, max: 0 });
    percentiles.reset();
    return out;
  };
  return { read, stop: () => clearInterval(timer) };
}

function eld() {
  const h = monitorEventLoopDelay({ resolution: RESOLUTION_MS });
  h.enable();
  // prom-client's collect(), less the gauge writes.
  const read = () => {
    const out = [h.min, h.max, h.mean, h.stddev, h.percentile(50), h.percentile(90), h.percentile(99)];
    h.reset();
    return out;
  };
  return { read, stop: () => h.disable(), histogram: h };
}

const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));
const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
const cpuUs = (f) => {
  const start = process.cpuUsage();
  f();
  const used = process.cpuUsage(start);
  return used.user + used.system;
};

async function idleChild(option) {
  const keepAlive = setInterval(() => {}, 1e6);
  const sampler = option === 'eld' ? eld() : option === 'js' ? jsSampler() : null;
  await sleep(500);
  const start = process.cpuUsage();
  const wall = performance.now();
  await sleep(IDLE_MS);
  const used = process.cpuUsage(start);
  sampler?.stop();
  clearInterval(keepAlive);
  console.log(JSON.stringify({ msPerS: (used.user + used.system) / 1000 / ((performance.now() - wall) / 1000), rssKiB: Math.round(process.memoryUsage().rss / 1024) }));
}

async function perScrape(label, sampler) {
  const costs = [];
  for (let i = 0; i < 30; i += 1) {
    await sleep(50); // a few samples between scrapes
    costs.push(cpuUs(() => sampler.read()));
  }
  // One read is a few µs to a few hundred: time 200 back to back for the resolution cpuUsage lacks.
  await sleep(200);
  const start = performance.now();
  for (let i = 0; i < 200; i += 1) sampler.read();
  console.log(`${label.padEnd(34)} per scrape: cpuUsage median ${median(costs)} µs, wall ${(((performance.now() - start) / 200) * 1000).toFixed(1)} µs`);
  sampler.stop();
}

if (process.argv[2] === '--idle') {
  await idleChild(process.argv[3]);
} else {
  console.log(`load average ${loadavg().map((l) => l.toFixed(2)).join(' ')}`);
  const h = eld();
  await sleep(1_000);
  for (const [name, read] of [
    ['min', () => h.histogram.min],
    ['max', () => h.histogram.max],
    ['mean', () => h.histogram.mean],
    ['stddev', () => h.histogram.stddev],
    ['percentile(99)', () => h.histogram.percentile(99)],
  ]) {
    const start = performance.now();
    for (let i = 0; i < 200; i += 1) read();
    console.log(`  monitorEventLoopDelay ${name.padEnd(15)} ${(((performance.now() - start) / 200) * 1000).toFixed(2)} µs`);
  }
  h.stop();
  await perScrape('monitorEventLoopDelay (prom-client)', eld());
  await perScrape('JS sampler + running sums', jsSampler());
  const self = fileURLToPath(import.meta.url);
  const idle = { none: [], eld: [], js: [] };
  for (let round = 0; round < 2; round += 1) {
    for (const option of Object.keys(idle)) {
      const run = spawnSync(process.execPath, [self, '--idle', option], { encoding: 'utf8' });
      idle[option].push(JSON.parse(run.stdout));
    }
  }
  for (const [option, runs] of Object.entries(idle)) {
    console.log(`idle ${option.padEnd(5)}: ${runs.map((r) => `${r.msPerS.toFixed(2)} ms CPU/s, RSS ${r.rssKiB} KiB`).join('; ')}`);
  }
  console.log(`load average ${loadavg().map((l) => l.toFixed(2)).join(' ')}`);
}
