/**
 * Destroys the private keys that `pgtrail keygen --rotate` retired (`<key file>.retired-<keyid>`),
 * once the writer no longer needs them: after the hand-over record a retired key signs is durable,
 * nothing may sign for that key again, and a retired key left on disk could forge the journal's past
 * checkpoints. Each is overwritten with random bytes and synced before it is unlinked, so the
 * seed does not stay readable in the file's old blocks on an ordinary file system (copy-on-write
 * file systems and SSD wear levelling may still keep old blocks: docs/identity.md, key custody).
 */
import { randomBytes } from 'node:crypto';
import { open, readdir, unlink } from 'node:fs/promises';
import { basename, dirname, join } from 'node:path';
import { fsyncDir } from './segment-io.js';

/** Overwrites, syncs and unlinks every retired key beside `keyPath`; returns the paths destroyed. */
export async function destroyRetiredSigningKeys(keyPath: string): Promise<string[]> {
  const dir = dirname(keyPath);
  const prefix = `${basename(keyPath)}.retired-`;
  const destroyed: string[] = [];
  for (const name of await readdir(dir)) {
    if (!name.startsWith(prefix)) continue;
    const path = join(dir, name);
    await overwrite(path);
    await unlink(path);
    destroyed.push(path);
  }
  if (destroyed.length > 0) await fsyncDir(dir);
  return destroyed;
}

async function overwrite(path: string): Promise<void> {
  const handle = await open(path, 'r+');
  try {
    const { size } = await handle.stat();
    await handle.write(randomBytes(size), 0, size, 0);
    await handle.sync();
  } finally {
    await handle.close();
  }
}
