/**
 * The exporter's cursor file: `{"version":1,"next":N}`, N the journal index of the first record not
 * yet delivered. It is replaced atomically (write a temporary file, fsync, rename, fsync the folder)
 * and only after every record before N was delivered, so a crash at any moment leaves either the old
 * or the new cursor, never one past an undelivered record: at least once, nothing skipped.
 */
import { readFile } from 'node:fs/promises';
import { replaceFileDurably } from '../recorder/replace-file.js';
import { ExportError, ExportErrorCode } from './export-error.js';

const maxCursorBytes = 1024;

/** Reads the cursor: the index to resume from, 0 when the file does not exist. */
export async function readCursor(path: string): Promise<number> {
  let text: string;
  try {
    const buf = await readFile(path);
    if (buf.length > maxCursorBytes)
      throw new ExportError(ExportErrorCode.cursorInvalid, 'the cursor file is too large');
    text = buf.toString('utf8');
  } catch (err) {
    if (err instanceof ExportError) throw err;
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return 0;
    throw new ExportError(ExportErrorCode.cursorInvalid, 'cannot read the cursor file', { cause: err });
  }
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch (err) {
    throw new ExportError(ExportErrorCode.cursorInvalid, 'the cursor file is not JSON', { cause: err });
  }
  const next = (parsed as { next?: unknown; version?: unknown } | null)?.next;
  if (
    (parsed as { version?: unknown } | null)?.version !== 1 ||
    typeof next !== 'number' ||
    !Number.isSafeInteger(next) ||
    next < 0
  )
    throw new ExportError(ExportErrorCode.cursorInvalid, 'the cursor file is not {"version":1,"next":N}');
  return next;
}

/** Durably replaces the cursor with `next` (see the module comment). */
export async function writeCursor(path: string, next: number): Promise<void> {
  try {
    await replaceFileDurably(path, `${JSON.stringify({ version: 1, next })}\n`, 0o644);
  } catch (err) {
    throw new ExportError(ExportErrorCode.cursorWriteFailed, 'cannot write the cursor file', { cause: err });
  }
}
