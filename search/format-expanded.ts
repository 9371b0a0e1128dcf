/**
 * Records one field per line, as psql's expanded display (`\x`) draws them:
 *
 *     -[ RECORD 1 ]--------------------------
 *     session  | 01JF3Q8V1Z8X9T0ZQW7Y2K5M3N#4
 *     sql      | select *
 *              |   from orders
 *
 * Values keep their own line breaks; a line longer than the width left is wrapped. Every value is
 * whole: this is the form to read a long statement or its evidence in.
 */
import { wrapText } from './format-table.js';

/** One field of an expanded record: its label, and its value for a row (null: the line is left out). */
export interface ExpandedField<T> {
  readonly label: string;
  readonly value: (row: T) => string | null;
}

/** Formats rows as expanded records, wrapped to `width` columns (null: never wrapped). */
export function formatExpanded<T>(
  fields: readonly ExpandedField<T>[],
  rows: readonly T[],
  width: number | null,
): string {
  const labelWidth = Math.max(...fields.map((f) => f.label.length));
  const room = width === null ? Number.POSITIVE_INFINITY : Math.max(20, width - labelWidth - 3);
  const out: string[] = [];
  rows.forEach((row, n) => {
    const title = `-[ RECORD ${n + 1} ]`;
    // The + sits above the | of the lines below when the labels are wider than the title.
    const lead = '-'.repeat(Math.max(1, labelWidth + 1 - title.length));
    out.push(`${title}${lead}+${'-'.repeat(Math.max(0, Math.min(room, 40) - 1))}`);
    for (const field of fields) {
      const value = field.value(row);
      if (value === null) continue;
      const lines = value.split(/\r?\n/).flatMap((l) => wrapText(l.trimEnd(), room));
      lines.forEach((line, i) => {
        out.push(`${(i === 0 ? field.label : '').padEnd(labelWidth)} | ${line}`.trimEnd());
      });
    }
  });
  return out.length === 0 ? '' : `${out.join('\n')}\n`;
}
