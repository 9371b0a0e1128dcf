/** `pgtrail sessions`: list recorded sessions, filtered, as a table or JSON lines. */
import { ExitCode, parseFlags, type Command, type CommandContext } from '../cli.js';
import { formatTable, type TableColumn } from '../../search/format-table.js';
import { listSessions } from '../../search/list-sessions.js';
import { pageOptions, sessionFilterFrom } from '../../search/query-params.js';
import { segmentSource } from '../../search/segment-source.js';
import type { SessionRow } from '../../search/trail-rows.js';
import {
  fromFlags,
  journalDir,
  journalFlags,
  listingFlags,
  progressOnTerminal,
  terminalWidth,
  writeJsonLines,
} from './journal-options.js';

const usage = `usage: pgtrail sessions --journal DIR [filters] [--limit N] [--order asc|desc] [--json]

Lists recorded sessions in the order they opened.
  --journal DIR      the journal directory (else journal.dir from --config F, else ./pgtrail-journal)
  --user U           sessions of this authenticated identity
  --database D       sessions on this database
  --session S        one session
  --since T          sessions still open at or after T: ISO 8601 or an age: 90s, 15m, 2h, 7d, 1w
  --until T          sessions opened before T
  --errors           only sessions with at least one failed statement
  --open             only sessions open now (no session.closed record yet)
  --limit N          at most N sessions (after ordering)
  --order asc|desc   oldest (default) or newest first
  --json             one JSON object per line: session, seq, opened, closed, user, database, role,
                     client, application, reason, duration_ms, statements, errors
`;

const columns: readonly TableColumn<SessionRow>[] = [
  { header: 'OPENED', cell: (r) => r.opened ?? '?' },
  { header: 'SESSION', cell: (r) => r.session },
  { header: 'USER', cell: (r) => r.user ?? '?' },
  { header: 'DATABASE', cell: (r) => r.database ?? '?' },
  { header: 'CLIENT', cell: (r) => r.client ?? '?' },
  { header: 'STMTS', cell: (r) => String(r.statements), right: true },
  { header: 'ERRORS', cell: (r) => String(r.errors), right: true },
  {
    header: 'DURATION',
    cell: (r) => (r.duration_ms === null ? 'open' : `${(r.duration_ms / 1000).toFixed(1)}s`),
    right: true,
  },
  { header: 'CLOSED', cell: (r) => r.reason ?? '' },
  { header: 'APPLICATION', cell: (r) => r.application ?? '' },
];

async function run(ctx: CommandContext): Promise<ExitCode> {
  const { values } = parseFlags(ctx.argv, {
    ...journalFlags,
    ...listingFlags,
    user: { type: 'string' },
    database: { type: 'string' },
    session: { type: 'string' },
    since: { type: 'string' },
    until: { type: 'string' },
    errors: { type: 'boolean' },
    open: { type: 'boolean' },
  });
  const { filter, options } = fromFlags(() => ({
    filter: sessionFilterFrom(values, Date.now()),
    options: pageOptions(values),
  }));
  const source = segmentSource(journalDir(values, ctx));
  const progress = progressOnTerminal(ctx);
  try {
    const rows = await listSessions(source, filter, {
      ...options,
      ...(progress.listener && { progress: progress.listener }),
    });
    progress.done();
    if (values.json) writeJsonLines(ctx, rows);
    else ctx.stdout.write(formatTable(columns, rows, terminalWidth(ctx)));
    return ExitCode.ok;
  } finally {
    source.close();
  }
}

/** The sessions command. */
export const sessionsCommand: Command = { name: 'sessions', summary: 'list recorded sessions', usage, run };
