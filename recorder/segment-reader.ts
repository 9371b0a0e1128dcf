/**
 * The one reader of segment files: every command that reads a journal's segments in order reads them
 * here, as line-aligned chunks (the verifier's walk and the writer's reopen scan, segment-walk.ts) or
 * as lines built on those chunks (search, export, proofs, prune). It does not verify (that is
 * segment-walk.ts's job); it is strict about what it can judge without parsing: a line is at most
 * MAX_LINE_BYTES long, and bytes after the last newline are an unfinished record, never a line.
 *
 * Chunks come through one reused buffer: reading a 64 MB segment into a fresh buffer (readFile) costs
 * more CPU than verifying its records, since the new pages fault in and the first pass over them is
 * slow; a reused buffer stays mapped and cached.
 */
import { open } from 'node:fs/promises';
import { basename } from 'node:path';
import { JournalError, JournalErrorCode } from './journal-error.js';

/**
 * The longest line a reader accepts, in bytes: 3 × V8's longest string (2^29 − 24 UTF-16 units, each
 * at most 3 bytes of UTF-8). The writer makes each record with JSON.stringify, so no record it wrote
 * is longer; a longer line is damage, and refusing it bounds a reader's memory.
 */
export const MAX_LINE_BYTES = 3 * (2 ** 29 - 24);

// Large enough that per-read overhead is negligible, small enough to stay in cache-friendly reuse.
const defaultChunkBytes = 4 << 20;

/** Where to start reading a segment: a byte offset at a line start, and the number of lines before it. */
export interface SegmentPosition {
  readonly offset: number;
  readonly line: number;
}

/** How a segment is read (tests make the buffer and the bound small). */
export interface SegmentReadOptions {
  /** Where to start (default: the segment's first byte). */
  readonly from?: SegmentPosition;
  readonly chunkBytes?: number;
  readonly maxLineBytes?: number;
}

/**
 * Yields the file's bytes from `from.offset` as consecutive chunks, each ending with a newline except
 * possibly the last (an unfinished line at the end of the file). A yielded chunk is overwritten once
 * the next is asked for. A line longer than the buffer grows it, up to maxLineBytes; a longer line
 * throws JournalError JOURNAL_RECORD_MALFORMED.
 */
export async function* readSegmentChunks(
  path: string,
  options: SegmentReadOptions = {},
): AsyncGenerator<Buffer, void, undefined> {
  const maxLineBytes = options.maxLineBytes ?? MAX_LINE_BYTES;
  // A line and its newline always fit: the buffer never outgrows maxLineBytes + 1.
  const limit = maxLineBytes + 1;
  const handle = await open(path, 'r');
  try {
    let buffer = Buffer.allocUnsafe(Math.min(options.chunkBytes ?? defaultChunkBytes, limit));
    let position = options.from?.offset ?? 0;
    // Bytes at the buffer's start: the unfinished line left over from the previous read.
    let kept = 0;
    for (;;) {
      if (kept === buffer.length) {
        if (buffer.length >= limit)
          throw new JournalError(JournalErrorCode.recordMalformed, `a line is longer than ${maxLineBytes} bytes`, {
            segment: basename(path),
          });
        const bigger = Buffer.allocUnsafe(Math.min(buffer.length * 2, limit));
        buffer.copy(bigger, 0, 0, kept);
        buffer = bigger;
      }
      const { bytesRead } = await handle.read(buffer, kept, buffer.length - kept, position);
      if (bytesRead === 0) {
        if (kept > 0) yield buffer.subarray(0, kept);
        return;
      }
      position += bytesRead;
      const filled = kept + bytesRead;
      const lastNewline = buffer.lastIndexOf(0x0a, filled - 1);
      if (lastNewline < 0) {
        kept = filled;
        continue;
      }
      yield buffer.subarray(0, lastNewline + 1);
      buffer.copyWithin(0, lastNewline + 1, filled);
      kept = filled - lastNewline - 1;
    }
  } finally {
    await handle.close();
  }
}

/** One complete line of a segment; the object and its chunk are reused for the next line. */
export interface SegmentLine {
  /** The line is chunk[start, end), without its newline. */
  chunk: Buffer;
  start: number;
  end: number;
  /** The line's byte offset in the segment, and its number (1-based). */
  offset: number;
  line: number;
}

/**
 * Yields the complete lines of the segment from `from` (see readSegmentChunks), with their offsets and
 * numbers, a chunk's lines at a time: `for await (const lines of ...) for (const l of lines)`. The
 * inner loop is synchronous, so a line costs no promise. Bytes after the last newline are not a
 * line: a record being written, or a torn write.
 */
export async function* readSegmentLines(
  path: string,
  options: SegmentReadOptions = {},
): AsyncGenerator<Iterable<SegmentLine>, void, undefined> {
  let base = options.from?.offset ?? 0;
  const current: SegmentLine = {
    chunk: Buffer.alloc(0),
    start: 0,
    end: 0,
    offset: base,
    line: options.from?.line ?? 0,
  };
  function* linesIn(chunk: Buffer, chunkOffset: number): Generator<SegmentLine, void, undefined> {
    current.chunk = chunk;
    let start = 0;
    for (let end = chunk.indexOf(0x0a, start); end >= 0; end = chunk.indexOf(0x0a, start)) {
      current.start = start;
      current.end = end;
      current.offset = chunkOffset + start;
      current.line++;
      yield current;
      start = end + 1;
    }
  }
  for await (const chunk of readSegmentChunks(path, options)) {
    yield linesIn(chunk, base);
    base += chunk.length;
  }
}
