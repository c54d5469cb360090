import net from 'node:net';
import neo4j from 'neo4j-driver';
import { afterEach, describe, expect, it } from 'vitest';
import { chunk, Dechunker } from '../support/bolt-stub/chunking.js';
import { clientHandshake, decodeVarint, encodeVarint, MANIFEST_V1, ServerHandshake } from '../support/bolt-stub/handshake.js';
import { Float, pack, Struct, unpack, type PackValue } from '../support/bolt-stub/packstream.js';
import { REQUEST, RESPONSE, startBoltStub, type BoltStub } from '../support/bolt-stub/server.js';

/** The Bolt stub by itself: encoding, framing, handshake bytes, and a conversation over TCP. */

const hex = (b: Buffer): string => b.toString('hex');

describe('PackStream', () => {
  it.each<[string, PackValue, string]>([
    ['null', null, 'c0'],
    ['false', false, 'c2'],
    ['true', true, 'c3'],
    ['tiny int 1', 1, '01'],
    ['tiny int 127', 127, '7f'],
    ['tiny int -16', -16, 'f0'],
    ['int8 -17', -17, 'c8ef'],
    ['int16 128', 128, 'c90080'],
    ['int32 65536', 65_536, 'ca00010000'],
    ['int64 2^31', 2 ** 31, 'cb0000000080000000'],
    ['float 1.5', 1.5, 'c13ff8000000000000'],
    ['forced float 1.0', new Float(1), 'c13ff0000000000000'],
    ['tiny string', 'a', '8161'],
    ['empty map', {}, 'a0'],
    ['tiny list', [1, 2], '920102'],
    ['structure', new Struct(0x70, [{}]), 'b170a0'],
  ])('%s encodes as the spec says', (_name, value, bytes) => {
    expect(hex(pack(value))).toBe(bytes);
  });

  it('round-trips every size class of strings, lists and maps, nested values and large integers', () => {
    const big: { [key: string]: PackValue } = {};
    for (let i = 0; i < 300; i += 1) big[`k${i}`] = i;
    const values: PackValue[] = [
      'x'.repeat(15),
      'x'.repeat(16),
      'é'.repeat(200),
      'y'.repeat(70_000),
      Array.from({ length: 16 }, (_v, i) => i),
      Array.from({ length: 300 }, (_v, i) => -1 - i),
      big,
      { nested: [{ a: null, b: [true, false], c: -1.25 }], s: new Struct(0x10, ['RETURN 1', {}, { db: 'neo4j' }]) },
      2n ** 62n,
      -(2n ** 60n),
      Number.MAX_SAFE_INTEGER,
      new Uint8Array([1, 2, 3]),
    ];
    for (const value of values) expect(unpack(pack(value))).toEqual(value);
  });

  it('rejects a truncated value instead of inventing one', () => {
    expect(() => unpack(Buffer.from([0xd0, 0x05, 0x61]))).toThrow(/past the end/);
  });
});

describe('chunking', () => {
  it('splits a large message into ≤ 65535-byte chunks and ends it with 00 00', () => {
    const message = Buffer.alloc(70_000, 7);
    const framed = chunk(message);
    expect(framed.readUInt16BE(0)).toBe(0xffff);
    expect(framed.readUInt16BE(2 + 0xffff)).toBe(70_000 - 0xffff);
    expect(hex(framed.subarray(-2))).toBe('0000');
    expect(framed.length).toBe(70_000 + 3 * 2);
  });

  it('reassembles messages fed one byte at a time, skipping NOOP chunks', () => {
    const a = pack(new Struct(REQUEST.HELLO, [{ user_agent: 'x' }]));
    const b = pack(new Struct(REQUEST.RESET, []));
    const stream = Buffer.concat([Buffer.from([0, 0]), chunk(a, 3), Buffer.from([0, 0]), chunk(b)]);
    const dechunker = new Dechunker();
    const messages: Buffer[] = [];
    for (const byte of stream) messages.push(...dechunker.push(Buffer.from([byte])));
    expect(messages.map(hex)).toEqual([hex(a), hex(b)]);
  });
});

describe('handshake', () => {
  it.each([
    [0, '00'],
    [127, '7f'],
    [128, '8001'],
    [300, 'ac02'],
  ])('varint %i ↔ %s', (value, bytes) => {
    expect(hex(encodeVarint(value))).toBe(bytes);
    expect(decodeVarint(Buffer.from(bytes, 'hex'))).toEqual({ value, length: bytes.length / 2 });
  });

  const driver6Proposals = clientHandshake([
    { version: MANIFEST_V1 },
    { version: { major: 5, minor: 8 }, range: 8 },
    { version: { major: 4, minor: 4 }, range: 2 },
    { version: { major: 3, minor: 0 } },
  ]);

  it('answers a manifest proposal with the whole manifest in one reply, then takes the client choice', () => {
    const handshake = new ServerHandshake(
      [
        { major: 5, minor: 8 },
        { major: 4, minor: 4 },
      ],
      true,
    );
    expect(handshake.push(driver6Proposals.subarray(0, 10))).toEqual({ kind: 'need-more' });
    const step = handshake.push(driver6Proposals.subarray(10));
    expect(step.kind).toBe('manifest-sent');
    // 0x000001FF, 2 versions, 5.8, 4.4, capabilities 0 — as one buffer, so one write.
    expect(hex((step as { reply: Buffer }).reply)).toBe('000001ff' + '02' + '00000805' + '00000404' + '00');
    const choice = handshake.push(Buffer.from([0, 0, 8, 5, 0, 0xaa]));
    expect(choice).toEqual({ kind: 'agreed', version: { major: 5, minor: 8 }, rest: Buffer.from([0xaa]) });
  });

  it('picks plainly when the manifest is off, and says 0 when nothing fits', () => {
    const plain = new ServerHandshake([{ major: 5, minor: 4 }], false).push(driver6Proposals);
    expect(plain.kind).toBe('agreed');
    expect(hex((plain as { reply: Buffer }).reply)).toBe('00000405');
    const none = new ServerHandshake([{ major: 9, minor: 9 }], false).push(driver6Proposals);
    expect(none.kind).toBe('failed');
    expect(hex((none as { reply: Buffer }).reply)).toBe('00000000');
  });

  it('refuses a peer without the Bolt magic', () => {
    const step = new ServerHandshake([{ major: 5, minor: 8 }], true).push(Buffer.from('GET / HTTP/1.1\r\nHost: x\r\n\r\n'));
    expect(step.kind).toBe('failed');
  });
});

/** A raw Bolt client over TCP for the stub's own tests. */
class RawClient {
  private buffer = Buffer.alloc(0);
  private waiters: (() => void)[] = [];
  private readonly dechunker = new Dechunker();
  readonly socket: net.Socket;
  ended = false;

  /** Bytes received and not yet read. */
  get pending(): number {
    return this.buffer.length;
  }

  constructor(port: number) {
    this.socket = net.connect(port, '127.0.0.1');
    this.socket.on('data', (data: Buffer) => {
      this.buffer = Buffer.concat([this.buffer, data]);
      this.waiters.splice(0).forEach((wake) => wake());
    });
    this.socket.on('end', () => {
      this.ended = true;
      this.waiters.splice(0).forEach((wake) => wake());
    });
  }

  async bytes(n: number): Promise<Buffer> {
    while (this.buffer.length < n) {
      if (this.ended) throw new Error(`connection ended after ${this.buffer.length} of ${n} bytes`);
      await new Promise<void>((resolve) => this.waiters.push(resolve));
    }
    const out = this.buffer.subarray(0, n);
    this.buffer = this.buffer.subarray(n);
    return out;
  }

  send(signature: number, ...fields: PackValue[]): void {
    this.socket.write(chunk(pack(new Struct(signature, fields))));
  }

  async message(): Promise<Struct> {
    for (;;) {
      const size = (await this.bytes(2)).readUInt16BE(0);
      const done = this.dechunker.push(Buffer.concat([Buffer.from([size >> 8, size & 0xff]), await this.bytes(size)]));
      if (done[0] !== undefined) return unpack(done[0]) as Struct;
    }
  }
}

describe('the stub over TCP', () => {
  let stub: BoltStub | undefined;
  const clients: RawClient[] = [];
  afterEach(async () => {
    clients.splice(0).forEach((c) => c.socket.destroy());
    await stub?.close();
    stub = undefined;
  });

  async function client(versions: { major: number; minor: number }[]): Promise<RawClient> {
    stub = await startBoltStub({ user: 'neo4j', password: 'secret-pw', versions, manifest: false });
    const c = new RawClient(stub.port);
    clients.push(c);
    c.socket.write(clientHandshake(versions.map((version) => ({ version }))));
    const agreed = await c.bytes(4);
    expect(agreed[3]).toBe(versions[0]?.major);
    return c;
  }

  it('Bolt 5.8: HELLO then LOGON; a wrong password fails with neo4j_code and GQL fields, then hangs up', async () => {
    const c = await client([{ major: 5, minor: 8 }]);
    c.send(REQUEST.HELLO, { user_agent: 'raw/1', bolt_agent: { product: 'raw/1' } });
    const hello = await c.message();
    expect(hello.signature).toBe(RESPONSE.SUCCESS);
    expect(hello.fields[0]).toMatchObject({ server: 'Neo4j/5.26.0' });
    c.send(REQUEST.LOGON, { scheme: 'basic', principal: 'neo4j', credentials: 'wrong' });
    const failure = await c.message();
    expect(failure.signature).toBe(RESPONSE.FAILURE);
    expect(failure.fields[0]).toMatchObject({
      neo4j_code: 'Neo.ClientError.Security.Unauthorized',
      gql_status: expect.any(String) as unknown,
    });
    expect(failure.fields[0]).not.toHaveProperty('code');
    await c.bytes(1).catch(() => undefined);
    expect(c.ended).toBe(true);
  });

  it('Bolt 4.4: credentials on HELLO; FAILURE uses `code`; after a FAILURE only RESET is served', async () => {
    const c = await client([{ major: 4, minor: 4 }]);
    c.send(REQUEST.HELLO, { user_agent: 'raw/1', scheme: 'basic', principal: 'neo4j', credentials: 'secret-pw' });
    expect((await c.message()).signature).toBe(RESPONSE.SUCCESS);
    c.send(REQUEST.RUN, 'RETURN 1', {}, { db: 'nosuchdb' });
    const failure = await c.message();
    expect(failure.signature).toBe(RESPONSE.FAILURE);
    expect(failure.fields[0]).toMatchObject({ code: 'Neo.ClientError.Database.DatabaseNotFound' });
    c.send(REQUEST.PULL, { n: -1 });
    expect((await c.message()).signature).toBe(RESPONSE.IGNORED);
    c.send(REQUEST.RESET);
    expect((await c.message()).signature).toBe(RESPONSE.SUCCESS);
    c.send(REQUEST.RUN, 'RETURN 7 AS seven', {}, {});
    expect((await c.message()).fields[0]).toMatchObject({ fields: ['seven'] });
    c.send(REQUEST.PULL, { n: -1 });
    const record = await c.message();
    expect(record.signature).toBe(RESPONSE.RECORD);
    expect(record.fields[0]).toEqual([7]);
    expect((await c.message()).signature).toBe(RESPONSE.SUCCESS);
  });

  it('silent mode answers nothing until it is switched back, like SIGSTOP/SIGCONT', async () => {
    stub = await startBoltStub({ mode: 'silent' });
    const c = new RawClient(stub.port);
    clients.push(c);
    c.socket.write(clientHandshake([{ version: { major: 5, minor: 8 } }]));
    await new Promise((r) => setTimeout(r, 300));
    expect(c.pending).toBe(0);
    stub.mode = 'normal';
    expect(hex(await c.bytes(4))).toBe('00000805');
  });
});

describe('the stub through the real neo4j-driver', () => {
  it('negotiates through the manifest, authenticates with LOGON and answers a query', async () => {
    const stub = await startBoltStub({ user: 'neo4j', password: 'secret-pw' });
    const driver = neo4j.driver(stub.url, neo4j.auth.basic('neo4j', 'secret-pw'), { disableLosslessIntegers: true });
    try {
      const { records } = await driver.executeQuery('RETURN 42 AS answer', {}, { routing: neo4j.routing.READ });
      expect(records[0]?.get('answer')).toBe(42);
      expect(stub.negotiated).toEqual(['5.8']);
      // executeQuery runs in an explicit transaction.
      expect(stub.received.map((m) => m.name).slice(0, 5)).toEqual(['HELLO', 'LOGON', 'BEGIN', 'RUN', 'PULL']);
      const hello = stub.received[0]?.fields[0] as { user_agent?: string };
      expect(hello.user_agent).toMatch(/^neo4j-javascript\//);
    } finally {
      await driver.close();
      await stub.close();
    }
  });
});
