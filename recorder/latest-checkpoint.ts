/** Writes the journal's latest-checkpoint file (journal-files.ts) atomically and durably. */
import { join } from 'node:path';
import { latestCheckpointFile } from './journal-files.js';
import { replaceFileDurably } from './replace-file.js';

/** Replaces `dir`/checkpoint with `note` (with any cosignature lines): temporary file, sync, rename, directory sync. */
export function writeLatestCheckpoint(dir: string, note: string): Promise<void> {
  return replaceFileDurably(join(dir, latestCheckpointFile), note, 0o644);
}
