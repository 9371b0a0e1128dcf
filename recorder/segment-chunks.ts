/**
 * Reads a segment file in large chunks that end at line ends, through one reused buffer. Reading a
 * 64 MB segment into a fresh buffer (readFile) costs more CPU than verifying its records: the new
 * pages fault in and the first pass over them is slow; a reused buffer stays mapped and cached.
 */
import { open } from 'node:fs/promises';

// Large enough that per-read overhead is negligible, small enough to stay in cache-friendly reuse.
const defaultChunkBytes = 4 << 20;

/**
 * Yields the file's bytes as consecutive chunks, each ending with a newline except possibly the last
 * (an unfinished line at the end of the file). A yielded chunk is overwritten once the next is asked
 * for. A line longer than the buffer grows it.
 */
export async function* readSegmentChunks(
  path: string,
  chunkBytes = defaultChunkBytes,
): AsyncGenerator<Buffer, void, undefined> {
  const handle = await open(path, 'r');
  try {
    let buffer = Buffer.allocUnsafe(chunkBytes);
    // Bytes at the buffer's start: the unfinished line left over from the previous read.
    let kept = 0;
    for (;;) {
      if (kept === buffer.length) {
        const bigger = Buffer.allocUnsafe(buffer.length * 2);
        buffer.copy(bigger, 0, 0, kept);
        buffer = bigger;
      }
      const { bytesRead } = await handle.read(buffer, kept, buffer.length - kept, null);
      if (bytesRead === 0) {
        if (kept > 0) yield buffer.subarray(0, kept);
        return;
      }
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
