import type { RecordedText } from './events.js';
import { scanSql, SqlTokenKind, wordEquals } from './sql-lexer.js';

/**
 * Password scrubbing: no password a client sends in SQL reaches the journal. It always applies,
 * whatever the redaction rules say, and runs in the recorder before anything is written.
 *
 * A statement is scrubbed when either
 * - it starts with CREATE|ALTER ROLE|USER|GROUP|SERVER and contains the keyword PASSWORD outside
 *   quotes (... [ENCRYPTED] PASSWORD '...', including the md5 and SCRAM verifiers psql's \password
 *   sends, and USER MAPPING / SERVER options), or
 * - any of its string literals contains the word "password" or a URI with credentials
 *   (`postgresql://user:secret@host`): connection strings, DO blocks and functions that build such a
 *   statement.
 * Separately, a bound parameter value that holds such text is dropped on its own.
 * Scrubbing replaces every string literal ('...', E'...', U&'...', $tag$...$tag$) and the token right
 * after each PASSWORD keyword with `'***'`, and drops every bound parameter value. Quotes are read with
 * standard_conforming_strings on (the default since PostgreSQL 9.1); an unterminated literal runs to
 * the end of the text, so nothing after an open quote is kept.
 */

/** The name a scrubbed record carries in its `redaction` field. */
export const PASSWORD_REDACTION = 'password';

/** What scrubbing did to one statement. */
export interface ScrubbedStatement {
  readonly sql: RecordedText;
  /** The literal bodies removed, so that an error message echoing one can be scrubbed too. */
  readonly secrets: readonly string[];
}

const MASK = Buffer.from("'***'");
const ROLE_OBJECTS = ['role', 'user', 'group', 'server'];
const MAY_HOLD_PASSWORD = /password|:\/\//i;

/** The statement with its secrets replaced, or null when it holds no password. */
export function scrubPasswords(sql: RecordedText): ScrubbedStatement | null {
  // Fast path: both conditions need the word "password" or a "://" somewhere in the text.
  if (typeof sql === 'string' && !MAY_HOLD_PASSWORD.test(sql)) return null;
  const bytes = typeof sql === 'string' ? Buffer.from(sql, 'utf8') : Buffer.from(sql.base64, 'base64');
  const cuts: { start: number; end: number }[] = [];
  let createsRole = false; // CREATE|ALTER ROLE|USER|GROUP|SERVER
  let passwordKeyword = false;
  let literalMentionsPassword = false;
  // The recorder does not know the session's standard_conforming_strings: read the text both ways and
  // mask what is a literal in either reading, so that 'a\'b' hides its whole body whichever applied.
  for (const standardConformingStrings of [true, false]) {
    let words = 0;
    let createOrAlter = false;
    let afterPassword = false;
    scanSql(
      bytes,
      (kind, start, end) => {
        if (kind === SqlTokenKind.comment) return;
        if (afterPassword) {
          afterPassword = false;
          if (!(kind === SqlTokenKind.word && wordEquals(bytes, start, end, 'null')) && kind !== SqlTokenKind.string)
            cuts.push({ start, end });
        }
        if (kind === SqlTokenKind.word) {
          words++;
          if (words === 1)
            createOrAlter = wordEquals(bytes, start, end, 'create') || wordEquals(bytes, start, end, 'alter');
          if (words === 2 && createOrAlter && ROLE_OBJECTS.some((w) => wordEquals(bytes, start, end, w)))
            createsRole = true;
          if (wordEquals(bytes, start, end, 'password')) {
            passwordKeyword = true;
            afterPassword = true;
          }
        } else if (kind === SqlTokenKind.string) {
          cuts.push({ start, end });
          if (holdsCredentials(bytes.subarray(start, end).toString('latin1'))) literalMentionsPassword = true;
        } else {
          words = Math.max(words, 2); // punctuation before the second word: not CREATE|ALTER <object>
        }
      },
      standardConformingStrings,
    );
  }
  if (!literalMentionsPassword && !(createsRole && passwordKeyword)) return null;
  cuts.sort((a, b) => a.start - b.start);
  // Overlapping cuts (from the two readings) merge into one masked run.
  const merged: { start: number; end: number }[] = [];
  for (const cut of cuts) {
    const last = merged[merged.length - 1];
    if (last !== undefined && cut.start < last.end) last.end = Math.max(last.end, cut.end);
    else merged.push({ ...cut });
  }
  const parts: Buffer[] = [];
  const secrets: string[] = [];
  let at = 0;
  for (const cut of merged) {
    parts.push(bytes.subarray(at, cut.start), MASK);
    secrets.push(literalBody(bytes.subarray(cut.start, cut.end)));
    at = cut.end;
  }
  parts.push(bytes.subarray(at));
  const out = Buffer.concat(parts);
  return {
    sql: typeof sql === 'string' ? out.toString('utf8') : { base64: out.toString('base64') },
    secrets: secrets.filter((s) => s.length > 0),
  };
}

/** The body of a literal without its quotes or dollar tags (used only to recognise an echo of it). */
function literalBody(token: Buffer): string {
  const text = token.toString('utf8');
  const dollar = /^(\$[^$]*\$)([\s\S]*)\1$/.exec(text);
  if (dollar !== null) return dollar[2] ?? '';
  const quote = text.indexOf("'");
  if (quote < 0) return text;
  return text.slice(quote + 1, text.endsWith("'") && text.length > quote + 1 ? -1 : undefined).replaceAll("''", "'");
}

/** Text that names a password or carries credentials in a URI (`scheme://user:secret@host`). */
const CREDENTIALS = /password|:\/\/[^/\s:@]*:[^@\s]*@/i;

/** True when a literal or parameter value looks like it holds credentials. */
export function holdsCredentials(text: string): boolean {
  return CREDENTIALS.test(text);
}

/** A stored password verifier as pg_authid.rolpassword holds it: SCRAM-SHA-256 or md5. */
const VERIFIER = /^(SCRAM-SHA-256\$\d+:[A-Za-z0-9+/=]+\$[A-Za-z0-9+/=]+:[A-Za-z0-9+/=]+|md5[0-9a-f]{32})$/;

/** True when a value is a password verifier (e.g. a captured row of pg_authid). */
export function isPasswordVerifier(value: string): boolean {
  return VERIFIER.test(value);
}

/** True when `message` contains any of `secrets` (an error that echoes a scrubbed literal). */
export function echoesSecret(message: string, secrets: readonly string[]): boolean {
  return secrets.some((s) => message.includes(s));
}
