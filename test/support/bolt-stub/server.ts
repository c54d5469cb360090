import net from 'node:net';
import { chunk, Dechunker } from './chunking.js';
import { ServerHandshake, versionText, type BoltVersion } from './handshake.js';
import { pack, Struct, unpack, type PackValue } from './packstream.js';

/**
 * A scripted Bolt server for tests: enough of Neo4j's wire protocol for the
 * real neo4j-driver to connect, authenticate, run `RETURN 1` and fail the
 * ways a real server fails. No Neo4j server can be installed on these
 * machines; the driver teams test their drivers against stub servers the same
 * way (neo4j-drivers/testkit "stub" tests).
 *
 * Not a database: `RETURN <integer>` answers that integer, anything else is a
 * syntax error.
 */

/** Client → server message signatures. */
export const REQUEST = {
  HELLO: 0x01,
  GOODBYE: 0x02,
  RESET: 0x0f,
  RUN: 0x10,
  BEGIN: 0x11,
  COMMIT: 0x12,
  ROLLBACK: 0x13,
  DISCARD: 0x2f,
  PULL: 0x3f,
  TELEMETRY: 0x54,
  ROUTE: 0x66,
  LOGON: 0x6a,
  LOGOFF: 0x6b,
} as const;

/** Server → client message signatures. */
export const RESPONSE = { SUCCESS: 0x70, RECORD: 0x71, IGNORED: 0x7e, FAILURE: 0x7f } as const;

const REQUEST_NAMES = new Map<number, string>(Object.entries(REQUEST).map(([name, sig]) => [sig, name]));

/**
 * - normal: answers like a healthy server.
 * - silent: accepts TCP and answers nothing (a hung process, a half-dead
 *   proxy). Bytes received meanwhile are processed when the mode changes
 *   back, as a SIGSTOPped server would after SIGCONT.
 * - unavailable: authenticates, then fails every query with
 *   Neo.TransientError.General.DatabaseUnavailable (database stopped or still
 *   starting).
 */
export type BoltStubMode = 'normal' | 'silent' | 'unavailable';

export interface BoltStubOptions {
  user?: string;
  password?: string;
  /** Versions offered, newest first. Default 5.8 … 5.0 and 4.4 (as Neo4j 5.26). */
  versions?: BoltVersion[];
  /** Answer driver 6's manifest proposal (default true); false = plain 5.x/4.4 choice. */
  manifest?: boolean;
  /** HELLO's `server` field. */
  agent?: string;
  /** Databases that exist; RUN on another is DatabaseNotFound. */
  databases?: string[];
  /** Delay before answering RUN, to push latency past a threshold. */
  queryDelayMs?: number;
  mode?: BoltStubMode;
}

export interface ReceivedMessage {
  connection: number;
  name: string;
  fields: PackValue[];
}

export interface BoltStub {
  readonly port: number;
  /** bolt://127.0.0.1:port */
  readonly url: string;
  mode: BoltStubMode;
  queryDelayMs: number;
  /** Every request the stub decoded, oldest first (credentials included: never print it). */
  readonly received: ReceivedMessage[];
  /** Protocol versions agreed, one per handshake, in order. */
  readonly negotiated: string[];
  /** TCP connections accepted so far. */
  readonly connectionsAccepted: () => number;
  close(): Promise<void>;
}

const DEFAULT_VERSIONS: BoltVersion[] = [
  ...[8, 7, 6, 5, 4, 3, 2, 1, 0].map((minor) => ({ major: 5, minor })),
  { major: 4, minor: 4 },
];

type Meta = { [key: string]: PackValue };

const isMap = (v: PackValue | undefined): v is Meta =>
  v !== null && typeof v === 'object' && Object.getPrototypeOf(v) === Object.prototype;

/** A FAILURE's metadata as the negotiated version expects it: Bolt 5.7 moved `code` to `neo4j_code` and added GQL fields. */
function failureMeta(version: BoltVersion, code: string, message: string, gqlStatus: string): Meta {
  const gql = version.major > 5 || (version.major === 5 && version.minor >= 7);
  if (!gql) return { code, message };
  return {
    neo4j_code: code,
    message,
    gql_status: gqlStatus,
    description: `error: ${message}`,
    diagnostic_record: { OPERATION: '', OPERATION_CODE: '0', CURRENT_SCHEMA: '/' },
  };
}

/** Bolt 5.1+ authenticates with LOGON after HELLO; before that the credentials ride on HELLO. */
const usesLogon = (v: BoltVersion): boolean => v.major > 5 || (v.major === 5 && v.minor >= 1);

export async function startBoltStub(options: BoltStubOptions = {}): Promise<BoltStub> {
  const versions = options.versions ?? DEFAULT_VERSIONS;
  const agent = options.agent ?? 'Neo4j/5.26.0';
  const databases = options.databases ?? ['neo4j', 'system'];
  const sockets = new Set<net.Socket>();
  const received: ReceivedMessage[] = [];
  const negotiated: string[] = [];
  let accepted = 0;
  /** Sessions waiting for the mode to leave `silent`. */
  const parked = new Set<() => void>();

  const state = {
    mode: options.mode ?? 'normal',
    queryDelayMs: options.queryDelayMs ?? 0,
  };

  const server = net.createServer((socket) => {
    accepted += 1;
    const id = accepted;
    sockets.add(socket);
    // As Neo4j does: RECORD and SUCCESS go out as separate writes, and Nagle would hold the second for an ACK.
    socket.setNoDelay(true);
    socket.on('close', () => sockets.delete(socket));
    socket.on('error', () => undefined); // a driver that hangs up mid-message is normal here

    const handshake = new ServerHandshake(versions, options.manifest ?? true);
    const dechunker = new Dechunker();
    let version: BoltVersion | undefined;
    let failed = false; // after a FAILURE only RESET is served (Bolt's FAILED state)
    let authenticated = false;
    let backlog: Buffer[] = [];
    let queue: Promise<void> = Promise.resolve();
    /** RUN's result, served by the PULL that follows. */
    let result: { fields: string[]; records: PackValue[][]; db: string } | undefined;

    const send = (signature: number, ...fields: PackValue[]): void => {
      if (!socket.destroyed) socket.write(chunk(pack(new Struct(signature, fields))));
    };
    const fail = (code: string, message: string, gqlStatus: string): void => {
      failed = true;
      send(RESPONSE.FAILURE, failureMeta(version as BoltVersion, code, message, gqlStatus));
    };

    const checkCredentials = (auth: Meta): boolean => {
      if (options.user === undefined) return true;
      return auth.scheme === 'basic' && auth.principal === options.user && auth.credentials === options.password;
    };
    const unauthorized = (): void => {
      fail('Neo.ClientError.Security.Unauthorized', 'The client is unauthorized due to authentication failure.', '42NFF');
      // Neo4j hangs up after an authentication failure.
      socket.end();
    };

    async function handle(message: Struct): Promise<void> {
      const name = REQUEST_NAMES.get(message.signature) ?? `0x${message.signature.toString(16)}`;
      received.push({ connection: id, name, fields: message.fields });
      const v = version as BoltVersion;
      if (message.signature === REQUEST.GOODBYE) {
        socket.end();
        return;
      }
      if (message.signature === REQUEST.RESET) {
        failed = false;
        result = undefined;
        send(RESPONSE.SUCCESS, {});
        return;
      }
      if (failed) {
        send(RESPONSE.IGNORED);
        return;
      }
      const extra = (index: number): Meta => {
        const field = message.fields[index];
        return isMap(field) ? field : {};
      };
      switch (message.signature) {
        case REQUEST.HELLO: {
          if (!usesLogon(v)) {
            if (!checkCredentials(extra(0))) return unauthorized();
            authenticated = true;
          }
          send(RESPONSE.SUCCESS, { server: agent, connection_id: `bolt-${id}`, hints: {} });
          return;
        }
        case REQUEST.LOGON: {
          if (!checkCredentials(extra(0))) return unauthorized();
          authenticated = true;
          send(RESPONSE.SUCCESS, {});
          return;
        }
        case REQUEST.LOGOFF: {
          authenticated = false;
          send(RESPONSE.SUCCESS, {});
          return;
        }
        case REQUEST.ROUTE: {
          const address = `127.0.0.1:${port}`;
          const servers = ['WRITE', 'READ', 'ROUTE'].map((role) => ({ addresses: [address], role }));
          send(RESPONSE.SUCCESS, { rt: { ttl: 300, db: 'neo4j', servers } });
          return;
        }
        case REQUEST.BEGIN:
        case REQUEST.ROLLBACK:
        case REQUEST.TELEMETRY:
          send(RESPONSE.SUCCESS, {});
          return;
        case REQUEST.COMMIT:
          send(RESPONSE.SUCCESS, { bookmark: `stub:${id}` });
          return;
        case REQUEST.RUN: {
          if (!authenticated) return fail('Neo.ClientError.Security.Unauthorized', 'Not authenticated.', '42NFF');
          if (state.queryDelayMs > 0) await new Promise((r) => setTimeout(r, state.queryDelayMs));
          const db = typeof extra(2).db === 'string' ? (extra(2).db as string) : 'neo4j';
          if (!databases.includes(db)) {
            return fail('Neo.ClientError.Database.DatabaseNotFound', `Database does not exist. Database name: '${db}'.`, '22N51');
          }
          if (state.mode === 'unavailable') {
            return fail('Neo.TransientError.General.DatabaseUnavailable', `Database '${db}' is unavailable.`, '08N08');
          }
          const query = message.fields[0];
          const literal = typeof query === 'string' ? /^\s*RETURN\s+(-?\d+)\s*(?:AS\s+(\w+))?\s*;?\s*$/i.exec(query) : null;
          if (literal === null) {
            return fail('Neo.ClientError.Statement.SyntaxError', 'The stub server only answers RETURN <integer>.', '42001');
          }
          const column = literal[2] ?? literal[1] ?? '1';
          result = { fields: [column], records: [[Number(literal[1])]], db };
          send(RESPONSE.SUCCESS, { fields: [column], t_first: 0 });
          return;
        }
        case REQUEST.PULL:
        case REQUEST.DISCARD: {
          const served = result;
          result = undefined;
          if (message.signature === REQUEST.PULL) for (const record of served?.records ?? []) send(RESPONSE.RECORD, record);
          send(RESPONSE.SUCCESS, { type: 'r', t_last: 0, db: served?.db ?? 'neo4j' });
          return;
        }
        default:
          fail('Neo.ClientError.Request.Invalid', `The stub server does not handle ${name}.`, '50N42');
      }
    }

    function consume(data: Buffer): void {
      if (version === undefined) {
        const step = handshake.push(data);
        if (step.kind === 'need-more') return;
        if (step.reply !== undefined) socket.write(step.reply); // one write: driver 6 reads the manifest from one packet
        if (step.kind === 'failed') {
          socket.end();
          return;
        }
        if (step.kind === 'manifest-sent') return;
        version = step.version;
        negotiated.push(versionText(step.version));
        if (step.rest.length === 0) return;
        data = step.rest;
      }
      for (const raw of dechunker.push(data)) {
        const message = unpack(raw);
        if (!(message instanceof Struct)) {
          socket.destroy();
          return;
        }
        // Strictly one message after another, even when one waits (queryDelayMs).
        queue = queue
          .then(() => handle(message))
          .catch(() => {
            socket.destroy();
          });
      }
    }

    const drain = (): void => {
      const waiting = backlog;
      backlog = [];
      for (const data of waiting) consume(data);
    };
    socket.on('data', (data: Buffer) => {
      if (state.mode === 'silent') {
        backlog.push(data);
        parked.add(drain);
        return;
      }
      consume(data);
    });
  });

  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => resolve());
  });
  const address = server.address();
  if (address === null || typeof address === 'string') throw new Error('bolt stub has no port');
  const port = address.port;

  return {
    port,
    url: `bolt://127.0.0.1:${port}`,
    get mode() {
      return state.mode;
    },
    set mode(next: BoltStubMode) {
      state.mode = next;
      if (next !== 'silent') {
        const waiting = [...parked];
        parked.clear();
        for (const wake of waiting) wake();
      }
    },
    get queryDelayMs() {
      return state.queryDelayMs;
    },
    set queryDelayMs(ms: number) {
      state.queryDelayMs = ms;
    },
    received,
    negotiated,
    connectionsAccepted: () => accepted,
    async close() {
      for (const socket of sockets) socket.destroy();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}
