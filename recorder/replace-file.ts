/**
 * Replaces a small file so that a crash leaves either the old content or the new, never a torn mix:
 * the new content goes to a temporary file beside it, is synced, renamed over the old, and the
 * directory is synced so the rename itself survives.
 */
import { open, rename } from 'node:fs/promises';
import { basename, dirname, join } from 'node:path';
import { fsyncDir } from './segment-io.js';

/** Durably replaces (or creates) `path` with `content`, created with `mode`. */
export async function replaceFileDurably(path: string, content: string | Buffer, mode = 0o600): Promise<void> {
  const dir = dirname(path);
  const tmp = join(dir, `.${basename(path)}.tmp`);
  const handle = await open(tmp, 'w', mode);
  try {
    await handle.writeFile(content);
    await handle.sync();
  } finally {
    await handle.close();
  }
  await rename(tmp, path);
  await fsyncDir(dir);
}
