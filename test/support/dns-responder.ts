import dgram from 'node:dgram';
import type { AddressInfo } from 'node:net';
import dnsPacket, { type Answer, type Packet } from 'dns-packet';

/** RCODEs as they go on the wire (RFC 1035 §4.1.1). */
const RCODE = { NOERROR: 0, SERVFAIL: 2, NXDOMAIN: 3, REFUSED: 5 } as const;

/** The zone every responder serves. Answers use documentation addresses: nothing connects to them. */
export const TEST_ZONE = {
  /** A 192.0.2.10, 192.0.2.11; AAAA 2001:db8::10. */
  known: 'svc.vitals.test',
  /** CNAME → svc.vitals.test. */
  alias: 'alias.vitals.test',
  /** SRV → svc.vitals.test:8080. */
  srv: '_http._tcp.vitals.test',
  /** NXDOMAIN. */
  missing: 'missing.vitals.test',
  /** SERVFAIL. */
  broken: 'broken.vitals.test',
  /** REFUSED. */
  refused: 'refused.vitals.test',
  addresses: ['192.0.2.10', '192.0.2.11'],
  ipv6: ['2001:db8::10'],
  srvPort: 8080,
} as const;

export interface DnsResponder {
  /** "127.0.0.1:PORT", ready for the dns probe's `servers`. */
  server: string;
  port: number;
  /** Queries received, in order ("A svc.vitals.test"). */
  queries: string[];
  /** Silent: read queries, answer nothing (a dead or firewalled resolver). */
  setSilent(silent: boolean): void;
  /** Delay every answer by this many ms (a slow resolver). */
  setDelay(ms: number): void;
  close(): Promise<void>;
}

function answersFor(name: string, type: string): { rcode: number; answers: Answer[] } {
  const lower = name.toLowerCase();
  const base = { class: 'IN' as const, ttl: 60 };
  if (lower === TEST_ZONE.missing) return { rcode: RCODE.NXDOMAIN, answers: [] };
  if (lower === TEST_ZONE.broken) return { rcode: RCODE.SERVFAIL, answers: [] };
  if (lower === TEST_ZONE.refused) return { rcode: RCODE.REFUSED, answers: [] };
  if (lower === TEST_ZONE.known) {
    if (type === 'A') return { rcode: RCODE.NOERROR, answers: TEST_ZONE.addresses.map((data) => ({ ...base, name, type: 'A', data })) };
    if (type === 'AAAA') return { rcode: RCODE.NOERROR, answers: TEST_ZONE.ipv6.map((data) => ({ ...base, name, type: 'AAAA', data })) };
    return { rcode: RCODE.NOERROR, answers: [] }; // NODATA
  }
  if (lower === TEST_ZONE.alias) {
    const cname: Answer = { ...base, name, type: 'CNAME', data: TEST_ZONE.known };
    if (type === 'CNAME') return { rcode: RCODE.NOERROR, answers: [cname] };
    if (type === 'A') {
      return {
        rcode: RCODE.NOERROR,
        answers: [cname, ...TEST_ZONE.addresses.map((data) => ({ ...base, name: TEST_ZONE.known, type: 'A' as const, data }))],
      };
    }
    return { rcode: RCODE.NOERROR, answers: [cname] };
  }
  if (lower === TEST_ZONE.srv && type === 'SRV') {
    return {
      rcode: RCODE.NOERROR,
      answers: [{ ...base, name, type: 'SRV', data: { priority: 10, weight: 5, port: TEST_ZONE.srvPort, target: TEST_ZONE.known } }],
    };
  }
  return { rcode: RCODE.NXDOMAIN, answers: [] };
}

/**
 * A tiny authoritative UDP DNS server on 127.0.0.1 for TEST_ZONE, so dns
 * probe tests never touch the machine's resolver.
 */
export async function startDnsResponder(): Promise<DnsResponder> {
  const socket = dgram.createSocket('udp4');
  const queries: string[] = [];
  const timers = new Set<NodeJS.Timeout>();
  let silent = false;
  let delayMs = 0;

  socket.on('message', (message, remote) => {
    let query: Packet;
    try {
      query = dnsPacket.decode(message);
    } catch {
      return; // not DNS; a real server would drop it too
    }
    const question = query.questions?.[0];
    if (question === undefined) return;
    queries.push(`${question.type} ${question.name}`);
    if (silent) return;
    const { rcode, answers } = answersFor(question.name, question.type);
    const response = dnsPacket.encode({
      type: 'response',
      id: query.id ?? 0,
      // Authoritative answer + recursion desired echoed + the rcode in the low bits.
      flags: dnsPacket.AUTHORITATIVE_ANSWER | dnsPacket.RECURSION_DESIRED | rcode,
      questions: [question],
      answers,
    });
    const reply = (): void => socket.send(response, remote.port, remote.address);
    if (delayMs <= 0) return reply();
    const timer = setTimeout(() => {
      timers.delete(timer);
      reply();
    }, delayMs);
    timers.add(timer);
  });

  await new Promise<void>((resolve, reject) => {
    socket.once('error', reject);
    socket.bind(0, '127.0.0.1', () => resolve());
  });
  const { port } = socket.address() as AddressInfo;
  return {
    server: `127.0.0.1:${port}`,
    port,
    queries,
    setSilent: (value) => (silent = value),
    setDelay: (ms) => (delayMs = ms),
    async close() {
      for (const timer of timers) clearTimeout(timer);
      await new Promise<void>((resolve) => socket.close(() => resolve()));
    },
  };
}
