import { HEADER_BYTES } from './message-codes.js';

/**
 * The 5-byte header of a protocol message (type byte, then an Int32 length that counts itself), read
 * from a stream in which it may be split across chunks. Both frame readers use it; each validates
 * the header against its own direction's rules.
 */
export class FrameHeader {
  /** Header bytes gathered so far when it is split across chunks. */
  readonly bytes = Buffer.alloc(HEADER_BYTES);
  /** How many header bytes have been read: HEADER_BYTES once it is whole, 0 between messages. */
  have = 0;
  /** Type byte and length word of the header, valid once `have` is HEADER_BYTES. */
  code = 0;
  length = 0;

  /** Reads (the rest of) a header at `pos` and returns the position after the bytes consumed. */
  read(chunk: Buffer, pos: number): number {
    if (this.have === 0 && chunk.length - pos >= HEADER_BYTES) {
      this.code = chunk[pos] as number;
      this.length = chunk.readInt32BE(pos + 1);
      this.have = HEADER_BYTES;
      return pos + HEADER_BYTES;
    }
    const take = Math.min(HEADER_BYTES - this.have, chunk.length - pos);
    chunk.copy(this.bytes, this.have, pos, pos + take);
    this.have += take;
    if (this.have === HEADER_BYTES) {
      this.code = this.bytes[0] as number;
      this.length = this.bytes.readInt32BE(1);
    }
    return pos + take;
  }
}
