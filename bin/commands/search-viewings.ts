/** `pgtrail search --viewings`: who looked at what through the web viewer, from its viewer.viewed records. */
import { UsageError, type CommandContext } from '../cli.js';
import type { TableColumn } from '../../search/format-table.js';
import type { JournalSource } from '../../search/journal-source.js';
import { listViewings, type ViewingRow } from '../../search/list-viewings.js';
import { openIndex } from '../../search/open-index.js';
import { statementFilterFrom, type QueryValues } from '../../search/query-params.js';
import type { QueryOptions } from '../../search/statement-filter.js';
import { fromFlags, type ListingForm } from './journal-options.js';
import { writeListing } from './write-listing.js';

const columns: readonly TableColumn<ViewingRow>[] = [
  { header: 'TIME', cell: (r) => r.ts },
  { header: 'SEQ', cell: (r) => String(r.seq), right: true },
  { header: 'VIEWER', cell: (r) => r.viewer },
  { header: 'METHOD', cell: (r) => (r.issuer === null ? r.method : `${r.method} (${r.issuer})`) },
  { header: 'CLIENT', cell: (r) => r.client },
  { header: 'ACTION', cell: (r) => r.action },
  { header: 'TARGET', cell: (r) => r.target },
];

const views = {
  table: () => columns,
  wide: columns,
  expanded: columns.map((c) => ({ label: c.header.toLowerCase(), value: c.cell })),
  session: (r: ViewingRow) => r.session,
  noun: ['viewing', 'viewings'],
} as const;

/** Flags of `search` that select statements only, refused with --viewings. */
const statementOnly = ['database', 'grep', 'error', 'kind'] as const;

/** Lists viewings with the filters --user (the viewer), --session (the session viewed), --since, --until. */
export async function printViewings(
  ctx: CommandContext,
  values: QueryValues,
  form: ListingForm,
  listing: QueryOptions,
  source: JournalSource,
): Promise<void> {
  for (const name of statementOnly)
    if (values[name] !== undefined) throw new UsageError(`--${name} does not apply to --viewings`);
  const filter = fromFlags(() => statementFilterFrom(values, Date.now()));
  const opened = await openIndex(source);
  const rows = await listViewings(
    source,
    {
      ...(filter.user !== undefined && { user: filter.user }),
      ...(filter.session !== undefined && { session: filter.session }),
      ...(filter.since !== undefined && { since: filter.since }),
      ...(filter.until !== undefined && { until: filter.until }),
    },
    listing,
  );
  writeListing(ctx, form, rows, views, opened.index);
}
