import { describe, expect, it } from 'vitest';
import { managedClient } from '../../probes/shared/managed-client.js';

interface FakeClient {
  id: number;
  closed: boolean;
  destroyed: boolean;
}

/** A client whose open and close the test controls: resolves when told to, or never. */
function harness(options: { openNever?: boolean; closeNever?: boolean } = {}) {
  const opened: FakeClient[] = [];
  let release: (() => void) | undefined;
  const client = managedClient<FakeClient>({
    open: () =>
      new Promise<FakeClient>((resolve) => {
        const fresh = { id: opened.length + 1, closed: false, destroyed: false };
        opened.push(fresh);
        if (options.openNever === true) return;
        release = () => resolve(fresh);
      }),
    isUsable: (c) => !c.closed,
    close: (c) =>
      options.closeNever === true
        ? new Promise(() => {})
        : Promise.resolve().then(() => {
            c.closed = true;
          }),
    destroy: (c) => {
      c.destroyed = true;
    },
  });
  return { client, opened, finishOpen: () => release?.() };
}

describe('managedClient (probes/shared): the one connection strategy of stateful probes', () => {
  it('opens lazily and once: concurrent runs join the open in flight', async () => {
    const { client, opened, finishOpen } = harness();
    expect(opened).toHaveLength(0);
    const first = client.get(new AbortController().signal);
    const second = client.get(new AbortController().signal);
    expect(opened).toHaveLength(1);
    finishOpen();
    expect(await first).toBe(await second);
    expect(await client.get(new AbortController().signal)).toBe(opened[0]);
    expect(opened).toHaveLength(1);
  });

  it('an aborted run stops waiting at once; the next run joins the same open instead of dialling again', async () => {
    const { client, opened, finishOpen } = harness();
    const controller = new AbortController();
    const waiting = client.get(controller.signal);
    controller.abort(new Error('probe timeout'));
    await expect(waiting).rejects.toThrow('probe timeout');
    const next = client.get(new AbortController().signal);
    finishOpen();
    expect(await next).toBe(opened[0]);
    expect(opened).toHaveLength(1);
  });

  it('drop() closes the client in the background and the next run opens a fresh one', async () => {
    const { client, opened, finishOpen } = harness();
    const signal = new AbortController().signal;
    const pending = client.get(signal);
    finishOpen();
    const first = await pending;
    client.drop(first);
    await new Promise((resolve) => setTimeout(resolve, 10));
    expect(first.closed).toBe(true);
    const again = client.get(signal);
    finishOpen();
    expect((await again).id).toBe(2);
    expect(opened).toHaveLength(2);
  });

  it('a client that reports itself unusable is replaced', async () => {
    const { client, finishOpen } = harness();
    const signal = new AbortController().signal;
    const pending = client.get(signal);
    finishOpen();
    const first = await pending;
    first.closed = true;
    const next = client.get(signal);
    finishOpen();
    expect((await next).id).toBe(2);
  });

  it('close() is bounded by its deadline when the polite close hangs, then destroys', async () => {
    const { client, finishOpen } = harness({ closeNever: true });
    const pending = client.get(new AbortController().signal);
    finishOpen();
    const open = await pending;
    const started = performance.now();
    await client.close(100);
    expect(performance.now() - started).toBeLessThan(1_000);
    expect(open.destroyed).toBe(true);
    await expect(client.get(new AbortController().signal)).rejects.toThrow('probe is closed');
  });

  it('close() during an open that never finishes still returns within its deadline', async () => {
    const { client } = harness({ openNever: true });
    void client.get(new AbortController().signal).catch(() => undefined);
    const started = performance.now();
    await client.close(100);
    expect(performance.now() - started).toBeLessThan(1_000);
  });

  it('an open that completes after close() is released, never handed out', async () => {
    const { client, opened, finishOpen } = harness();
    const pending = client.get(new AbortController().signal);
    await client.close(50);
    finishOpen();
    await expect(pending).rejects.toThrow('probe is closed');
    await new Promise((resolve) => setTimeout(resolve, 10));
    expect(opened[0]?.closed).toBe(true);
  });
});
