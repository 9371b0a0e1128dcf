/** Writes a listing in the form asked for: JSON lines, a fitted or wide table, or expanded records. */
import { formatExpanded, type ExpandedField } from '../../search/format-expanded.js';
import { countLine, formatTable, type TableColumn } from '../../search/format-table.js';
import { sessionAbbreviator } from '../../search/session-names.js';
import type { TrailIndex } from '../../search/trail-index.js';
import type { CommandContext } from '../cli.js';
import { type ListingForm, terminalWidth, writeJsonLines } from './journal-options.js';

/** How one kind of row is shown in each form, and what it is called in the closing count. */
export interface ListingViews<T> {
  /** Columns fitted to the terminal; `name` abbreviates session ids. */
  readonly table: (name: (id: string) => string) => readonly TableColumn<T>[];
  readonly wide: readonly TableColumn<T>[];
  readonly expanded: readonly ExpandedField<T>[];
  readonly session: (row: T) => string;
  readonly noun: readonly [singular: string, plural: string];
}

/**
 * Writes `rows`; every form but JSON ends with the count, as psql ends with `(N rows)`, so that an
 * empty result says so. `index` is the one the rows came from, for abbreviating session ids (null
 * for rows merged from several journals: ids are then shown whole).
 */
export function writeListing<T>(
  ctx: CommandContext,
  form: ListingForm,
  rows: readonly T[],
  views: ListingViews<T>,
  index: TrailIndex | null,
): void {
  if (form === 'json') {
    writeJsonLines(ctx, rows);
    return;
  }
  const width = terminalWidth(ctx);
  if (form === 'expanded') ctx.stdout.write(formatExpanded(views.expanded, rows, width));
  else if (form === 'wide') ctx.stdout.write(formatTable(views.wide, rows, null));
  else {
    const name = index === null ? (id: string) => id : sessionAbbreviator(index, new Set(rows.map(views.session)));
    ctx.stdout.write(formatTable(views.table(name), rows, width));
  }
  ctx.stdout.write(countLine(rows.length, ...views.noun));
}
