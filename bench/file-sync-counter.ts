import { open, rm } from 'node:fs/promises';
import { performance } from 'node:perf_hooks';
import { join } from 'node:path';

/** How many fdatasync/fsync calls this process has made through fs/promises FileHandles since counting began. */
export interface FileSyncCounter {
  readonly syncs: number;
  /** Milliseconds from each call to its settling, summed: the syncs' latency as the writer saw it under load. */
  readonly syncMs: number;
}

/**
 * Counts every FileHandle.datasync() and sync() in this process by wrapping them on FileHandle's
 * prototype. For the benchmark's proxy process only, where the journal writer is the one caller:
 * it tells how many statements one fdatasync covered without a counter in the writer's API.
 * `scratchDir` must be writable; a probe file is created there (to reach the prototype) and removed.
 */
export async function countFileSyncs(scratchDir: string): Promise<FileSyncCounter> {
  const probePath = join(scratchDir, '.sync-counter-probe');
  const probe = await open(probePath, 'w');
  const proto = Object.getPrototypeOf(probe) as { datasync: () => Promise<void>; sync: () => Promise<void> };
  await probe.close();
  await rm(probePath, { force: true });
  const counter = { syncs: 0, syncMs: 0 };
  const timed = (call: () => Promise<void>): Promise<void> => {
    counter.syncs++;
    const start = performance.now();
    const settle = () => {
      counter.syncMs += performance.now() - start;
    };
    const done = call();
    done.then(settle, settle);
    return done;
  };
  const datasync = proto.datasync;
  const sync = proto.sync;
  proto.datasync = function countedDatasync(this: unknown) {
    return timed(() => datasync.call(this));
  };
  proto.sync = function countedSync(this: unknown) {
    return timed(() => sync.call(this));
  };
  return counter;
}
