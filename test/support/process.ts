import { spawn, type ChildProcess, type SpawnOptions } from 'node:child_process';
import { readdirSync, readFileSync } from 'node:fs';

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

/** Sleeps the calling thread (tests only: pause() must be synchronous for its callers). */
function sleepSync(ms: number): void {
  Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, ms);
}

/** Whether every thread of `pid` is stopped (state T), or the process is gone. */
function allThreadsStopped(pid: number): boolean {
  let tasks: string[];
  try {
    tasks = readdirSync(`/proc/${pid}/task`);
  } catch {
    return true;
  }
  return tasks.every((tid) => {
    try {
      const stat = readFileSync(`/proc/${pid}/task/${tid}/stat`, 'utf8');
      const state = stat.slice(stat.lastIndexOf(')') + 2, stat.lastIndexOf(')') + 3);
      return state === 'T' || state === 't' || state === 'Z' || state === 'X';
    } catch {
      return true;
    }
  });
}

/**
 * SIGSTOP, then wait until the kernel has actually stopped every thread.
 * A stop takes effect only when one of the target's threads is next
 * scheduled; on a loaded machine another of its threads, woken by network
 * data, can still answer a request in between (seen: a "hung" NATS server
 * answering a PING). Bounded: gives up waiting after 2 s.
 */
export function stopProcessNow(pid: number): void {
  try {
    process.kill(pid, 'SIGSTOP');
  } catch {
    return; // already gone
  }
  const deadline = Date.now() + 2_000;
  while (!allThreadsStopped(pid) && Date.now() < deadline) sleepSync(1);
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
    pause: () => stopProcessNow(pid),
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
