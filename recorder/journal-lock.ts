/**
 * One writer per journal: `<journal>/lock` is created exclusively and holds the writer's pid. A lock
 * whose pid no longer runs on this host (a writer killed with -9) is stale and is taken over; a
 * live pid, including our own, means the journal is in use. The lock is advisory: it protects
 * against a second pgtrail, not against a hostile process.
 */
import { open, readFile, unlink } from 'node:fs/promises';
import { join } from 'node:path';
import { JournalError, JournalErrorCode } from './journal-error.js';

/** File name of the lock inside the journal directory. */
export const lockFile = 'lock';

/** A held lock; release() removes it. */
export interface JournalLock {
  release(): Promise<void>;
}

function isRunning(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    // EPERM: the process exists but belongs to someone else.
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/** Takes the journal's lock or throws JournalError(JOURNAL_LOCKED). */
export async function acquireJournalLock(dir: string): Promise<JournalLock> {
  const path = join(dir, lockFile);
  for (let attempt = 0; attempt < 2; attempt++) {
    try {
      const handle = await open(path, 'wx', 0o644);
      try {
        await handle.writeFile(`${process.pid}\n`);
        await handle.sync();
      } finally {
        await handle.close();
      }
      return { release: () => unlink(path).catch(() => undefined) };
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
      const pid = Number((await readFile(path, 'utf8').catch(() => '')).trim());
      if (Number.isInteger(pid) && pid > 0 && isRunning(pid)) {
        throw new JournalError(JournalErrorCode.locked, `the journal is locked by running process ${pid}`);
      }
      await unlink(path).catch(() => undefined);
    }
  }
  throw new JournalError(JournalErrorCode.locked, 'the journal lock could not be taken');
}
