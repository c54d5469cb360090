import { createServer, type Server } from 'node:net';
import { pino } from 'pino';
import { afterEach, describe, expect, it } from 'vitest';
import { parseConfigText } from '../../src/config/load.js';
import type { ProbeDefinition } from '../../src/core/probe.js';
import { ListenError, startService } from '../../src/server.js';

/** A port held by another listener on loopback, so vitals cannot bind it. */
function occupy(): Promise<{ server: Server; port: number }> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      if (address === null || typeof address === 'string') return reject(new Error('no port'));
      resolve({ server, port: address.port });
    });
  });
}

let held: Server | undefined;
afterEach(() => {
  held?.close();
  held = undefined;
});

describe('startService when the port is in use', () => {
  it('closes every probe it built, then fails with the one-line ListenError (exit 1 in the CLI)', async () => {
    const { server, port } = await occupy();
    held = server;
    const yaml = [`server: { host: 127.0.0.1, port: ${port} }`, 'probes:', '  - { name: a, type: tcp, host: 127.0.0.1, port: 1 }', '  - { name: b, type: tcp, host: 127.0.0.1, port: 1 }', ''].join('\n');
    const config = parseConfigText(yaml, 'listen-failure.yaml', {});
    const closed: string[] = [];
    config.probes = config.probes.map((settings) => {
      // The real tcp definition, with a client whose close() we can see.
      const definition: ProbeDefinition = {
        ...settings.definition,
        create: () => ({
          check: () => Promise.resolve({ observations: [] }),
          close: () => {
            closed.push(settings.name);
            return Promise.resolve();
          },
        }),
      };
      return { ...settings, definition };
    });

    const started = performance.now();
    const failure = await startService(config, pino({ level: 'silent' })).then(
      () => undefined,
      (error: unknown) => error,
    );
    expect(failure).toBeInstanceOf(ListenError);
    expect((failure as ListenError).message).toMatch(new RegExp(`^port ${port} on 127\\.0\\.0\\.1 is already in use.*server\\.port or VITALS_PORT$`));
    expect(closed.sort()).toEqual(['a', 'b']);
    // Bounded: closing after a failed listen must not wait for shutdown.timeout.
    expect(performance.now() - started).toBeLessThan(5_000);
  });
});
