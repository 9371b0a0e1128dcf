/**
 * Reads the two SQL commands that create and drop prepared statements by name, so that a Bind to a
 * statement made with SQL `PREPARE` resolves to its text (PostgreSQL keeps one namespace for
 * statements prepared in SQL and in the protocol). Only the command's head is read: the name, the
 * optional parameter type list and AS; the statement after AS is returned as written.
 */

/** `PREPARE name [(type, ...)] AS statement`: the statement's name as the server stores it and its text. */
export interface SqlPrepare {
  readonly name: string;
  readonly body: string;
}

/** The PREPARE command in `sql` (leading whitespace allowed), or null when `sql` is not one this reader understands. */
export function parseSqlPrepare(sql: string): SqlPrepare | null {
  let pos = skipSpace(sql, 0);
  pos = keyword(sql, pos, 'prepare');
  if (pos < 0) return null;
  const name = identifier(sql, skipSpace(sql, pos));
  if (name === null) return null;
  pos = skipSpace(sql, name.end);
  if (sql[pos] === '(') {
    pos = closingParen(sql, pos);
    if (pos < 0) return null;
    pos = skipSpace(sql, pos);
  }
  pos = keyword(sql, pos, 'as');
  if (pos < 0) return null;
  const body = sql.slice(skipSpace(sql, pos));
  return body === '' ? null : { name: name.name, body };
}

/** The name a `DEALLOCATE [PREPARE] name` drops, or null (DEALLOCATE ALL is told by its command tag). */
export function parseSqlDeallocate(sql: string): string | null {
  let pos = keyword(sql, skipSpace(sql, 0), 'deallocate');
  if (pos < 0) return null;
  pos = skipSpace(sql, pos);
  const afterPrepare = keyword(sql, pos, 'prepare');
  if (afterPrepare >= 0) pos = skipSpace(sql, afterPrepare);
  const name = identifier(sql, pos);
  if (name === null || name.name === 'all') return null;
  return name.name;
}

function skipSpace(sql: string, pos: number): number {
  while (pos < sql.length && /\s/.test(sql[pos] as string)) pos++;
  return pos;
}

/** The position after `word` (any case) at `pos` when a word boundary follows, else -1. */
function keyword(sql: string, pos: number, word: string): number {
  if (pos < 0 || sql.slice(pos, pos + word.length).toLowerCase() !== word) return -1;
  const next = sql[pos + word.length];
  return next !== undefined && identifierChar(next) ? -1 : pos + word.length;
}

function identifierChar(c: string): boolean {
  return /[A-Za-z0-9_$]/.test(c) || c.charCodeAt(0) >= 0x80;
}

/** An identifier at `pos`: unquoted ones are folded to lower case (ASCII letters, as PostgreSQL does), quoted ones unescaped. */
function identifier(sql: string, pos: number): { name: string; end: number } | null {
  if (sql[pos] === '"') {
    let name = '';
    let i = pos + 1;
    for (;;) {
      const close = sql.indexOf('"', i);
      if (close < 0) return null;
      name += sql.slice(i, close);
      if (sql[close + 1] !== '"') return name === '' ? null : { name, end: close + 1 };
      name += '"';
      i = close + 2;
    }
  }
  const first = sql[pos];
  if (first === undefined || !(/[A-Za-z_]/.test(first) || first.charCodeAt(0) >= 0x80)) return null;
  let end = pos + 1;
  while (end < sql.length && identifierChar(sql[end] as string)) end++;
  return { name: sql.slice(pos, end).replace(/[A-Z]/g, (c) => c.toLowerCase()), end };
}

/** The position after the parenthesis that closes the one at `pos` (type lists nest, e.g. numeric(10, 2)), else -1. */
function closingParen(sql: string, pos: number): number {
  let depth = 0;
  for (let i = pos; i < sql.length; i++) {
    const c = sql[i];
    if (c === '(') depth++;
    else if (c === ')' && --depth === 0) return i + 1;
    else if (c === '"') {
      const close = sql.indexOf('"', i + 1);
      if (close < 0) return -1;
      i = close;
    }
  }
  return -1;
}
