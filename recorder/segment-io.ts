/** File operations of the writer that must be exactly right for durability: appends, fsyncs, short writes. */
import { open, type FileHandle } from 'node:fs/promises';

/** Opens a segment for appending ('a') or creates it exclusively for appending ('ax'). */
export function openSegmentFile(path: string, flags: 'a' | 'ax'): Promise<FileHandle> {
  return open(path, flags, 0o644);
}

/** fsync of a directory, so that a file created or renamed in it survives a crash. */
export async function fsyncDir(dir: string): Promise<void> {
  const handle = await open(dir, 'r');
  try {
    await handle.sync();
  } finally {
    await handle.close();
  }
}

/** Writes every buffer in order at the file's end, continuing after short writes. */
export async function writeAll(handle: FileHandle, buffers: Buffer[]): Promise<void> {
  let rest = buffers;
  while (rest.length > 0) {
    const total = rest.reduce((n, b) => n + b.length, 0);
    const { bytesWritten } = await handle.writev(rest);
    if (bytesWritten === total) return;
    // A short write: continue with what was not written.
    let skip = bytesWritten;
    const next: Buffer[] = [];
    for (const b of rest) {
      if (skip >= b.length) skip -= b.length;
      else {
        next.push(skip > 0 ? b.subarray(skip) : b);
        skip = 0;
      }
    }
    rest = next;
  }
}
