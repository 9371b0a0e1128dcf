/** Writes the journal's latest-checkpoint file (journal-files.ts) atomically and durably. */
import { open, rename } from 'node:fs/promises';
import { join } from 'node:path';
import { latestCheckpointFile } from './journal-files.js';
import { fsyncDir } from './segment-io.js';

/** Replaces `dir`/checkpoint with `note` (with any cosignature lines): temporary file, sync, rename, directory sync. */
export async function writeLatestCheckpoint(dir: string, note: string): Promise<void> {
  const path = join(dir, latestCheckpointFile);
  const tmp = `${path}.tmp`;
  const handle = await open(tmp, 'w', 0o644);
  try {
    await handle.writeFile(note);
    await handle.datasync();
  } finally {
    await handle.close();
  }
  await rename(tmp, path);
  await fsyncDir(dir);
}
