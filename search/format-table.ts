/**
 * Text tables for a terminal, as psql's aligned and wrapped formats draw them: a header line,
 * columns two spaces apart, and one column (the last, SQL) that takes the width the others leave,
 * its text wrapped onto as many lines as it needs. When fewer than `minWrapWidth` columns are left
 * for it, it is folded instead: printed under its row, indented, across the whole width. Nothing
 * is ever cut from the wrapped column; other columns may set a `max` and end in `…` beyond it.
 */

/** One column of a text table: its header and how a row is shown in it. */
export interface TableColumn<T> {
  readonly header: string;
  readonly cell: (row: T) => string;
  /** Right-align (numbers). */
  readonly right?: boolean;
  /** At most this many characters when the table fits a width; longer values end in `…`. */
  readonly max?: number;
}

/** Below this width the last column is folded under its row rather than wrapped beside it. */
export const minWrapWidth = 30;

/** Indent of a folded last column. */
const foldIndent = '    ';
const gap = '  ';

/**
 * Formats rows as a table `width` characters wide, or, with width null (`--wide`), with every
 * value whole and each row on one line however long.
 */
export function formatTable<T>(columns: readonly TableColumn<T>[], rows: readonly T[], width: number | null): string {
  const fitted = (c: TableColumn<T>, text: string) => (width === null || c.max === undefined ? text : cut(text, c.max));
  const fixed = columns.slice(0, -1);
  const last = columns[columns.length - 1];
  if (last === undefined) return '';
  const cells = rows.map((row) => fixed.map((c) => fitted(c, oneLine(c.cell(row)))));
  const wrapped = rows.map((row) => oneLine(last.cell(row)));
  const widths = fixed.map((c, i) => Math.max(c.header.length, ...cells.map((r) => (r[i] ?? '').length)));
  const pad = (r: readonly string[]) =>
    r.map((text, i) => (fixed[i]?.right ? text.padStart(widths[i] ?? 0) : text.padEnd(widths[i] ?? 0))).join(gap);
  const fixedWidth = widths.reduce((sum, w) => sum + w, 0) + gap.length * widths.length;
  const room = width === null ? Number.POSITIVE_INFINITY : width - fixedWidth;
  const lines: string[] = [];
  if (room >= minWrapWidth) {
    lines.push(`${pad(fixed.map((c) => c.header))}${gap}${last.header}`.trimEnd());
    const indent = ' '.repeat(fixedWidth);
    cells.forEach((r, i) => {
      const [first = '', ...more] = wrapText(wrapped[i] ?? '', room);
      lines.push(`${pad(r)}${gap}${first}`.trimEnd(), ...more.map((l) => indent + l));
    });
  } else {
    const foldWidth = Math.max(minWrapWidth, (width ?? 0) - foldIndent.length);
    lines.push(pad(fixed.map((c) => c.header)).trimEnd(), `${foldIndent}${last.header}`);
    cells.forEach((r, i) => {
      lines.push(pad(r).trimEnd(), ...wrapText(wrapped[i] ?? '', foldWidth).map((l) => foldIndent + l));
    });
  }
  return `${lines.join('\n')}\n`;
}

/**
 * Breaks text into lines of at most `width` characters, at a space when one falls past the first
 * quarter of the line, else in the middle of a word (SQL has long identifiers and literals).
 */
export function wrapText(text: string, maxWidth: number): string[] {
  const width = Math.max(1, maxWidth);
  if (text.length <= width) return [text];
  const lines: string[] = [];
  let rest = text;
  while (rest.length > width) {
    const space = rest.lastIndexOf(' ', width);
    const at = space > width / 4 ? space : width;
    lines.push(rest.slice(0, at).trimEnd());
    rest = rest.slice(at).trimStart();
  }
  if (rest !== '') lines.push(rest);
  return lines;
}

/** `(3 statements)`, `(1 session)`: the line psql ends a result with, `(0 rows)` included. */
export function countLine(count: number, singular: string, plural: string): string {
  return `(${count} ${count === 1 ? singular : plural})\n`;
}

/** Collapses whitespace runs (newlines in SQL) so that one row stays on one line. */
export function oneLine(text: string): string {
  return text.replace(/\s+/g, ' ').trim();
}

function cut(text: string, max: number): string {
  return text.length <= max ? text : `${text.slice(0, max - 1)}…`;
}
