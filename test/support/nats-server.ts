import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { freePort, waitForPort } from './net.js';
import { startProcess, type ManagedProcess } from './process.js';

/**
 * A private nats-server (Debian package) on free loopback ports, with the
 * monitoring endpoint, JetStream in a throwaway directory, and user/password
 * authorization. One per test file; stop() it in afterAll.
 */
export interface NatsServer {
  readonly port: number;
  readonly monitorPort: number;
  readonly user: string;
  readonly password: string;
  /** nats://127.0.0.1:port, without credentials. */
  readonly url: string;
  /** http://127.0.0.1:monitorPort */
  readonly monitorUrl: string;
  readonly process: ManagedProcess;
  /** SIGSTOP: sockets stay open, nothing answers. Always resume() in afterEach. */
  pause(): void;
  resume(): void;
  stop(): Promise<void>;
}

export interface NatsServerOptions {
  user?: string;
  password?: string;
  /**
   * Bytes the server buffers for one client before calling it a slow consumer
   * (nats-server `max_pending`, default 64 MB; at least max_payload, 1 MB).
   * Tests lower it so a reader that stops reading is caught after a few
   * megabytes, not hundreds.
   */
  maxPendingBytes?: number;
}

/** `nats-server` on PATH (Debian) or where the package puts it. */
const NATS_SERVER = process.env.VITALS_TEST_NATS_SERVER ?? 'nats-server';

export async function startNatsServer(options: NatsServerOptions = {}): Promise<NatsServer> {
  const user = options.user ?? 'vitals';
  const password = options.password ?? 'nats-test-secret-6f1c';
  const port = await freePort();
  const monitorPort = await freePort();
  const dir = await mkdtemp(path.join(tmpdir(), 'vitals-nats-'));
  const config = [
    `listen: "127.0.0.1:${port}"`,
    `http: "127.0.0.1:${monitorPort}"`,
    `max_pending: ${options.maxPendingBytes ?? 64 * 1024 * 1024}`,
    // Notice a non-reading client in a second, not the default 10 s.
    `write_deadline: "1s"`,
    `jetstream {`,
    `  store_dir: ${JSON.stringify(path.join(dir, 'js'))}`,
    `  max_memory_store: 64MB`,
    `  max_file_store: 256MB`,
    `}`,
    `authorization {`,
    `  user: ${JSON.stringify(user)}`,
    `  password: ${JSON.stringify(password)}`,
    `}`,
  ].join('\n');
  const configPath = path.join(dir, 'nats.conf');
  await writeFile(configPath, `${config}\n`);

  const server = startProcess(NATS_SERVER, ['-c', configPath]);
  // A config error makes nats-server exit at once; say so instead of waiting out the port timeout.
  const exited = new Promise<never>((_resolve, reject) => {
    server.child.once('exit', (code) => reject(new Error(`exited with code ${String(code)}`)));
  });
  exited.catch(() => undefined);
  try {
    await Promise.race([Promise.all([waitForPort(port, 20_000), waitForPort(monitorPort, 20_000)]), exited]);
  } catch (error) {
    await server.stop();
    await rm(dir, { recursive: true, force: true });
    throw new Error(`nats-server did not start: ${String(error)}\n${server.output()}`, { cause: error });
  }
  return {
    port,
    monitorPort,
    user,
    password,
    url: `nats://127.0.0.1:${port}`,
    monitorUrl: `http://127.0.0.1:${monitorPort}`,
    process: server,
    pause: () => server.pause(),
    resume: () => server.resume(),
    async stop() {
      await server.stop();
      await rm(dir, { recursive: true, force: true });
    },
  };
}
