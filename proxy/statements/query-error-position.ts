import type { QueryText } from './pending-message.js';

/**
 * Which statement of a multi-statement Query string an error's position (ErrorResponse field P, a
 * 1-based character index into the whole string) falls in, or null when that cannot be said for
 * sure. Each statement owns its range and what follows it up to the next statement (its `;`, the
 * space after it, the end of input). Characters are counted as the server counts them: UTF-8 code
 * points in a UTF-8 session, bytes when every byte is ASCII; in any other case the answer is null.
 */
export function statementAtPosition(text: QueryText, position: number, utf8: boolean): number | null {
  const offset = byteOffsetOfCharacter(text.bytes, position - 1, utf8);
  if (offset === null) return null;
  const { ranges } = text;
  for (let i = ranges.length - 1; i >= 0; i--) {
    const range = ranges[i];
    if (range === undefined) return null;
    if (offset >= range.start) return i;
  }
  // Before the first statement: only comments and spaces, where the server reports no error.
  return null;
}

/** The byte offset of the `index`-th character (0-based; the end of the string for its length), or null. */
function byteOffsetOfCharacter(bytes: Buffer, index: number, utf8: boolean): number | null {
  if (index < 0) return null;
  let characters = 0;
  for (let i = 0; i < bytes.length; i++) {
    const b = bytes[i] as number;
    if (b >= 0x80 && !utf8) return null;
    // A UTF-8 continuation byte (10xxxxxx) does not start a character.
    if ((b & 0xc0) === 0x80) continue;
    if (characters === index) return i;
    characters++;
  }
  return characters === index ? bytes.length : null;
}
