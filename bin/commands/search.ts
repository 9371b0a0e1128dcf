/** `pgtrail search`: list statements from the journal, filtered, as a table or JSON lines. */
import { ExitCode, parseFlags, type Command, type CommandContext } from '../cli.js';
import { formatTable, type TableColumn } from '../../search/format-table.js';
import { openIndex } from '../../search/open-index.js';
import { searchStatements } from '../../search/search-statements.js';
import { segmentSource } from '../../search/segment-source.js';
import { pageOptions, statementFilterFrom } from '../../search/query-params.js';
import { statementKinds } from '../../search/statement-kind.js';
import type { StatementRow } from '../../search/trail-rows.js';
import {
  fromFlags,
  journalDir,
  journalFlags,
  listingFlags,
  progressOnTerminal,
  terminalWidth,
  writeJsonLines,
} from './journal-options.js';
import { printViewings } from './search-viewings.js';

const usage = `usage: pgtrail search --journal DIR [filters] [--limit N] [--order asc|desc] [--json]

Lists recorded statements, oldest first.
  --journal DIR      the journal directory (else journal.dir from --config F, else ./pgtrail-journal)
  --user U           statements of this authenticated identity
  --database D       statements in sessions on this database
  --session S        statements of one session
  --since T          started at or after T: ISO 8601 (UTC unless an offset is given) or an age: 90s, 15m, 2h, 7d, 1w
  --until T          started before T
  --grep RE          SQL matches this regular expression (JavaScript syntax); -i to ignore case
  --error [CODE]     failed statements; CODE is a SQLSTATE (23505) or a class (23)
  --kind K[,K]       ${statementKinds.join(', ')}
  --limit N          at most N statements (after ordering)
  --order asc|desc   oldest (default) or newest first
  --json             one JSON object per line: ts, seq, session, user, database, role, client,
                     application, sql, params, command, rows, error, duration_ms, and more
  --rebuild-index    rebuild the derived index in DIR/index before searching
  --viewings         list the web viewer's viewings instead (who looked at what, when): --user is the
                     viewer, --session the session viewed; --json fields: ts, seq, session, viewer,
                     method, issuer, client, action, target
`;

const columns: readonly TableColumn<StatementRow>[] = [
  { header: 'TIME', cell: (r) => r.ts },
  { header: 'SEQ', cell: (r) => String(r.seq), right: true },
  { header: 'SESSION', cell: (r) => `${r.session}#${r.statement}` },
  { header: 'USER', cell: (r) => r.user },
  { header: 'DATABASE', cell: (r) => r.database ?? '?' },
  {
    header: 'RESULT',
    cell: (r) => (r.error ? `ERROR ${r.error.code}` : (r.command ?? (r.finished ? '-' : 'unfinished'))),
  },
  { header: 'MS', cell: (r) => (r.duration_ms === null ? '' : r.duration_ms.toFixed(1)), right: true },
  { header: 'SQL', cell: (r) => r.sql },
];

/** A bare --error (no SQLSTATE after it) becomes --error=* so that parseArgs can take an optional value. */
function expandOptionalError(argv: readonly string[]): string[] {
  return argv.map((arg, i) =>
    arg === '--error' && !/^[0-9A-Za-z]{2}(?:[0-9A-Za-z]{3})?$/.test(argv[i + 1] ?? '') ? '--error=*' : arg,
  );
}

async function run(ctx: CommandContext): Promise<ExitCode> {
  const { values } = parseFlags(expandOptionalError(ctx.argv), {
    ...journalFlags,
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
  if (values.viewings === true) {
    const source = segmentSource(journalDir(values, ctx));
    try {
      await printViewings(ctx, values, source);
      return ExitCode.ok;
    } finally {
      source.close();
    }
  }
  const { filter, options } = fromFlags(() => ({
    filter: statementFilterFrom(values, Date.now()),
    options: pageOptions(values),
  }));
  const source = segmentSource(journalDir(values, ctx));
  const progress = progressOnTerminal(ctx);
  try {
    if (values['rebuild-index']) {
      await openIndex(source, { rebuild: true, ...(progress.listener && { progress: progress.listener }) });
    }
    const rows = await searchStatements(source, filter, {
      ...options,
      ...(progress.listener && { progress: progress.listener }),
    });
    progress.done();
    if (values.json) writeJsonLines(ctx, rows);
    else ctx.stdout.write(formatTable(columns, rows, terminalWidth(ctx)));
    return ExitCode.ok;
  } finally {
    progress.done();
    source.close();
  }
}

/** The search command. */
export const searchCommand: Command = {
  name: 'search',
  summary: 'list recorded statements: who ran what, when, with what effect',
  usage,
  run,
};
