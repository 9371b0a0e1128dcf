/**
 * Checkpoint bodies as C2SP tlog-checkpoint specifies them (https://c2sp.org/tlog-checkpoint):
 *
 *   <origin>\n                  the log's name; equal to the signing key's name
 *   <tree size>\n               decimal, no sign, no leading zeros
 *   <root hash>\n               base64 of the 32-byte RFC 9162 tree head
 *   [<extension line>\n ...]    opaque, non-empty lines (pgtrail writes none)
 *
 * A checkpoint is the text of a signed note (note.ts). Parsing is strict: a body either has exactly
 * this shape or is rejected.
 */
import { decodeBase64, encodeBase64 } from './base64.js';
import { hashSize } from './merkle.js';
import { VerifyError, VerifyErrorCode } from '../verify/verify-error.js';

/** A parsed checkpoint body. */
export interface Checkpoint {
  readonly origin: string;
  readonly size: number;
  readonly root: Uint8Array;
  readonly extensions: readonly string[];
}

/** Formats a checkpoint body (the text that gets signed). */
export function formatCheckpoint(origin: string, size: number, root: Uint8Array): string {
  return `${origin}\n${size}\n${encodeBase64(root)}\n`;
}

/** Parses a checkpoint body; throws VerifyError(VERIFY_CHECKPOINT_MALFORMED) unless it is well-formed. */
export function parseCheckpoint(text: string): Checkpoint {
  const bad = (why: string) => new VerifyError(VerifyErrorCode.checkpointMalformed, `malformed checkpoint: ${why}`);
  if (!text.endsWith('\n')) throw bad('no final newline');
  const lines = text.slice(0, -1).split('\n');
  const [origin, sizeText, rootText, ...extensions] = lines;
  if (origin === undefined || origin.length === 0) throw bad('empty origin');
  if (sizeText === undefined || !/^(0|[1-9][0-9]{0,15})$/.test(sizeText))
    throw bad('tree size is not a decimal number');
  const size = Number(sizeText);
  if (!Number.isSafeInteger(size)) throw bad('tree size is too large');
  const root = rootText === undefined ? null : decodeBase64(rootText);
  if (root === null || root.length !== hashSize) throw bad('root is not a base64 32-byte hash');
  if (extensions.some((line) => line.length === 0)) throw bad('empty extension line');
  return { origin, size, root, extensions };
}
