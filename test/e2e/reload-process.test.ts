import { mkdir, mkdtemp, readFile, readdir, readlink, rename, rm, symlink, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { freePort } from '../support/net.js';
import { configYaml, datastoreProbes, startReloadTargets, tcpProbe, type ReloadTargets } from '../support/reload-fixtures.js';
import { spawnVitals, type VitalsProcess } from '../support/vitals-process.js';

/**
 * CONTRACT §10 on the real process: SIGHUP, `serve --watch` (an edit in
 * place and a Kubernetes ConfigMap `..data` symlink swap), and no leak after
 * 50 reloads that add and remove postgres, redis and nats probes — counted
 * by the servers themselves and in /proc/PID.
 */

const TOKEN = 'reload-e2e-token-4d1f';

let targets: ReloadTargets;
let stopTargets: (() => Promise<void>) | undefined;
let dir: string;
const running: VitalsProcess[] = [];

beforeAll(async () => {
  ({ targets, stop: stopTargets } = await startReloadTargets());
  dir = await mkdtemp(path.join(tmpdir(), 'vitals-reload-e2e-'));
}, 60_000);

afterEach(async () => {
  for (const vitals of running.splice(0)) {
    vitals.kill('SIGKILL');
    await vitals.exited;
  }
});

afterAll(async () => {
  await stopTargets?.();
  if (dir !== undefined) await rm(dir, { recursive: true, force: true });
});

async function serve(file: string, extra: string[] = []): Promise<{ vitals: VitalsProcess; url: string }> {
  const vitals = spawnVitals(['serve', '--config', file, ...extra]);
  running.push(vitals);
  await vitals.waitForLog(/vitals listening/);
  const port = /port: (\d+)/.exec(await readFile(file, 'utf8'))![1];
  return { vitals, url: `http://127.0.0.1:${port}` };
}

function reloadsLogged(vitals: VitalsProcess): number {
  return vitals.stdout().split('\n').filter((l) => l.includes('"msg":"config reloaded"')).length;
}

async function until<T>(what: string, probe: () => Promise<T | undefined> | T | undefined, timeoutMs = 15_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await probe();
    if (value !== undefined) return value;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 25));
  }
}

/** The probes the process reports, in its order (from /metrics: not rate limited like /diagnostics). */
async function probeNames(url: string): Promise<string[]> {
  const text = await (await fetch(`${url}/metrics`)).text();
  return [...text.matchAll(/^vitals_probe_critical\{probe="([^"]+)"/gm)].map((m) => m[1]!);
}

describe('SIGHUP', () => {
  it('re-reads the config; an invalid one is logged with its paths and changes nothing', async () => {
    const port = await freePort();
    const file = path.join(dir, 'sighup.yaml');
    await writeFile(file, configYaml(port, TOKEN, [tcpProbe(targets, 'one')]));
    const { vitals, url } = await serve(file);

    await writeFile(file, configYaml(port, TOKEN, [tcpProbe(targets, 'one'), tcpProbe(targets, 'two')]));
    vitals.kill('SIGHUP');
    await until('the reload', () => (reloadsLogged(vitals) === 1 ? true : undefined));
    expect(await until('probe two', async () => ((await probeNames(url)).includes('two') ? true : undefined), 5_000)).toBe(true);

    await writeFile(file, configYaml(port, TOKEN, [`  - { name: one, type: tcp, host: 127.0.0.1, port: 99999 }`]));
    vitals.kill('SIGHUP');
    const rejected = await vitals.waitForLog(/config reload rejected \(1 problem\)/);
    expect(rejected).toContain('nothing changed');
    expect(vitals.stdout()).toMatch(/"path":"probes\[0\]\.port"/);
    expect(await probeNames(url)).toEqual(expect.arrayContaining(['one', 'two']));
    const metrics = await (await fetch(`${url}/metrics`)).text();
    expect(metrics).toMatch(/^vitals_config_last_reload_successful 0$/m);
    expect((await fetch(`${url}/ready`)).status).toBe(200);
    expect(vitals.child.exitCode).toBeNull();
  }, 30_000);
});

describe('vitals serve --watch', () => {
  it('picks up an edit in place and a ConfigMap-style ..data symlink swap', async () => {
    // The layout kubelet writes for a ConfigMap volume: vitals.yaml → ..data/vitals.yaml, ..data → ..<timestamp>/.
    const volume = path.join(dir, 'configmap');
    await mkdir(path.join(volume, '..v1'), { recursive: true });
    const port = await freePort();
    await writeFile(path.join(volume, '..v1', 'vitals.yaml'), configYaml(port, TOKEN, [tcpProbe(targets, 'one')]));
    await symlink('..v1', path.join(volume, '..data'));
    await symlink('..data/vitals.yaml', path.join(volume, 'vitals.yaml'));
    const file = path.join(volume, 'vitals.yaml');
    const { vitals, url } = await serve(file, ['--watch']);

    // 1. The file's content changes in place.
    const editedAt = Date.now();
    await writeFile(path.join(volume, '..v1', 'vitals.yaml'), configYaml(port, TOKEN, [tcpProbe(targets, 'one'), tcpProbe(targets, 'two')]));
    await until('the watch reload', () => (reloadsLogged(vitals) === 1 ? true : undefined), 12_000);
    const firstDelay = Date.now() - editedAt;
    expect(await probeNames(url)).toEqual(['one', 'two']);

    // 2. A new directory and an atomic swap of ..data, as kubelet does on a ConfigMap update.
    await mkdir(path.join(volume, '..v2'));
    await writeFile(path.join(volume, '..v2', 'vitals.yaml'), configYaml(port, TOKEN, [tcpProbe(targets, 'three')]));
    await symlink('..v2', path.join(volume, '..data_tmp'));
    const swappedAt = Date.now();
    await rename(path.join(volume, '..data_tmp'), path.join(volume, '..data'));
    await rm(path.join(volume, '..v1'), { recursive: true });
    expect(await readlink(path.join(volume, '..data'))).toBe('..v2');
    await until('the swap reload', () => (reloadsLogged(vitals) === 2 ? true : undefined), 12_000);
    const secondDelay = Date.now() - swappedAt;
    expect(await probeNames(url)).toEqual(['three']);
    console.log(`--watch propagation: edit ${firstDelay} ms, symlink swap ${secondDelay} ms (checks every 5 s)`);
    expect(vitals.stdout()).toMatch(/"trigger":"watch"/);
  }, 40_000);

  it('refuses --watch without a config file (zero-config): exit 2, one line', async () => {
    const vitals = spawnVitals(['serve', '--watch'], { VITALS_PORT: String(await freePort()) }, dir);
    running.push(vitals);
    expect(await vitals.exited).toBe(2);
    expect(vitals.stderr().trim()).toBe('vitals: --watch needs a config file (--config, $VITALS_CONFIG or ./vitals.yaml); zero-config has none to watch');
  }, 15_000);
});

async function socketCount(pid: number): Promise<number> {
  let sockets = 0;
  for (const fd of await readdir(`/proc/${pid}/fd`)) {
    const target = await readlink(`/proc/${pid}/fd/${fd}`).catch(() => '');
    if (target.startsWith('socket:')) sockets += 1;
  }
  return sockets;
}

async function rssKb(pid: number): Promise<number> {
  const status = await readFile(`/proc/${pid}/status`, 'utf8');
  return Number(/VmRSS:\s+(\d+) kB/.exec(status)![1]);
}

/** What each server sees of vitals: pg_stat_activity, CLIENT LIST, NATS /connz. */
async function serverSideConnections(): Promise<{ postgres: number; redis: number; nats: number }> {
  const pg = await targets.postgres.admin();
  const redis = await targets.redis.admin();
  try {
    const rows = await pg.query<{ n: string }>("SELECT count(*) AS n FROM pg_stat_activity WHERE application_name = 'vitals'");
    const list = (await redis.call('CLIENT', 'LIST')) as string;
    const connz = (await (await fetch(`${targets.nats.monitorUrl}/connz`)).json()) as { connections?: Array<{ name?: string }> };
    return {
      postgres: Number(rows.rows[0]!.n),
      redis: list.split('\n').filter((l) => / name=vitals /.test(l)).length,
      nats: (connz.connections ?? []).filter((c) => c.name?.startsWith('vitals:') === true).length,
    };
  } finally {
    await pg.end();
    redis.disconnect();
  }
}

describe('no leak across reloads', () => {
  it('after 50 reloads that add and remove postgres, redis and nats probes, nothing is left open', async () => {
    const port = await freePort();
    const file = path.join(dir, 'leak.yaml');
    const base = [tcpProbe(targets, 'tcp-1')];
    const withDatastores = [...base, datastoreProbes.postgres(targets), datastoreProbes.redis(targets), datastoreProbes.nats(targets)];
    await writeFile(file, configYaml(port, TOKEN, base));
    const { vitals, url } = await serve(file);
    const pid = vitals.child.pid!;
    let reloads = 0;
    const reloadTo = async (probes: string[]): Promise<void> => {
      await writeFile(file, configYaml(port, TOKEN, probes));
      vitals.kill('SIGHUP');
      reloads += 1;
      await until(`reload ${reloads}`, () => (reloadsLogged(vitals) === reloads ? true : undefined), 10_000);
    };
    const datastoresRan = async (): Promise<void> => {
      for (const name of ['pg', 'cache', 'bus']) {
        await until(`${name} ran`, async () => ((await fetch(`${url}/ready/${name}`)).status === 200 ? true : undefined), 10_000);
      }
    };

    // Warm-up cycle (not counted): loads pg, ioredis and nats once, as any first use would.
    await reloadTo(withDatastores);
    await datastoresRan();
    await reloadTo(base);
    await fetch(`${url}/health`);
    const socketsBefore = await socketCount(pid);
    const rssBefore = await rssKb(pid);
    const serversBefore = await serverSideConnections();
    expect(serversBefore).toEqual({ postgres: 0, redis: 0, nats: 0 });

    const started = Date.now();
    let peak = { postgres: 0, redis: 0, nats: 0 };
    let socketsPeak = 0;
    for (let i = 0; i < 25; i += 1) {
      await reloadTo(withDatastores);
      await datastoresRan();
      if (i % 5 === 0) {
        const seen = await serverSideConnections();
        peak = { postgres: Math.max(peak.postgres, seen.postgres), redis: Math.max(peak.redis, seen.redis), nats: Math.max(peak.nats, seen.nats) };
        socketsPeak = Math.max(socketsPeak, await socketCount(pid));
      }
      await reloadTo(base);
    }
    const loopMs = Date.now() - started;
    await fetch(`${url}/health`);
    const serversAfter = await serverSideConnections();
    const socketsAfter = await socketCount(pid);
    const rssAfter = await rssKb(pid);
    console.log(
      `50 reloads in ${loopMs} ms; with datastores at most pg ${peak.postgres}, redis ${peak.redis}, nats ${peak.nats} connections and ${socketsPeak} sockets; ` +
        `after: pg ${serversAfter.postgres}, redis ${serversAfter.redis}, nats ${serversAfter.nats}; sockets ${socketsBefore} → ${socketsAfter}; RSS ${Math.round(rssBefore / 1024)} → ${Math.round(rssAfter / 1024)} MiB`,
    );
    // What the config asks for while the datastore probes exist: a pool of at most 2 for postgres, one connection each for redis and nats.
    expect(peak.postgres).toBeLessThanOrEqual(2);
    expect(peak.redis).toBeLessThanOrEqual(1);
    expect(peak.nats).toBeLessThanOrEqual(1);
    expect(peak.postgres + peak.redis + peak.nats).toBeGreaterThan(0);
    // And nothing once they are removed.
    expect(serversAfter).toEqual({ postgres: 0, redis: 0, nats: 0 });
    // Margins: sockets within 2 of the start (the test's own keep-alive HTTP connections come and go); RSS within 30 MiB.
    expect(Math.abs(socketsAfter - socketsBefore)).toBeLessThanOrEqual(2);
    expect(rssAfter - rssBefore).toBeLessThan(30 * 1024);
    expect(vitals.stdout()).not.toContain(targets.postgres.password);
    expect(vitals.stdout()).not.toContain(targets.nats.password);
  }, 120_000);
});
