/**
 * A small, fast SQL lexer over bytes: just enough of PostgreSQL's lexical rules (scan.l) to find
 * statement boundaries, keywords and literals without a parser.
 *
 * It works on the bytes the client sent, not on decoded text: every character that matters to the
 * lexical structure (quotes, `$`, `;`, `-`, `/`, `*`, parentheses, digits, ASCII letters) is ASCII,
 * and in UTF-8 and every ASCII-compatible client encoding no byte of a multibyte character is ASCII,
 * so byte offsets are exact. Bytes >= 0x80 count as identifier characters, as in scan.l.
 *
 * Recognised: whitespace; `--` comments to end of line; `/* *\/` comments, nested; string literals
 * `'...'` with `''` (standard_conforming_strings on), `E'...'` with backslash escapes, the prefixes
 * `B`, `X`, `N` and `U&`; dollar-quoted strings `$tag$...$tag$`; quoted identifiers `"..."` with `""`
 * (also `U&"..."`); positional parameters `$1`; numbers (decimal, with exponent, and the 0x/0o/0b
 * forms of PostgreSQL 16); words (identifiers and keywords); everything else one byte at a time. An
 * unterminated string, identifier or comment runs to the end of the input, which is what the server
 * would reject, and is the safe reading for a scrubber: nothing after an open quote escapes it.
 */

/** The kinds of token the lexer reports (comments are reported; whitespace is not). */
export const SqlTokenKind = {
  word: 1,
  quotedIdentifier: 2,
  string: 3,
  number: 4,
  param: 5,
  comment: 6,
  punctuation: 7,
} as const;

/** One of the SqlTokenKind values. */
export type SqlTokenKind = (typeof SqlTokenKind)[keyof typeof SqlTokenKind];

/** Called for each token with its kind and byte range [start, end). */
export type SqlTokenVisitor = (kind: SqlTokenKind, start: number, end: number) => void;

const SPACE = 0x20;
const TAB = 0x09;
const LF = 0x0a;
const CR = 0x0d;
const FF = 0x0c;
const VT = 0x0b;
const QUOTE = 0x27; // '
const DQUOTE = 0x22; // "
const DOLLAR = 0x24;
const DASH = 0x2d;
const SLASH = 0x2f;
const STAR = 0x2a;
const BACKSLASH = 0x5c;
const AMP = 0x26;
const DOT = 0x2e;

function isSpace(c: number): boolean {
  return c === SPACE || c === TAB || c === LF || c === CR || c === FF || c === VT;
}

function isDigit(c: number): boolean {
  return c >= 0x30 && c <= 0x39;
}

/** Letters, underscore and any byte of a multibyte character may start an identifier (scan.l ident_start). */
function isIdentStart(c: number): boolean {
  return (c >= 0x41 && c <= 0x5a) || (c >= 0x61 && c <= 0x7a) || c === 0x5f || c >= 0x80;
}

function isIdentPart(c: number): boolean {
  return isIdentStart(c) || isDigit(c) || c === DOLLAR;
}

function lower(c: number): number {
  return c >= 0x41 && c <= 0x5a ? c + 0x20 : c;
}

/**
 * Calls `visit` for every token of `sql` in order. With `standardConformingStrings` false (the
 * session setting of that name is off), a backslash escapes the next byte in '...' strings too.
 */
export function scanSql(sql: Uint8Array, visit: SqlTokenVisitor, standardConformingStrings = true): void {
  const n = sql.length;
  let i = 0;
  while (i < n) {
    const c = sql[i] as number;
    if (isSpace(c)) {
      i++;
      continue;
    }
    const start = i;
    if (c === DASH && sql[i + 1] === DASH) {
      i += 2;
      while (i < n && sql[i] !== LF && sql[i] !== CR) i++;
      visit(SqlTokenKind.comment, start, i);
    } else if (c === SLASH && sql[i + 1] === STAR) {
      i = endOfBlockComment(sql, i + 2);
      visit(SqlTokenKind.comment, start, i);
    } else if (c === QUOTE) {
      i = endOfQuoted(sql, i + 1, QUOTE, !standardConformingStrings);
      visit(SqlTokenKind.string, start, i);
    } else if (c === DQUOTE) {
      i = endOfQuoted(sql, i + 1, DQUOTE, false);
      visit(SqlTokenKind.quotedIdentifier, start, i);
    } else if (c === DOLLAR) {
      if (isDigit(sql[i + 1] ?? 0)) {
        i++;
        while (i < n && isDigit(sql[i] as number)) i++;
        visit(SqlTokenKind.param, start, i);
      } else {
        const close = dollarTagEnd(sql, i);
        if (close < 0) {
          i++;
          visit(SqlTokenKind.punctuation, start, i);
        } else {
          i = endOfDollarQuoted(sql, start, close);
          visit(SqlTokenKind.string, start, i);
        }
      }
    } else if (isDigit(c) || (c === DOT && isDigit(sql[i + 1] ?? 0))) {
      i = endOfNumber(sql, i);
      visit(SqlTokenKind.number, start, i);
    } else if (isIdentStart(c)) {
      const prefixed = stringPrefixEnd(sql, i);
      if (prefixed > 0) {
        const quote = sql[prefixed] as number;
        // E'...' always takes backslash escapes, N'...' as '...' does; B'', X'' and U&'' never do (scan.l).
        const prefix = lower(c);
        const escapes = quote === QUOTE && (prefix === 0x65 || (prefix === 0x6e && !standardConformingStrings));
        i = endOfQuoted(sql, prefixed + 1, quote, escapes);
        visit(quote === QUOTE ? SqlTokenKind.string : SqlTokenKind.quotedIdentifier, start, i);
      } else {
        i++;
        while (i < n && isIdentPart(sql[i] as number)) i++;
        visit(SqlTokenKind.word, start, i);
      }
    } else {
      i++;
      visit(SqlTokenKind.punctuation, start, i);
    }
  }
}

/** If a string or quoted identifier starts at `i` with a prefix (E' B' X' N' U&' U&"), the index of its quote, else -1. */
function stringPrefixEnd(sql: Uint8Array, i: number): number {
  const c = lower(sql[i] as number);
  const next = sql[i + 1];
  if ((c === 0x65 || c === 0x62 || c === 0x78 || c === 0x6e) && next === QUOTE) return i + 1;
  if (c === 0x75 && next === AMP && (sql[i + 2] === QUOTE || sql[i + 2] === DQUOTE)) return i + 2;
  return -1;
}

/** End (exclusive) of a quoted run whose body starts at `i`; a doubled quote stays inside. */
function endOfQuoted(sql: Uint8Array, i: number, quote: number, backslashEscapes: boolean): number {
  const n = sql.length;
  while (i < n) {
    const c = sql[i] as number;
    if (backslashEscapes && c === BACKSLASH) {
      i += 2;
    } else if (c === quote) {
      if (sql[i + 1] === quote) i += 2;
      else return i + 1;
    } else {
      i++;
    }
  }
  return n;
}

function endOfBlockComment(sql: Uint8Array, i: number): number {
  const n = sql.length;
  let depth = 1;
  while (i < n) {
    if (sql[i] === SLASH && sql[i + 1] === STAR) {
      depth++;
      i += 2;
    } else if (sql[i] === STAR && sql[i + 1] === SLASH) {
      depth--;
      i += 2;
      if (depth === 0) return i;
    } else {
      i++;
    }
  }
  return n;
}

/** For a `$` at `i`, the index of the `$` closing the tag `$tag$` (tag possibly empty), or -1. */
function dollarTagEnd(sql: Uint8Array, i: number): number {
  let j = i + 1;
  if (sql[j] === DOLLAR) return j;
  if (!isIdentStart(sql[j] ?? 0)) return -1;
  while (j < sql.length && isIdentStart(sql[j] as number)) j++;
  while (j < sql.length && (isIdentStart(sql[j] as number) || isDigit(sql[j] as number))) j++;
  return sql[j] === DOLLAR ? j : -1;
}

/** End of a dollar-quoted string whose opening tag spans [open, close]. */
function endOfDollarQuoted(sql: Uint8Array, open: number, close: number): number {
  const tagLength = close - open + 1;
  const n = sql.length;
  for (let i = close + 1; i + tagLength <= n; i++) {
    if (sql[i] !== DOLLAR) continue;
    let k = 0;
    while (k < tagLength && sql[i + k] === sql[open + k]) k++;
    if (k === tagLength) return i + tagLength;
  }
  return n;
}

function endOfNumber(sql: Uint8Array, i: number): number {
  const n = sql.length;
  const c1 = lower(sql[i + 1] ?? 0);
  if (sql[i] === 0x30 && (c1 === 0x78 || c1 === 0x6f || c1 === 0x62)) {
    i += 2;
    while (i < n && isIdentPart(sql[i] as number) && sql[i] !== DOLLAR) i++;
    return i;
  }
  while (i < n && (isDigit(sql[i] as number) || sql[i] === 0x5f)) i++;
  if (sql[i] === DOT && sql[i + 1] !== DOT) {
    i++;
    while (i < n && (isDigit(sql[i] as number) || sql[i] === 0x5f)) i++;
  }
  if (lower(sql[i] ?? 0) === 0x65) {
    let j = i + 1;
    if (sql[j] === 0x2b || sql[j] === DASH) j++;
    if (isDigit(sql[j] ?? 0)) {
      i = j;
      while (i < n && isDigit(sql[i] as number)) i++;
    }
  }
  return i;
}

/** True when sql[start, end) equals the ASCII word `lowerWord` ignoring ASCII case. */
export function wordEquals(sql: Uint8Array, start: number, end: number, lowerWord: string): boolean {
  if (end - start !== lowerWord.length) return false;
  for (let k = 0; k < lowerWord.length; k++) {
    if (lower(sql[start + k] as number) !== lowerWord.charCodeAt(k)) return false;
  }
  return true;
}
