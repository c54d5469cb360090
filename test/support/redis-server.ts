import { execFileSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { randomBytes } from 'node:crypto';
import { Redis } from 'ioredis';
import { freePort } from './net.js';
import { startProcess, type ManagedProcess } from './process.js';

/**
 * A throwaway redis-server (Debian package) for one test file: a generated
 * config file, 127.0.0.1 on a free port, requirepass, no persistence unless a
 * test asks, data dir in a temp dir. Stop it in afterAll; stop() also removes
 * the temp dir.
 */

export interface RedisStartOptions {
  /** e.g. '2mb'; default 0 (unlimited). */
  maxmemory?: string;
  /** Default noeviction (Redis's own default). */
  maxmemoryPolicy?: string;
  /** Extra config lines as name → value. */
  config?: Record<string, string | number>;
}

export interface RedisServer {
  readonly port: number;
  readonly password: string;
  /** Directory holding dump.rdb. */
  readonly dir: string;
  /** redis://:password@127.0.0.1:port, password overridable (`null` = none). */
  url(parts?: { password?: string | null; port?: number }): string;
  /** A connected admin client; the caller disconnects it. */
  admin(): Promise<Redis>;
  /** SIGSTOP: the socket stays open, nothing answers. */
  pause(): void;
  /** SIGCONT after pause(). Safe to call any time. */
  resume(): void;
  /** Stop (keeping the dir and its dump.rdb) and start again with new options; resolves once the port accepts. */
  restart(options?: RedisStartOptions): Promise<void>;
  /** Stop the process but keep its port and dir (connections are then refused); restart() brings it back. */
  halt(): Promise<void>;
  output(): string;
  /** Stop the server and delete the temp dir. Idempotent. */
  stop(): Promise<void>;
}

const running = new Set<number>();
let exitHookInstalled = false;

function installExitHook(): void {
  if (exitHookInstalled) return;
  exitHookInstalled = true;
  process.once('exit', () => {
    for (const pid of running) {
      try {
        process.kill(pid, 'SIGKILL');
      } catch {
        // already gone
      }
    }
  });
}

const REDIS_SERVER = '/usr/bin/redis-server';

/** The redis-server binary; installs the Debian package when root, else one clear line. */
export function redisServerBinary(): string {
  if (!existsSync(REDIS_SERVER) && process.getuid?.() === 0) {
    execFileSync('bash', [path.resolve('scripts/install-test-deps.sh')], { stdio: 'inherit' });
  }
  if (!existsSync(REDIS_SERVER)) {
    throw new Error('redis-server not found: install it with `sudo apt-get install redis-server` (or run scripts/install-test-deps.sh as root)');
  }
  return REDIS_SERVER;
}

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

export async function startRedis(initial: RedisStartOptions = {}): Promise<RedisServer> {
  installExitHook();
  const binary = redisServerBinary();
  const dir = await mkdtemp(path.join(os.tmpdir(), 'vitals-redis-'));
  const port = await freePort();
  const password = `pw-${randomBytes(12).toString('hex')}`;
  let proc: ManagedProcess | undefined;
  let stopped = false;

  const launch = async (options: RedisStartOptions): Promise<void> => {
    const lines: Record<string, string | number> = {
      port,
      bind: '127.0.0.1',
      'protected-mode': 'yes',
      requirepass: password,
      daemonize: 'no',
      dir,
      dbfilename: 'dump.rdb',
      save: '""',
      appendonly: 'no',
      logfile: '""',
      'enable-debug-command': 'local',
      maxmemory: options.maxmemory ?? '0',
      'maxmemory-policy': options.maxmemoryPolicy ?? 'noeviction',
      ...options.config,
    };
    const file = path.join(dir, 'redis.conf');
    await writeFile(file, Object.entries(lines).map(([k, v]) => `${k} ${v}`).join('\n') + '\n', { mode: 0o600 });
    const child = startProcess(binary, [file], { cwd: dir });
    proc = child;
    running.add(child.pid);
    child.child.once('exit', () => running.delete(child.pid));
    await waitUntilListening(child);
  };

  /** Listening is enough: a loading server must count as started (it answers LOADING). */
  const waitUntilListening = async (child: ManagedProcess): Promise<void> => {
    const deadline = Date.now() + 20_000;
    for (;;) {
      if (child.child.exitCode !== null) throw new Error(`redis-server exited during startup:\n${child.output()}`);
      if (/Ready to accept connections|Loading RDB produced by|DB loaded from disk/.test(child.output())) return;
      if (Date.now() > deadline) throw new Error(`redis-server not listening after 20 s:\n${child.output()}`);
      await sleep(20);
    }
  };

  const server: RedisServer = {
    port,
    password,
    dir,
    url(parts = {}) {
      const pw = parts.password === undefined ? password : parts.password;
      const auth = pw === null ? '' : `:${encodeURIComponent(pw)}@`;
      return `redis://${auth}127.0.0.1:${parts.port ?? port}`;
    },
    async admin() {
      const client = new Redis({ host: '127.0.0.1', port, password, lazyConnect: true, maxRetriesPerRequest: 1, retryStrategy: () => null });
      client.on('error', () => undefined);
      await client.connect();
      return client;
    },
    pause: () => proc?.pause(),
    resume: () => proc?.resume(),
    async restart(options = {}) {
      await proc?.stop();
      await launch(options);
    },
    async halt() {
      await proc?.stop();
    },
    output: () => proc?.output() ?? '',
    async stop() {
      if (stopped) return;
      stopped = true;
      await proc?.stop();
      await rm(dir, { recursive: true, force: true });
    },
  };

  try {
    await launch(initial);
  } catch (error) {
    await server.stop();
    throw error;
  }
  return server;
}
