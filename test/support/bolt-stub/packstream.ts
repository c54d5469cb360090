/**
 * PackStream v1, the value encoding inside Bolt messages: just the types a
 * health check's conversation needs (null, booleans, integers, floats,
 * strings, bytes, lists, maps, structures). Spec:
 * https://neo4j.com/docs/bolt/current/packstream/
 *
 * Integers decode to number when safe, else bigint; numbers encode as
 * integers when they are whole, else as 64-bit floats (wrap a whole number in
 * `Float` to force a float).
 */

/** A tagged structure: Bolt messages (HELLO, RUN, SUCCESS…) and graph types are structures. */
export class Struct {
  constructor(
    readonly signature: number,
    readonly fields: PackValue[],
  ) {}
}

/** Forces float encoding of a whole number (1 → 1.0). */
export class Float {
  constructor(readonly value: number) {}
}

export type PackValue =
  | null
  | boolean
  | number
  | bigint
  | string
  | Uint8Array
  | Float
  | Struct
  | PackValue[]
  | { [key: string]: PackValue };

const INT8 = 0xc8;
const INT16 = 0xc9;
const INT32 = 0xca;
const INT64 = 0xcb;
const FLOAT64 = 0xc1;

/** Marker byte + size for strings, lists and maps: tiny (size in the marker) or 8/16/32-bit size. */
function sized(tiny: number, base8: number, size: number): Buffer {
  if (size < 16) return Buffer.from([tiny + size]);
  if (size < 0x100) return Buffer.from([base8, size]);
  if (size < 0x10000) {
    const out = Buffer.alloc(3);
    out[0] = base8 + 1;
    out.writeUInt16BE(size, 1);
    return out;
  }
  const out = Buffer.alloc(5);
  out[0] = base8 + 2;
  out.writeUInt32BE(size, 1);
  return out;
}

function packInt(value: bigint): Buffer {
  if (value >= -16n && value <= 127n) return Buffer.from([Number(value) & 0xff]);
  if (value >= -128n && value <= 127n) return Buffer.from([INT8, Number(value) & 0xff]);
  if (value >= -32768n && value <= 32767n) {
    const out = Buffer.alloc(3);
    out[0] = INT16;
    out.writeInt16BE(Number(value), 1);
    return out;
  }
  if (value >= -2147483648n && value <= 2147483647n) {
    const out = Buffer.alloc(5);
    out[0] = INT32;
    out.writeInt32BE(Number(value), 1);
    return out;
  }
  const out = Buffer.alloc(9);
  out[0] = INT64;
  out.writeBigInt64BE(value, 1);
  return out;
}

function packFloat(value: number): Buffer {
  const out = Buffer.alloc(9);
  out[0] = FLOAT64;
  out.writeDoubleBE(value, 1);
  return out;
}

export function pack(value: PackValue): Buffer {
  if (value === null) return Buffer.from([0xc0]);
  if (value === false) return Buffer.from([0xc2]);
  if (value === true) return Buffer.from([0xc3]);
  if (typeof value === 'bigint') return packInt(value);
  if (typeof value === 'number') return Number.isInteger(value) ? packInt(BigInt(value)) : packFloat(value);
  if (value instanceof Float) return packFloat(value.value);
  if (typeof value === 'string') {
    const bytes = Buffer.from(value, 'utf8');
    return Buffer.concat([sized(0x80, 0xd0, bytes.length), bytes]);
  }
  if (value instanceof Uint8Array) {
    // Bytes have no tiny form: 0xCC/0xCD/0xCE + 8/16/32-bit size.
    const head = value.length < 0x100 ? Buffer.from([0xcc, value.length]) : sized(0, 0xcc, value.length);
    return Buffer.concat([head, value]);
  }
  if (value instanceof Struct) {
    if (value.fields.length > 15) throw new Error('a structure holds at most 15 fields');
    return Buffer.concat([Buffer.from([0xb0 + value.fields.length, value.signature]), ...value.fields.map(pack)]);
  }
  if (Array.isArray(value)) return Buffer.concat([sized(0x90, 0xd4, value.length), ...value.map(pack)]);
  const entries = Object.entries(value);
  return Buffer.concat([sized(0xa0, 0xd8, entries.length), ...entries.flatMap(([k, v]) => [pack(k), pack(v)])]);
}

/** Reads one value at a time from a buffer holding a whole message. */
export class Unpacker {
  private offset = 0;

  constructor(private readonly buffer: Buffer) {}

  get remaining(): number {
    return this.buffer.length - this.offset;
  }

  private take(length: number): Buffer {
    if (this.offset + length > this.buffer.length) throw new Error('PackStream value runs past the end of the message');
    const slice = this.buffer.subarray(this.offset, this.offset + length);
    this.offset += length;
    return slice;
  }

  private u8(): number {
    return this.take(1)[0] as number;
  }

  private size(marker: number, base: number): number {
    if (marker === base) return this.u8();
    if (marker === base + 1) return this.take(2).readUInt16BE(0);
    return this.take(4).readUInt32BE(0);
  }

  private int(raw: bigint): number | bigint {
    return raw >= BigInt(Number.MIN_SAFE_INTEGER) && raw <= BigInt(Number.MAX_SAFE_INTEGER) ? Number(raw) : raw;
  }

  unpack(): PackValue {
    const marker = this.u8();
    const high = marker & 0xf0;
    const low = marker & 0x0f;
    if (marker <= 0x7f) return marker; // tiny positive int
    if (marker >= 0xf0) return marker - 0x100; // tiny negative int
    if (high === 0x80) return this.take(low).toString('utf8');
    if (high === 0x90) return this.list(low);
    if (high === 0xa0) return this.map(low);
    if (high === 0xb0) {
      const signature = this.u8();
      const fields: PackValue[] = [];
      for (let i = 0; i < low; i += 1) fields.push(this.unpack());
      return new Struct(signature, fields);
    }
    switch (marker) {
      case 0xc0:
        return null;
      case 0xc1:
        return this.take(8).readDoubleBE(0);
      case 0xc2:
        return false;
      case 0xc3:
        return true;
      case INT8:
        return this.take(1).readInt8(0);
      case INT16:
        return this.take(2).readInt16BE(0);
      case INT32:
        return this.take(4).readInt32BE(0);
      case INT64:
        return this.int(this.take(8).readBigInt64BE(0));
      case 0xcc:
      case 0xcd:
      case 0xce:
        return new Uint8Array(this.take(this.size(marker, 0xcc)));
      case 0xd0:
      case 0xd1:
      case 0xd2:
        return this.take(this.size(marker, 0xd0)).toString('utf8');
      case 0xd4:
      case 0xd5:
      case 0xd6:
        return this.list(this.size(marker, 0xd4));
      case 0xd8:
      case 0xd9:
      case 0xda:
        return this.map(this.size(marker, 0xd8));
      default:
        throw new Error(`unknown PackStream marker 0x${marker.toString(16)}`);
    }
  }

  private list(size: number): PackValue[] {
    const out: PackValue[] = [];
    for (let i = 0; i < size; i += 1) out.push(this.unpack());
    return out;
  }

  private map(size: number): { [key: string]: PackValue } {
    const out: { [key: string]: PackValue } = {};
    for (let i = 0; i < size; i += 1) {
      const key = this.unpack();
      if (typeof key !== 'string') throw new Error('PackStream map key is not a string');
      out[key] = this.unpack();
    }
    return out;
  }
}

export function unpack(buffer: Buffer): PackValue {
  return new Unpacker(buffer).unpack();
}
