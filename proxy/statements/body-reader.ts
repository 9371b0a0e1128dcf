/**
 * A bounded reader over one protocol message body. It never throws: reading past the end sets
 * `ok` to false and returns zeros, so a decoder reads every field and checks `ok` once at the end
 * (all-or-nothing: a malformed body decodes to null, never to a partial message).
 */
export class BodyReader {
  private offset = 0;
  /** False once any read went past the end of the body or a string had no terminator. */
  ok = true;

  constructor(private readonly body: Buffer) {}

  /** True when every byte of the body has been read. */
  get atEnd(): boolean {
    return this.offset === this.body.length;
  }

  byte(): number {
    if (this.offset + 1 > this.body.length) return this.fail();
    return this.body[this.offset++] as number;
  }

  int16(): number {
    if (this.offset + 2 > this.body.length) return this.fail();
    const v = this.body.readInt16BE(this.offset);
    this.offset += 2;
    return v;
  }

  /** An unsigned 16-bit value (counts: PostgreSQL reads them as 0..65535). */
  uint16(): number {
    if (this.offset + 2 > this.body.length) return this.fail();
    const v = this.body.readUInt16BE(this.offset);
    this.offset += 2;
    return v;
  }

  int32(): number {
    if (this.offset + 4 > this.body.length) return this.fail();
    const v = this.body.readInt32BE(this.offset);
    this.offset += 4;
    return v;
  }

  /** An unsigned 32-bit value (type OIDs). */
  uint32(): number {
    if (this.offset + 4 > this.body.length) return this.fail();
    const v = this.body.readUInt32BE(this.offset);
    this.offset += 4;
    return v;
  }

  /** The bytes of a NUL-terminated string, without the NUL (a view into the body). */
  cstringBytes(): Buffer {
    const nul = this.body.indexOf(0, this.offset);
    if (nul < 0) {
      this.fail();
      return Buffer.alloc(0);
    }
    const bytes = this.body.subarray(this.offset, nul);
    this.offset = nul + 1;
    return bytes;
  }

  /** A NUL-terminated string decoded as UTF-8 (names, tags, error fields). */
  cstring(): string {
    // Decoded in place, without a view: most names are '' (the unnamed statement and portal).
    const { body, offset } = this;
    if (body[offset] === 0) {
      this.offset = offset + 1;
      return '';
    }
    const nul = body.indexOf(0, offset);
    if (nul < 0) {
      this.fail();
      return '';
    }
    this.offset = nul + 1;
    return body.toString('utf8', offset, nul);
  }

  /** The next `length` bytes (a view into the body). */
  bytes(length: number): Buffer {
    if (length < 0 || this.offset + length > this.body.length) {
      this.fail();
      return Buffer.alloc(0);
    }
    const bytes = this.body.subarray(this.offset, this.offset + length);
    this.offset += length;
    return bytes;
  }

  private fail(): number {
    this.ok = false;
    this.offset = this.body.length;
    return 0;
  }
}
