/**
 * Bolt message framing: a message is sent as chunks, each a 2-byte big-endian
 * length and that many bytes, and ends with an empty chunk (0x00 0x00). An
 * empty chunk with no message before it is a NOOP (keep-alive) and carries
 * nothing.
 */

const MAX_CHUNK = 0xffff;

/** One message as chunks plus the end marker. `maxChunk` exists so tests can force several chunks. */
export function chunk(message: Buffer, maxChunk = MAX_CHUNK): Buffer {
  const parts: Buffer[] = [];
  for (let offset = 0; offset < message.length; offset += maxChunk) {
    const body = message.subarray(offset, Math.min(offset + maxChunk, message.length));
    const head = Buffer.alloc(2);
    head.writeUInt16BE(body.length, 0);
    parts.push(head, body);
  }
  parts.push(Buffer.from([0, 0]));
  return Buffer.concat(parts);
}

/** Reassembles messages from a byte stream that TCP splits wherever it likes. */
export class Dechunker {
  private pending: Buffer = Buffer.alloc(0);
  private message: Buffer[] = [];

  /** Feeds bytes; returns the messages they completed, in order. */
  push(data: Buffer): Buffer[] {
    this.pending = this.pending.length === 0 ? data : Buffer.concat([this.pending, data]);
    const done: Buffer[] = [];
    for (;;) {
      if (this.pending.length < 2) break;
      const size = this.pending.readUInt16BE(0);
      if (this.pending.length < 2 + size) break;
      const body = this.pending.subarray(2, 2 + size);
      this.pending = this.pending.subarray(2 + size);
      if (size > 0) {
        this.message.push(body);
      } else if (this.message.length > 0) {
        done.push(Buffer.concat(this.message));
        this.message = [];
      }
      // size 0 with nothing before it: a NOOP, skipped.
    }
    return done;
  }
}
