/**
 * Follows a journal directory's segment files as they grow, yielding each complete record line once,
 * with its bytes and where it lies. A final line without its newline is a write in progress: it is
 * left for the next read. Reads are asynchronous and chunked, so that following a large journal in
 * the proxy's own process (the viewer of `pgtrail start`) never blocks forwarding for long.
 */
import { readdir } from 'node:fs/promises';
import { open } from 'node:fs/promises';
import { join } from 'node:path';
import { parseSegmentName } from '../../recorder/format/segment-name.js';

const chunkBytes = 1024 * 1024;
const newline = 0x0a;

/** One complete record line: its bytes without the newline, and its segment, 1-based line, offset and length (with the newline). */
export interface TailLine {
  readonly bytes: Buffer;
  readonly segment: string;
  readonly line: number;
  readonly offset: number;
  readonly length: number;
}

/** Reads segment lines from where the last read stopped. */
export class JournalTail {
  #segment: string | null = null;
  #offset = 0;
  #line = 0;

  constructor(private readonly dir: string) {}

  /** Every complete line appended since the last call (from the first segment on the first call). */
  async *read(): AsyncGenerator<TailLine> {
    const names = (await readdir(this.dir)).filter((n) => parseSegmentName(n) !== null).sort();
    for (const name of names) {
      if (this.#segment !== null && name < this.#segment) continue;
      if (name !== this.#segment) {
        // A later segment exists, so the current one is complete: move on to the next.
        this.#segment = name;
        this.#offset = 0;
        this.#line = 0;
      }
      yield* this.readSegment(name);
    }
  }

  private async *readSegment(name: string): AsyncGenerator<TailLine> {
    const file = await open(join(this.dir, name), 'r');
    try {
      const chunk = Buffer.allocUnsafe(chunkBytes);
      let carry: Buffer | null = null;
      let position = this.#offset;
      for (;;) {
        const { bytesRead } = await file.read(chunk, 0, chunkBytes, position);
        if (bytesRead === 0) break;
        position += bytesRead;
        const data: Buffer =
          carry === null ? chunk.subarray(0, bytesRead) : Buffer.concat([carry, chunk.subarray(0, bytesRead)]);
        let start = 0;
        for (let end = data.indexOf(newline, start); end >= 0; end = data.indexOf(newline, start)) {
          this.#line++;
          const line: TailLine = {
            bytes: Buffer.from(data.subarray(start, end)),
            segment: name,
            line: this.#line,
            offset: this.#offset,
            length: end + 1 - start,
          };
          this.#offset += line.length;
          start = end + 1;
          yield line;
        }
        carry = start < data.length ? Buffer.from(data.subarray(start)) : null;
      }
    } finally {
      await file.close();
    }
  }
}
