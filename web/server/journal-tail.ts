/**
 * Follows a journal directory's segment files as they grow, yielding each complete record line once,
 * with its bytes and where it lies. A final line without its newline is a write in progress: it is
 * left for the next read. Reads go through the one segment reader (recorder/segment-reader.ts),
 * asynchronous and chunked, so that following a large journal in the proxy's own process (the viewer
 * of `pgtrail start`) never blocks forwarding for long.
 */
import { readdir } from 'node:fs/promises';
import { join } from 'node:path';
import { parseSegmentName } from '../../recorder/format/segment-name.js';
import { readSegmentLines } from '../../recorder/segment-reader.js';

// Smaller than the reader's default: the proxy's own process follows the journal between sessions' work.
const chunkBytes = 1024 * 1024;

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
    const from = { offset: this.#offset, line: this.#line };
    for await (const lines of readSegmentLines(join(this.dir, name), { from, chunkBytes })) {
      for (const l of lines) {
        const line: TailLine = {
          bytes: Buffer.from(l.chunk.subarray(l.start, l.end)),
          segment: name,
          line: l.line,
          offset: l.offset,
          length: l.end + 1 - l.start,
        };
        this.#line = line.line;
        this.#offset = line.offset + line.length;
        yield line;
      }
    }
  }
}
