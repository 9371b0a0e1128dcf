import type { RecordedText } from './events.js';
import { scanSql, SqlTokenKind } from './sql-lexer.js';

/**
 * The lexer fallback of normalize-sql, for SQL the parser cannot read: every string literal
 * (including E'', U&'', B'', X'' and dollar-quoted bodies) and every number becomes a `$n`
 * placeholder, numbered after the highest `$n` already in the text, as libpg-query numbers them.
 * The text is read with standard_conforming_strings on and off, and what is a literal in either
 * reading is replaced. It removes more than the parser would (a dollar-quoted function body is one
 * literal), which is the safe direction for redaction.
 */
export function replaceLiterals(sql: RecordedText): RecordedText {
  const bytes = typeof sql === 'string' ? Buffer.from(sql, 'utf8') : Buffer.from(sql.base64, 'base64');
  let highest = 0;
  const cuts: { start: number; end: number }[] = [];
  for (const standardConformingStrings of [true, false]) {
    scanSql(
      bytes,
      (kind, start, end) => {
        if (kind === SqlTokenKind.param)
          highest = Math.max(highest, Number(bytes.subarray(start + 1, end).toString('latin1')));
        else if (kind === SqlTokenKind.string || kind === SqlTokenKind.number) cuts.push({ start, end });
      },
      standardConformingStrings,
    );
  }
  if (cuts.length === 0) return sql;
  cuts.sort((a, b) => a.start - b.start);
  const parts: Buffer[] = [];
  let at = 0;
  for (const cut of cuts) {
    if (cut.end <= at) continue; // the same literal from the other reading, or inside a longer one
    if (cut.start < at) {
      at = cut.end; // overlaps the previous placeholder: extend it
      continue;
    }
    parts.push(bytes.subarray(at, cut.start), Buffer.from(`$${++highest}`));
    at = cut.end;
  }
  parts.push(bytes.subarray(at));
  const out = Buffer.concat(parts);
  return typeof sql === 'string' ? out.toString('utf8') : { base64: out.toString('base64') };
}
