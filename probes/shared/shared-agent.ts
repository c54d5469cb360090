import type { Agent } from 'undici';
import type { CertificateFacts } from './cert-chain.js';
import { inspectingConnector } from './peer-certificate.js';
import { describeTlsCode } from './tls-failure.js';

type Undici = typeof import('undici');

/** The certificate a connection to one origin last presented, and what verifying it said ('ok' or the reason). */
export interface SeenCertificate {
  readonly facts: CertificateFacts;
  readonly verification: string;
}

/** One probe's use of a shared agent. */
export interface AgentLease {
  readonly agent: Agent;
  /** The certificate last seen on a connection to `origin` (peer-certificate's originKey), by any probe sharing this agent. */
  certificate(origin: string): SeenCertificate | undefined;
  /** Gives the lease back; the last one closes the agent politely (waits for requests in flight). Idempotent. */
  close(): Promise<void>;
  /** Immediate release when close() did not finish in time: destroys the agent if nobody else holds it. */
  destroy(): void;
}

interface Shared {
  readonly agent: Agent;
  users: number;
  readonly certificates: Map<string, SeenCertificate>;
}

/**
 * One undici Agent (and so one connection pool per origin) for every http
 * probe with the same connection options, instead of one per probe (issue 16:
 * each Agent holds its pools, clients, parsers and kept-alive sockets; 1,000
 * probes on one upstream had 1,000 of each). Only what changes how a
 * connection is made is in the key — the CA bundle and whether the
 * certificate must verify; method, headers, redirects and the per-run timeout
 * (the run's AbortSignal) are per request, so probes that differ only in those
 * still share. Reference counted: the last probe to close closes the agent; a
 * reload's new probe leases before the old one is closed, so connections to an
 * unchanged upstream survive the reload.
 */
const agents = new Map<string, Shared>();

export function leaseAgent(undici: Undici, ca: Buffer | undefined, verify: boolean): AgentLease {
  // A CA's PEM text is the key itself: two files with the same bundle share, an edited bundle does not.
  const key = `${verify ? 'verify' : 'insecure'}\n${ca?.toString('latin1') ?? ''}`;
  let shared = agents.get(key);
  if (shared === undefined) {
    const certificates = new Map<string, SeenCertificate>();
    const agent = new undici.Agent({
      // Probes run every few seconds at most: keep a connection briefly. No per-origin cap: a run never
      // overlaps its own previous one, so concurrent requests to an origin are bounded by the probes sharing it.
      keepAliveTimeout: 4_000,
      connect: inspectingConnector(undici.buildConnector, ca, {
        verify,
        onCertificate: (facts, verdict, origin) => {
          certificates.set(origin, { facts, verification: verdict === undefined ? 'ok' : describeTlsCode(verdict) });
        },
      }),
    });
    shared = { agent, users: 0, certificates };
    agents.set(key, shared);
  }
  const entry = shared;
  entry.users += 1;
  let released = false;
  const release = (): boolean => {
    if (released) return false;
    released = true;
    entry.users -= 1;
    if (entry.users > 0) return false;
    if (agents.get(key) === entry) agents.delete(key);
    return true;
  };
  let closing: Promise<void> | undefined;
  return {
    agent: entry.agent,
    certificate: (origin) => entry.certificates.get(origin),
    close() {
      if (release()) closing = entry.agent.close();
      return closing ?? Promise.resolve();
    },
    destroy() {
      // Only the lease that closed the agent may destroy it: others may still be using it.
      const last = release() || closing !== undefined;
      if (last && entry.users === 0) void entry.agent.destroy().catch(() => undefined);
    },
  };
}

/** How many agents are open: for tests. */
export function openAgents(): number {
  return agents.size;
}
