/** File operations of the writer that must be exactly right for durability: appends, fsyncs, short writes. */
import { constants, writevSync } from 'node:fs';
import { open, type FileHandle } from 'node:fs/promises';

/**
 * Whether segments are opened with O_DSYNC, so that a write returns only once its data is on disk
 * (as write + fdatasync would). One call to the thread pool per batch instead of two: measured here,
 * a 2 KiB append became durable in 0.28-0.35 ms instead of 0.36-0.47 ms, for 140-160 us of CPU
 * instead of 200-260 us. Where the platform has no O_DSYNC (Windows) the writer calls fdatasync.
 */
export const segmentWritesAreDurable = constants.O_DSYNC !== undefined;

/** Opens a segment for appending ('a') or creates it exclusively for appending ('ax'); O_DSYNC where the platform has it. */
export function openSegmentFile(path: string, flags: 'a' | 'ax'): Promise<FileHandle> {
  if (!segmentWritesAreDurable) return open(path, flags, 0o644);
  const exclusive = flags === 'ax' ? constants.O_EXCL : 0;
  return open(path, constants.O_WRONLY | constants.O_APPEND | constants.O_CREAT | constants.O_DSYNC | exclusive, 0o644);
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
    rest = unwritten(rest, bytesWritten);
  }
}

/**
 * writeAll on the calling thread: the event loop is blocked until the write (with O_DSYNC, until it
 * is on disk) returns. A call to the thread pool and back cost about 250 us of CPU on the 2-core VM
 * this was measured on (docs/benchmarks.md), more than the write itself; a process whose event loop
 * has nothing better to do meanwhile (the recorder service, which acknowledges only durable records)
 * saves that per batch.
 */
export function writeAllBlocking(handle: FileHandle, buffers: Buffer[]): void {
  let rest = buffers;
  while (rest.length > 0) {
    const total = rest.reduce((n, b) => n + b.length, 0);
    const bytesWritten = writevSync(handle.fd, rest);
    if (bytesWritten === total) return;
    rest = unwritten(rest, bytesWritten);
  }
}

/** What is left of `buffers` after a short write of `bytesWritten`. */
function unwritten(buffers: Buffer[], bytesWritten: number): Buffer[] {
  let skip = bytesWritten;
  const next: Buffer[] = [];
  for (const b of buffers) {
    if (skip >= b.length) skip -= b.length;
    else {
      next.push(skip > 0 ? b.subarray(skip) : b);
      skip = 0;
    }
  }
  return next;
}
