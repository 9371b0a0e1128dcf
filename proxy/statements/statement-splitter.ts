import { scanSql, SqlTokenKind, wordEquals } from '../../recorder/sql-lexer.js';

/**
 * Splits a simple-Query string into the statements the server will run, the way psql's lexer
 * (psqlscan.l) decides where a statement ends: at a `;` outside quotes, comments and parentheses
 * (rule actions may contain `;` inside parentheses), and outside a `BEGIN ATOMIC ... END` body of
 * CREATE FUNCTION / PROCEDURE. Statements that are only comments or whitespace are dropped, as the
 * server drops them. Returns byte ranges into `sql`, each trimmed of surrounding whitespace and
 * without its `;`; an empty array when the string holds no statement at all (the server answers
 * EmptyQueryResponse).
 */
export function splitStatements(sql: Uint8Array, standardConformingStrings = true): StatementRange[] {
  const ranges: StatementRange[] = [];
  let parenDepth = 0;
  let beginDepth = 0;
  let wordsSeen = 0;
  // First bytes of the first four words, as psqlscan.l keeps them, to recognise CREATE [OR REPLACE] FUNCTION|PROCEDURE.
  const leading = [0, 0, 0, 0];
  let start = -1; // first byte of the current statement's first token
  let end = -1; // end of its last token
  let hasCode = false; // a token other than a comment was seen

  const finish = (): void => {
    if (start >= 0 && hasCode) ranges.push({ start, end });
    start = -1;
    end = -1;
    hasCode = false;
    parenDepth = 0;
    beginDepth = 0;
    wordsSeen = 0;
    leading.fill(0);
  };

  scanSql(
    sql,
    (kind, tokenStart, tokenEnd) => {
      if (kind === SqlTokenKind.punctuation) {
        const c = sql[tokenStart];
        if (c === 0x3b && parenDepth === 0 && beginDepth === 0) {
          finish();
          return;
        }
        if (c === 0x28) parenDepth++;
        else if (c === 0x29 && parenDepth > 0) parenDepth--;
      } else if (kind === SqlTokenKind.word) {
        if (wordsSeen < 4 && isRoutineWord(sql, tokenStart, tokenEnd))
          leading[wordsSeen] = (sql[tokenStart] as number) | 0x20;
        wordsSeen++;
        if (parenDepth === 0 && createsRoutine(leading)) {
          if (wordEquals(sql, tokenStart, tokenEnd, 'begin')) beginDepth++;
          else if (wordEquals(sql, tokenStart, tokenEnd, 'case') && beginDepth > 0) beginDepth++;
          else if (wordEquals(sql, tokenStart, tokenEnd, 'end') && beginDepth > 0) beginDepth--;
        }
      }
      if (start < 0) start = tokenStart;
      end = tokenEnd;
      if (kind !== SqlTokenKind.comment) hasCode = true;
    },
    standardConformingStrings,
  );
  finish();
  return ranges;
}

/** A statement's bytes: [start, end) of the Query string. */
export interface StatementRange {
  readonly start: number;
  readonly end: number;
}

/** The words psqlscan.l remembers the first letter of, to recognise CREATE [OR REPLACE] FUNCTION|PROCEDURE. */
function isRoutineWord(sql: Uint8Array, start: number, end: number): boolean {
  return (
    wordEquals(sql, start, end, 'create') ||
    wordEquals(sql, start, end, 'function') ||
    wordEquals(sql, start, end, 'procedure') ||
    wordEquals(sql, start, end, 'or') ||
    wordEquals(sql, start, end, 'replace')
  );
}

/** psqlscan.l's test: the statement began CREATE FUNCTION|PROCEDURE or CREATE OR REPLACE FUNCTION|PROCEDURE. */
function createsRoutine(leading: readonly number[]): boolean {
  if (leading[0] !== 0x63) return false; // c
  if (leading[1] === 0x66 || leading[1] === 0x70) return true; // f, p
  return leading[1] === 0x6f && leading[2] === 0x72 && (leading[3] === 0x66 || leading[3] === 0x70); // o r f|p
}
