import { scanSql, SqlTokenKind, wordEquals } from '../../recorder/sql-lexer.js';

/**
 * What a successful statement did to the current role, read from its text: `SET [SESSION|LOCAL]
 * ROLE name|NONE` (also the generic `SET role TO|= value|DEFAULT`), `RESET ROLE`, `RESET ALL` and
 * `DISCARD ALL`, which reset it. SET SESSION AUTHORIZATION is not read from text: the server reports
 * session_authorization in ParameterStatus, which is authoritative (it also reports rollbacks).
 */
export type RoleStatement =
  | { readonly kind: 'set'; readonly local: boolean; readonly role: string }
  | { readonly kind: 'reset'; readonly local: boolean };

interface Token {
  readonly kind: SqlTokenKind;
  readonly start: number;
  readonly end: number;
}

/** Reads a role change from a statement's text, or null when the statement is not one. */
export function parseRoleStatement(sql: string): RoleStatement | null {
  const bytes = Buffer.from(sql, 'utf8');
  const tokens: Token[] = [];
  let tooLong = false;
  scanSql(bytes, (kind, start, end) => {
    if (kind === SqlTokenKind.comment) return;
    if (kind === SqlTokenKind.punctuation && bytes[start] === 0x3b && tokens.length > 0) return; // trailing ';'
    if (tokens.length >= 8) tooLong = true;
    else tokens.push({ kind, start, end });
  });
  if (tooLong) return null;
  const word = (i: number, w: string): boolean => {
    const t = tokens[i];
    return t !== undefined && t.kind === SqlTokenKind.word && wordEquals(bytes, t.start, t.end, w);
  };
  if (word(0, 'reset') && tokens.length === 2 && (word(1, 'role') || word(1, 'all')))
    return { kind: 'reset', local: false };
  if (word(0, 'discard') && tokens.length === 2 && word(1, 'all')) return { kind: 'reset', local: false };
  if (!word(0, 'set')) return null;
  let i = 1;
  let local = false;
  if (word(i, 'session')) i++;
  else if (word(i, 'local')) {
    local = true;
    i++;
  }
  if (!word(i, 'role')) return null;
  i++;
  const t = tokens[i];
  if (word(i, 'to') || (t?.kind === SqlTokenKind.punctuation && bytes[t.start] === 0x3d)) i++;
  const value = tokens[i];
  if (value === undefined || i !== tokens.length - 1) return null;
  if (word(i, 'none') || word(i, 'default')) return { kind: 'reset', local };
  const role = roleName(bytes, value);
  return role === null ? null : { kind: 'set', local, role };
}

/** The role a value token names: unquoted identifiers fold to lower case (ASCII only, as the server does). */
function roleName(bytes: Buffer, t: Token): string | null {
  const text = bytes.subarray(t.start, t.end).toString('utf8');
  if (t.kind === SqlTokenKind.word) return text.replace(/[A-Z]+/g, (s) => s.toLowerCase());
  if (t.kind === SqlTokenKind.quotedIdentifier && text.startsWith('"')) return text.slice(1, -1).replaceAll('""', '"');
  if (t.kind === SqlTokenKind.string && text.startsWith("'")) return text.slice(1, -1).replaceAll("''", "'");
  return null;
}

/** True for `ROLLBACK ... TO [SAVEPOINT] name`, whose command tag is ROLLBACK although the transaction goes on. */
export function isRollbackToSavepoint(sql: string): boolean {
  const bytes = Buffer.from(sql, 'utf8');
  let words = 0;
  let found = false;
  scanSql(bytes, (kind, start, end) => {
    if (kind !== SqlTokenKind.word || words > 4) return;
    words++;
    if (wordEquals(bytes, start, end, 'to')) found = true;
  });
  return found;
}
