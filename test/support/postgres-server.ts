import { execFileSync } from 'node:child_process';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { chown, mkdtemp, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { randomBytes } from 'node:crypto';
import pg from 'pg';
import { freePort } from './net.js';
import { startProcess, stopProcessNow, type ManagedProcess } from './process.js';

/**
 * A throwaway PostgreSQL (Debian packages) for one test file: initdb into a
 * temp dir, 127.0.0.1 on a free port, a unix socket in the temp dir for the
 * superuser (trust), a password-protected login role for the probe
 * (scram-sha-256 over TCP). Stop it in afterAll; stop() also removes the data.
 */

export interface PostgresStartOptions {
  /** Default 20. Low values make connection-limit tests cheap. */
  maxConnections?: number;
  /** Extra `-c name=value` server settings. */
  settings?: Record<string, string | number>;
  /** Start as a standby without hot_standby: every connection gets 57P03. */
  standby?: boolean;
}

export interface PostgresServer {
  readonly port: number;
  /** The probe's login role and its database. */
  readonly user: string;
  readonly password: string;
  readonly database: string;
  /** postgres://user:password@127.0.0.1:port/database, each part overridable. */
  url(parts?: { user?: string; password?: string; database?: string; port?: number }): string;
  /** A connected superuser client over the unix socket (database `postgres` unless named); the caller ends it. */
  admin(database?: string): Promise<pg.Client>;
  /** A connected client as the login role over TCP (counts as a normal connection). */
  connectAsUser(applicationName?: string): Promise<pg.Client>;
  /** SIGSTOP the postmaster and every backend: sockets stay open, nothing answers. */
  pause(): void;
  /** SIGCONT whatever pause() stopped. Safe to call any time. */
  resume(): void;
  /** Fast shutdown, keep the data directory, start again with new options. */
  restart(options?: PostgresStartOptions): Promise<void>;
  /** The postmaster's pid (for signals such as a smart shutdown). */
  pid(): number;
  /** Resolves when the postmaster has exited. */
  exited(): Promise<void>;
  /** Server log so far, for failure messages. */
  output(): string;
  /** Fast shutdown (SIGKILL after a grace period), then delete the temp dir. Idempotent. */
  stop(): Promise<void>;
}

const SUPERUSER = 'postgres';
const running = new Set<number>();
let exitHookInstalled = false;

/** If the worker dies before afterAll runs, do not leave servers behind. */
function installExitHook(): void {
  if (exitHookInstalled) return;
  exitHookInstalled = true;
  process.once('exit', () => {
    for (const pid of running) {
      for (const child of descendants(pid)) signal(child, 'SIGKILL');
      signal(pid, 'SIGKILL');
    }
  });
}

function signal(pid: number, sig: NodeJS.Signals): void {
  try {
    process.kill(pid, sig);
  } catch {
    // already gone
  }
}

/** Every process below `root`, read from /proc (postgres backends call setsid, so a process group does not cover them). */
export function descendants(root: number): number[] {
  const parentOf = new Map<number, number>();
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      const stat = readFileSync(`/proc/${entry}/stat`, 'utf8');
      // Field 4 (ppid) follows the parenthesised command name, which may contain spaces.
      const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
      parentOf.set(Number(entry), Number(fields[1]));
    } catch {
      // exited while we looked
    }
  }
  const found: number[] = [];
  const queue = [root];
  while (queue.length > 0) {
    const parent = queue.shift() as number;
    for (const [pid, ppid] of parentOf) {
      if (ppid === parent && !found.includes(pid)) {
        found.push(pid);
        queue.push(pid);
      }
    }
  }
  return found;
}

function findBinDir(): string | undefined {
  const base = '/usr/lib/postgresql';
  if (!existsSync(base)) return undefined;
  const versions = readdirSync(base)
    .filter((v) => existsSync(path.join(base, v, 'bin', 'initdb')))
    .sort((a, b) => Number(b) - Number(a));
  return versions[0] === undefined ? undefined : path.join(base, versions[0], 'bin');
}

/** The PostgreSQL bin dir; installs the Debian packages when root, else one clear line. */
export function postgresBinDir(): string {
  let dir = findBinDir();
  if (dir === undefined && process.getuid?.() === 0) {
    execFileSync('bash', [path.resolve('scripts/install-test-deps.sh')], { stdio: 'inherit' });
    dir = findBinDir();
  }
  if (dir === undefined) {
    throw new Error('PostgreSQL server binaries not found: install them with `sudo apt-get install postgresql` (or run scripts/install-test-deps.sh as root)');
  }
  return dir;
}

interface RunAs {
  uid?: number;
  gid?: number;
}

/** root cannot run initdb or postgres: run them as the postgres user then. */
function serverUser(): RunAs & { name?: string } {
  if (process.getuid?.() !== 0) return {};
  const uid = Number(execFileSync('id', ['-u', 'postgres']).toString().trim());
  const gid = Number(execFileSync('id', ['-g', 'postgres']).toString().trim());
  return { uid, gid, name: 'postgres' };
}

function runAsServerUser(user: ReturnType<typeof serverUser>, command: string, args: string[], cwd: string): void {
  const [cmd, argv] = user.name === undefined ? [command, args] : ['runuser', ['-u', user.name, '--', command, ...args]];
  try {
    execFileSync(cmd, argv, { cwd, stdio: ['ignore', 'pipe', 'pipe'] });
  } catch (error) {
    const stderr = (error as { stderr?: Buffer }).stderr?.toString() ?? '';
    throw new Error(`${command} failed: ${stderr.trim()}`, { cause: error });
  }
}

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

function codeOf(error: unknown): string | undefined {
  const code = (error as { code?: unknown } | null)?.code;
  return typeof code === 'string' ? code : undefined;
}

export async function startPostgres(initial: PostgresStartOptions = {}): Promise<PostgresServer> {
  installExitHook();
  const bin = postgresBinDir();
  const user = serverUser();
  const tmp = await mkdtemp(path.join(os.tmpdir(), 'vitals-pg-'));
  const dataDir = path.join(tmp, 'data');
  const superPassword = randomBytes(12).toString('hex');
  const login = { user: 'vitals_probe', password: `pw-${randomBytes(12).toString('hex')}`, database: 'app' };
  if (user.uid !== undefined && user.gid !== undefined) await chown(tmp, user.uid, user.gid);
  const pwfile = path.join(tmp, 'pwfile');
  await writeFile(pwfile, `${superPassword}\n`, { mode: 0o600 });
  if (user.uid !== undefined && user.gid !== undefined) await chown(pwfile, user.uid, user.gid);
  runAsServerUser(
    user,
    path.join(bin, 'initdb'),
    ['-D', dataDir, '-U', SUPERUSER, '--pwfile', pwfile, '--auth-local=trust', '--auth-host=scram-sha-256', '-E', 'UTF8', '--no-sync', '--no-instructions'],
    tmp,
  );

  const port = await freePort();
  let proc: ManagedProcess | undefined;
  let exited: Promise<void> = Promise.resolve();
  let paused: number[] = [];
  let stopped = false;

  const adminConfig = (): pg.ClientConfig => ({ host: tmp, port, user: SUPERUSER, database: 'postgres' });

  const launch = async (options: PostgresStartOptions): Promise<void> => {
    const standbySignal = path.join(dataDir, 'standby.signal');
    if (options.standby === true) {
      await writeFile(standbySignal, '');
      if (user.uid !== undefined && user.gid !== undefined) await chown(standbySignal, user.uid, user.gid);
    } else {
      await rm(standbySignal, { force: true });
    }
    const settings: Record<string, string | number> = {
      port,
      listen_addresses: '127.0.0.1',
      unix_socket_directories: tmp,
      fsync: 'off',
      synchronous_commit: 'off',
      full_page_writes: 'off',
      shared_buffers: '16MB',
      max_connections: options.maxConnections ?? 20,
      superuser_reserved_connections: 3,
      max_wal_senders: 0,
      logging_collector: 'off',
      ...(options.standby === true ? { hot_standby: 'off' } : {}),
      ...options.settings,
    };
    const args = ['-D', dataDir, ...Object.entries(settings).flatMap(([k, v]) => ['-c', `${k}=${v}`])];
    const child = startProcess(path.join(bin, 'postgres'), args, { cwd: tmp, ...(user.uid === undefined ? {} : { uid: user.uid, gid: user.gid }) });
    proc = child;
    running.add(child.pid);
    exited = new Promise<void>((resolve) => {
      if (child.child.exitCode !== null || child.child.signalCode !== null) resolve();
      else child.child.once('exit', () => resolve());
    }).then(() => {
      running.delete(child.pid);
    });
    await waitUntilServing(options.standby === true);
  };

  /** Ready = a superuser query works; for a standby, = connections are refused with 57P03. */
  const waitUntilServing = async (standby: boolean): Promise<void> => {
    const deadline = Date.now() + 30_000;
    let last: string;
    for (;;) {
      if (proc !== undefined && proc.child.exitCode !== null) throw new Error(`postgres exited during startup:\n${proc.output()}`);
      const client = new pg.Client({ ...adminConfig(), connectionTimeoutMillis: 2_000 });
      client.on('error', () => undefined);
      try {
        await client.connect();
        await client.query('SELECT 1');
        await client.end();
        if (!standby) return;
        last = 'accepting connections (expected a standby)';
      } catch (error) {
        await client.end().catch(() => undefined);
        last = error instanceof Error ? error.message : String(error);
        if (standby && codeOf(error) === '57P03') return;
      }
      if (Date.now() > deadline) throw new Error(`postgres not serving after 30 s: ${last}\n${proc?.output() ?? ''}`);
      await sleep(100);
    }
  };

  const shutdown = async (): Promise<void> => {
    const current = proc;
    if (current === undefined || current.child.exitCode !== null || current.child.signalCode !== null) return;
    const tree = descendants(current.pid);
    for (const pid of [current.pid, ...tree]) signal(pid, 'SIGCONT');
    paused = [];
    // SIGINT = fast shutdown: disconnects sessions (SIGTERM would wait for them).
    signal(current.pid, 'SIGINT');
    const timer = setTimeout(() => {
      for (const pid of [current.pid, ...tree]) signal(pid, 'SIGKILL');
    }, 10_000);
    await exited;
    clearTimeout(timer);
    for (const pid of tree) signal(pid, 'SIGKILL');
  };

  const server: PostgresServer = {
    port,
    ...login,
    url(parts = {}) {
      const u = encodeURIComponent(parts.user ?? login.user);
      const p = encodeURIComponent(parts.password ?? login.password);
      return `postgres://${u}:${p}@127.0.0.1:${parts.port ?? port}/${encodeURIComponent(parts.database ?? login.database)}`;
    },
    async admin(database = 'postgres') {
      const client = new pg.Client({ ...adminConfig(), database });
      client.on('error', () => undefined);
      await client.connect();
      return client;
    },
    async connectAsUser(applicationName = 'test-holder') {
      const client = new pg.Client({ connectionString: server.url(), application_name: applicationName });
      client.on('error', () => undefined);
      await client.connect();
      return client;
    },
    pause() {
      const current = proc;
      if (current === undefined) return;
      // The postmaster first, so it forks no new backend while we stop the others.
      stopProcessNow(current.pid);
      const tree = descendants(current.pid);
      for (const pid of tree) stopProcessNow(pid);
      paused = [current.pid, ...tree];
    },
    resume() {
      const current = proc;
      const targets = new Set(paused);
      if (current !== undefined) {
        targets.add(current.pid);
        for (const pid of descendants(current.pid)) targets.add(pid);
      }
      for (const pid of targets) signal(pid, 'SIGCONT');
      paused = [];
    },
    async restart(options = {}) {
      await shutdown();
      await launch(options);
    },
    pid() {
      if (proc === undefined) throw new Error('postgres is not running');
      return proc.pid;
    },
    exited: () => exited,
    output: () => proc?.output() ?? '',
    async stop() {
      if (stopped) return;
      stopped = true;
      await shutdown();
      await rm(tmp, { recursive: true, force: true });
    },
  };

  try {
    await launch({ ...initial, standby: false });
    const admin = await server.admin();
    try {
      // Identifiers and the password are generated above (hex only), so plain interpolation is safe.
      await admin.query(`CREATE ROLE ${login.user} LOGIN PASSWORD '${login.password}'`);
      // pg_monitor lets the probe see every session's state (longQueries), as we recommend in the README.
      await admin.query(`GRANT pg_monitor TO ${login.user}`);
      await admin.query(`CREATE DATABASE ${login.database} OWNER ${login.user}`);
    } finally {
      await admin.end();
    }
    if (initial.standby === true) await server.restart(initial);
  } catch (error) {
    await server.stop();
    throw error;
  }
  return server;
}
