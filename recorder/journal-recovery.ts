/**
 * Crash recovery's one repair: a torn final write (bytes after the last newline of the last segment,
 * found by journal-scan.ts) is moved to `<segment>.torn-<offset>` beside the segment, the segment is
 * truncated to its last whole record, and the writer then appends a `recovery` record that says what
 * was cut. The cut bytes are kept as evidence, never silently dropped.
 */
import { open, truncate, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { tornBytesFile } from './journal-files.js';
import { nodeSha256 } from './node-sha256.js';
import { fsyncDir } from './segment-io.js';

/** Cuts a torn final write (durably) and returns the body of the recovery record to append. */
export async function cutTornWrite(
  dir: string,
  torn: { readonly segment: string; readonly offset: number; readonly bytes: Uint8Array },
): Promise<Readonly<Record<string, unknown>>> {
  const { segment, offset, bytes } = torn;
  const keptAs = tornBytesFile(segment, offset);
  await writeFile(join(dir, keptAs), bytes, { flag: 'w', mode: 0o644 });
  const kept = await open(join(dir, keptAs), 'r');
  await kept.sync().finally(() => kept.close());
  await truncate(join(dir, segment), offset);
  const handle = await open(join(dir, segment), 'r+');
  await handle.sync().finally(() => handle.close());
  await fsyncDir(dir);
  return {
    ts: Date.now(),
    segment,
    offset,
    bytes: bytes.length,
    sha256: Buffer.from(nodeSha256(bytes)).toString('hex'),
    keptAs,
  };
}
