import net from 'node:net';

/**
 * What the proxy does to traffic. `pass` forwards; `latency` delays every
 * chunk both ways by `ms`; `blackhole` accepts and keeps connections but
 * forwards nothing; `reset` destroys every connection (RST) as it arrives;
 * `refuse` closes the listening socket, so connects get ECONNREFUSED.
 */
export type FaultMode = { kind: 'pass' } | { kind: 'latency'; ms: number } | { kind: 'blackhole' } | { kind: 'reset' } | { kind: 'refuse' };

export interface FaultProxy {
  readonly port: number;
  mode(): FaultMode;
  /** Switch mode; resolves once the listener is closed or open again as the mode needs. */
  set(mode: FaultMode): Promise<void>;
  /** Client connections currently open through the proxy. */
  openConnections(): number;
  close(): Promise<void>;
}

/** A toxiproxy-style TCP fault proxy on 127.0.0.1, in front of `targetPort`. */
export async function startFaultProxy(targetPort: number): Promise<FaultProxy> {
  let current: FaultMode = { kind: 'pass' };
  const pairs = new Set<{ client: net.Socket; upstream?: net.Socket }>();
  let port = 0;

  const relay = (from: net.Socket, to: () => net.Socket | undefined): void => {
    from.on('data', (chunk: Buffer) => {
      const mode = current;
      if (mode.kind === 'blackhole') return;
      // Same delay for every chunk keeps their order (timers of equal delay fire in order).
      const write = (): void => {
        const target = to();
        if (target !== undefined && !target.destroyed) target.write(chunk);
      };
      if (mode.kind === 'latency') setTimeout(write, mode.ms).unref();
      else write();
    });
  };

  const server = net.createServer((client) => {
    if (current.kind === 'reset') {
      client.resetAndDestroy();
      return;
    }
    const pair: { client: net.Socket; upstream?: net.Socket } = { client };
    pairs.add(pair);
    const upstream = net.connect(targetPort, '127.0.0.1');
    pair.upstream = upstream;
    const end = (): void => {
      pairs.delete(pair);
      client.destroy();
      upstream.destroy();
    };
    client.on('error', end).on('close', end);
    upstream.on('error', end).on('close', end);
    relay(client, () => upstream);
    relay(upstream, () => client);
  });

  const listen = (at: number): Promise<void> =>
    new Promise((resolve, reject) => {
      server.once('error', reject);
      server.listen(at, '127.0.0.1', () => {
        server.off('error', reject);
        resolve();
      });
    });
  await listen(0);
  port = (server.address() as net.AddressInfo).port;

  const cutAll = (): void => {
    for (const { client, upstream } of pairs) {
      client.resetAndDestroy();
      upstream?.destroy();
    }
    pairs.clear();
  };

  return {
    port,
    mode: () => current,
    async set(mode) {
      const wasListening = server.listening;
      current = mode;
      if (mode.kind === 'reset' || mode.kind === 'refuse') cutAll();
      if (mode.kind === 'refuse' && wasListening) await new Promise<void>((resolve) => server.close(() => resolve()));
      if (mode.kind !== 'refuse' && !wasListening) await listen(port);
    },
    openConnections: () => pairs.size,
    async close() {
      cutAll();
      if (server.listening) await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}
