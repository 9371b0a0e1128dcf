/** One column of a text table: its header and how a row is shown in it. */
export interface TableColumn<T> {
  readonly header: string;
  readonly cell: (row: T) => string;
  /** Right-align (numbers). */
  readonly right?: boolean;
}

/**
 * Formats rows as an aligned text table with a header line, columns two spaces apart. The last
 * column is cut to fit `width` characters when given (the terminal's width), marked with `…`.
 */
export function formatTable<T>(
  columns: readonly TableColumn<T>[],
  rows: readonly T[],
  width: number | null = null,
): string {
  const cells = rows.map((row) => columns.map((c) => oneLine(c.cell(row))));
  const widths = columns.map((c, i) => Math.max(c.header.length, ...cells.map((r) => (r[i] ?? '').length)));
  const lines = [columns.map((c) => c.header), ...cells].map((r) =>
    r
      .map((text, i) => {
        if (i === columns.length - 1) return text;
        const w = widths[i] ?? 0;
        return columns[i]?.right ? text.padStart(w) : text.padEnd(w);
      })
      .join('  ')
      .trimEnd(),
  );
  return (
    lines.map((l) => (width !== null && l.length > width ? `${l.slice(0, Math.max(0, width - 1))}…` : l)).join('\n') +
    '\n'
  );
}

/** Collapses whitespace runs (newlines in SQL) so that one row stays on one line. */
export function oneLine(text: string): string {
  return text.replace(/\s+/g, ' ').trim();
}
