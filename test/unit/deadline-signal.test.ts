import { spawnSync } from 'node:child_process';
import { describe, expect, it } from 'vitest';
import { deadlineSignal } from '../../src/status/prometheus-uptime.js';

describe('deadlineSignal (the Prometheus query deadline)', () => {
  it('aborts with a TimeoutError after the timeout', async () => {
    const { signal } = deadlineSignal(new AbortController().signal, 50);
    await new Promise((resolve) => signal.addEventListener('abort', resolve, { once: true }));
    expect((signal.reason as Error).name).toBe('TimeoutError');
  });

  it('aborts with the stop reason when stopped, also when stopped before', () => {
    const stop = new AbortController();
    const { signal } = deadlineSignal(stop.signal, 10_000);
    stop.abort(new Error('reconfigured'));
    expect((signal.reason as Error).message).toBe('reconfigured');
    expect(deadlineSignal(stop.signal, 10_000).signal.aborted).toBe(true);
  });

  it('clear() stops the timer: no abort afterwards', async () => {
    const deadline = deadlineSignal(new AbortController().signal, 20);
    deadline.clear();
    await new Promise((resolve) => setTimeout(resolve, 80));
    expect(deadline.signal.aborted).toBe(false);
  });

  // The bug it replaces: AbortSignal.any([stop, AbortSignal.timeout(ms)]) held only
  // weakly (as undici's fetch holds its signal) was collected by a GC and never aborted.
  it('still fires after a garbage collection when only a listener refers to it', () => {
    const script = `
      const { deadlineSignal } = await import('./src/status/prometheus-uptime.ts');
      const stop = new AbortController();
      const fired = new Promise((resolve) => {
        deadlineSignal(stop.signal, 300).signal.addEventListener('abort', (e) => resolve(e.target.reason.name));
      });
      setTimeout(() => globalThis.gc(), 50);
      console.log(await Promise.race([fired, new Promise((resolve) => setTimeout(() => resolve('never aborted'), 3000))]));
    `;
    const child = spawnSync(process.execPath, ['--expose-gc', '--import', 'tsx', '--input-type=module', '-e', script], {
      cwd: process.cwd(),
      encoding: 'utf8',
      timeout: 30_000,
    });
    expect(child.stderr).toBe('');
    expect(child.stdout.trim()).toBe('TimeoutError');
  });
});
