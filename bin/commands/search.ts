/** `pgtrail search`: list statements from the journal, filtered, as a table or JSON lines. */
import { ExitCode, parseFlags, UsageError, type Command, type CommandContext } from '../cli.js';
import { openIndex } from '../../search/open-index.js';
import { searchStatements } from '../../search/search-statements.js';
import { segmentSource } from '../../search/segment-source.js';
import { parseSessionName, resolveSessionName } from '../../search/session-names.js';
import type { StatementFilter } from '../../search/statement-filter.js';
import { statementFilterFrom } from '../../search/query-params.js';
import { statementKinds } from '../../search/statement-kind.js';
import type { StatementRow } from '../../search/trail-rows.js';
import {
  journalDirs,
  journalsFlags,
  listingFlags,
  listingForm,
  listingOptions,
  progressOnTerminal,
  fromFlags,
} from './journal-options.js';
import { printViewings } from './search-viewings.js';
import { expandedStatementFields, statementColumns, wideStatementColumns } from './statement-listing.js';
import { queryJournals } from './merged-journals.js';
import { writeListing } from './write-listing.js';

const usage = `usage: pgtrail search --journal DIR [filters] [--limit N] [--order asc|desc] [--wide|--expanded|--json]

Lists recorded statements, oldest first.
  --journal DIR      the journal directory (else journal.dir from --config F, else ./pgtrail-journal);
                     give it more than once to search several journals, merged in time order
  --user U           statements of this authenticated identity
  --database D       statements in sessions on this database
  --session S        statements of one session: its id or a prefix only it has; ID#N (as the table
                     prints it) selects statement N of it
  --since T          started at or after T: ISO 8601 (UTC unless an offset is given) or an age: 90s, 15m, 2h, 7d, 1w
  --until T          started before T
  --grep RE          SQL matches this regular expression (JavaScript syntax); -i to ignore case
  --error [CODE]     failed statements; CODE is a SQLSTATE (23505) or a class (23)
  --kind K[,K]       ${statementKinds.join(', ')}
  --limit N          at most N statements (after ordering)
  --order asc|desc   oldest (default) or newest first
  --wide             a table of whole values, one line per statement (for grep), with SEQ, ROLE, ROWS
  -x, --expanded     one record per statement, one field per line (psql's \\x): every field, SQL as written
  --json             one JSON object per line: ts, seq, session, user, database, role, client,
                     application, sql, params, command, rows, error, duration_ms, and more
The table fits the terminal's width (COLUMNS, else 80, when not a terminal): SQL is wrapped in the
width the other columns leave, or folded under its row when that is too narrow.
  --rebuild-index    rebuild the derived index in DIR/index before searching
  --viewings         list the web viewer's viewings instead (who looked at what, when): --user is the
                     viewer, --session the session viewed; --json fields: ts, seq, session, viewer,
                     method, issuer, client, action, target
`;

/** A bare --error (no SQLSTATE after it) becomes --error=* so that parseArgs can take an optional value. */
function expandOptionalError(argv: readonly string[]): string[] {
  return argv.map((arg, i) =>
    arg === '--error' && !/^[0-9A-Za-z]{2}(?:[0-9A-Za-z]{3})?$/.test(argv[i + 1] ?? '') ? '--error=*' : arg,
  );
}

async function run(ctx: CommandContext): Promise<ExitCode> {
  const { values } = parseFlags(expandOptionalError(ctx.argv), {
    ...journalsFlags,
    ...listingFlags,
    user: { type: 'string' },
    database: { type: 'string' },
    session: { type: 'string' },
    since: { type: 'string' },
    until: { type: 'string' },
    grep: { type: 'string' },
    i: { type: 'boolean', short: 'i' },
    error: { type: 'string' },
    kind: { type: 'string' },
    'rebuild-index': { type: 'boolean' },
    viewings: { type: 'boolean' },
  });
  const form = listingForm(values);
  const listing = listingOptions(values);
  // The filters are read by the same code as the viewer's /api/search (search/query-params.ts);
  // --session is resolved below, against each journal's index (a prefix, or ID#N).
  const { user, database, since, until, grep, i, error, kind } = values;
  const filterValues = { user, database, since, until, grep, i, error, kind };
  const filter: StatementFilter = fromFlags(() => statementFilterFrom(filterValues, Date.now()));
  if (values.viewings === true) {
    const dirs = journalDirs(values, ctx);
    if (dirs.length > 1) throw new UsageError('--viewings lists one journal at a time');
    const source = segmentSource(dirs[0] as string);
    try {
      await printViewings(ctx, { ...filterValues, session: values.session }, form, listing, source);
      return ExitCode.ok;
    } finally {
      source.close();
    }
  }
  const progress = progressOnTerminal(ctx);
  const searchOne = async (dir: string) => {
    const source = segmentSource(dir);
    try {
      const opened = await openIndex(source, {
        ...(values['rebuild-index'] === true && { rebuild: true }),
        ...(progress.listener && { progress: progress.listener }),
      });
      // A session named by a prefix or ID#N is looked up in the index; one that names none matches nothing.
      const session = values.session === undefined ? undefined : resolveSessionName(opened.index, values.session);
      // ID#N, as the table prints a statement, selects that one statement of the session.
      const statement = values.session === undefined ? null : parseSessionName(values.session).statement;
      const selected: StatementFilter =
        session === undefined
          ? filter
          : { ...filter, session: session ?? '', ...(statement !== null && { statement }) };
      const rows: StatementRow[] =
        session === null
          ? []
          : await searchStatements(source, selected, {
              ...listing,
              opened,
              ...(progress.listener && { progress: progress.listener }),
            });
      return { rows, index: opened.index };
    } finally {
      progress.done();
      source.close();
    }
  };
  const merged = await queryJournals(journalDirs(values, ctx), searchOne, (r) => r.ts, listing.order, listing.limit);
  writeListing(ctx, form, merged.rows, statementViews, merged.index);
  return ExitCode.ok;
}

const statementViews = {
  table: statementColumns,
  wide: wideStatementColumns,
  expanded: expandedStatementFields,
  session: (r: StatementRow) => r.session,
  noun: ['statement', 'statements'],
} as const;

/** The search command. */
export const searchCommand: Command = {
  name: 'search',
  summary: 'list recorded statements: who ran what, when, with what effect',
  usage,
  run,
};
