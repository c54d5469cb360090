/**
 * Bolt handshake, server side. The client sends the magic 0x6060B017 and four
 * 4-byte proposals, each [0, range, minor, major] (version major.minor and the
 * `range` minors below it). Two ways to answer:
 *
 * - plain: the server writes the one version it picked ([0, 0, minor, major]),
 *   or 0 for "none". Neo4j up to 5.x.
 * - manifest v1: when the client proposes 255.1, the server may answer
 *   0x000001FF followed by a varint count, that many versions it supports and a
 *   varint capability mask; the client then writes the version it picked and
 *   its capability mask. neo4j-driver 6 parses the whole manifest from the
 *   first packet it receives, so the reply must go out in ONE write.
 *
 * Varints are LEB128 (7 bits a byte, high bit = more follows).
 */

export const BOLT_MAGIC = 0x6060b017;
export const MANIFEST_V1 = { major: 255, minor: 1 } as const;

export interface BoltVersion {
  major: number;
  minor: number;
}

export const versionText = (v: BoltVersion): string => `${v.major}.${v.minor}`;

export function encodeVarint(value: number): Buffer {
  const bytes: number[] = [];
  let rest = value;
  do {
    let byte = rest & 0x7f;
    rest = Math.floor(rest / 128);
    if (rest > 0) byte |= 0x80;
    bytes.push(byte);
  } while (rest > 0);
  return Buffer.from(bytes);
}

/** The value and its length in bytes, or undefined when the buffer ends mid-varint. */
export function decodeVarint(buffer: Buffer, offset = 0): { value: number; length: number } | undefined {
  let value = 0;
  for (let i = 0; offset + i < buffer.length && i < 5; i += 1) {
    const byte = buffer[offset + i] as number;
    value += (byte & 0x7f) * 2 ** (7 * i);
    if ((byte & 0x80) === 0) return { value, length: i + 1 };
  }
  return undefined;
}

function versionBytes(v: BoltVersion, range = 0): Buffer {
  return Buffer.from([0, range, v.minor, v.major]);
}

/** The versions a 4-byte proposal covers, newest first. */
export function proposalVersions(word: Buffer): BoltVersion[] {
  const range = word[1] as number;
  const minor = word[2] as number;
  const major = word[3] as number;
  const out: BoltVersion[] = [];
  for (let m = minor; m >= minor - range && m >= 0; m -= 1) out.push({ major, minor: m });
  return out;
}

/** What the client sends: magic + up to four proposals (zeros pad). For the stub's own tests. */
export function clientHandshake(proposals: { version: BoltVersion; range?: number }[]): Buffer {
  const out = Buffer.alloc(20);
  out.writeUInt32BE(BOLT_MAGIC, 0);
  proposals.slice(0, 4).forEach((p, i) => versionBytes(p.version, p.range ?? 0).copy(out, 4 + i * 4));
  return out;
}

export type HandshakeStep =
  | { kind: 'need-more' }
  /** Write `reply`; the session runs `version` from here on, on the bytes in `rest`. */
  | { kind: 'agreed'; reply?: Buffer; version: BoltVersion; rest: Buffer }
  /** Write `reply` (one write) and wait for the client's choice. */
  | { kind: 'manifest-sent'; reply: Buffer }
  | { kind: 'failed'; reply?: Buffer; error: string };

/**
 * Server side of the handshake as a small state machine: feed it bytes until
 * it says `agreed` or `failed`.
 */
export class ServerHandshake {
  private pending: Buffer = Buffer.alloc(0);
  private stage: 'proposals' | 'selection' = 'proposals';

  /**
   * @param supported versions the server speaks, newest first
   * @param useManifest answer a 255.1 proposal with a manifest (else ignore it and pick plainly)
   */
  constructor(
    private readonly supported: BoltVersion[],
    private readonly useManifest: boolean,
  ) {}

  private speaks(v: BoltVersion): boolean {
    return this.supported.some((s) => s.major === v.major && s.minor === v.minor);
  }

  push(data: Buffer): HandshakeStep {
    this.pending = Buffer.concat([this.pending, data]);
    if (this.stage === 'proposals') {
      if (this.pending.length < 20) return { kind: 'need-more' };
      if (this.pending.readUInt32BE(0) !== BOLT_MAGIC) return { kind: 'failed', error: 'not a Bolt client (bad magic)' };
      const words = [0, 1, 2, 3].map((i) => this.pending.subarray(4 + i * 4, 8 + i * 4));
      this.pending = this.pending.subarray(20);
      const proposed = words.flatMap(proposalVersions).filter((v) => v.major !== 0);
      if (this.useManifest && proposed.some((v) => v.major === MANIFEST_V1.major && v.minor === MANIFEST_V1.minor)) {
        this.stage = 'selection';
        const reply = Buffer.concat([
          versionBytes(MANIFEST_V1),
          encodeVarint(this.supported.length),
          ...this.supported.map((v) => versionBytes(v)),
          encodeVarint(0), // capabilities: none
        ]);
        return { kind: 'manifest-sent', reply };
      }
      // Plain negotiation: the first proposal (client preference order) the server speaks.
      const choice = proposed.find((v) => this.speaks(v));
      if (choice === undefined) {
        return { kind: 'failed', reply: Buffer.alloc(4), error: 'no proposed version is supported' };
      }
      return { kind: 'agreed', reply: versionBytes(choice), version: choice, rest: this.pending };
    }
    // The client's choice from the manifest: 4 bytes + its capability varint.
    if (this.pending.length < 5) return { kind: 'need-more' };
    const capabilities = decodeVarint(this.pending, 4);
    if (capabilities === undefined) return { kind: 'need-more' };
    const version = { major: this.pending[3] as number, minor: this.pending[2] as number };
    const rest = this.pending.subarray(4 + capabilities.length);
    if (!this.speaks(version)) return { kind: 'failed', error: `client chose ${versionText(version)}, not offered` };
    return { kind: 'agreed', version, rest };
  }
}
