import { spawn, type ChildProcess, type SpawnOptions } from 'node:child_process';

/** A server process started by a test; stopped by pid, also when the test failed. */
export interface ManagedProcess {
  readonly child: ChildProcess;
  readonly pid: number;
  /** stdout+stderr so far, for failure messages. */
  output(): string;
  /** SIGSTOP: the process keeps its sockets open and answers nothing. */
  pause(): void;
  /** SIGCONT after pause(). Safe to call when not paused. */
  resume(): void;
  /** SIGCONT then SIGTERM; SIGKILL after graceMs. Resolves when it has exited. */
  stop(graceMs?: number): Promise<void>;
}

export function startProcess(command: string, args: string[], options: SpawnOptions = {}): ManagedProcess {
  const child = spawn(command, args, { stdio: ['ignore', 'pipe', 'pipe'], ...options });
  if (child.pid === undefined) throw new Error(`could not start ${command}`);
  const pid = child.pid;
  let log = '';
  child.stdout?.on('data', (chunk: Buffer) => (log += chunk.toString()));
  child.stderr?.on('data', (chunk: Buffer) => (log += chunk.toString()));
  const exited = new Promise<void>((resolve) => {
    if (child.exitCode !== null || child.signalCode !== null) resolve();
    else child.once('exit', () => resolve());
  });
  const signal = (sig: NodeJS.Signals): void => {
    try {
      process.kill(pid, sig);
    } catch {
      // already gone
    }
  };
  return {
    child,
    pid,
    output: () => log,
    pause: () => signal('SIGSTOP'),
    resume: () => signal('SIGCONT'),
    async stop(graceMs = 5_000) {
      if (child.exitCode !== null || child.signalCode !== null) return;
      signal('SIGCONT');
      signal('SIGTERM');
      const timer = setTimeout(() => signal('SIGKILL'), graceMs);
      await exited;
      clearTimeout(timer);
    },
  };
}
