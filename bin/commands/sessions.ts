/** `pgtrail sessions`: list recorded sessions, filtered, as a table or JSON lines. */
import { ExitCode, parseFlags, UsageError, type Command, type CommandContext } from '../cli.js';
import { listAuthFailures } from '../../search/list-auth-failures.js';
import { listSessions, type SessionFilter } from '../../search/list-sessions.js';
import type { JournalSource } from '../../search/journal-source.js';
import { openIndex, type OpenedIndex } from '../../search/open-index.js';
import { segmentSource } from '../../search/segment-source.js';
import { resolveSessionName } from '../../search/session-names.js';
import { sessionFilterFrom } from '../../search/query-params.js';
import {
  journalDirs,
  journalsFlags,
  listingFlags,
  listingForm,
  listingOptions,
  progressOnTerminal,
  fromFlags,
} from './journal-options.js';
import {
  authFailureColumns,
  expandedAuthFailureFields,
  expandedSessionFields,
  sessionColumns,
  wideAuthFailureColumns,
  wideSessionColumns,
} from './session-listing.js';
import { queryJournals } from './merged-journals.js';
import { writeListing } from './write-listing.js';

const usage = `usage: pgtrail sessions --journal DIR [filters] [--limit N] [--order asc|desc] [--wide|--expanded|--json]

Lists recorded sessions in the order they opened.
  --journal DIR      the journal directory (else journal.dir from --config F, else ./pgtrail-journal);
                     give it more than once to list several journals, merged in time order
  --user U           sessions of this authenticated identity
  --database D       sessions on this database
  --session S        one session: its id, a prefix only it has, or ID#N as search prints it
  --since T          sessions still open at or after T: ISO 8601 or an age: 90s, 15m, 2h, 7d, 1w
  --until T          sessions opened before T
  --errors           only sessions with at least one failed statement
  --open             only sessions open now (no session.closed record yet)
  --failed           failed logins instead (session.auth_failed): time, user, database, client,
                     method, SQLSTATE and reason; --user is the name the client gave, --since and
                     --until bound the time of the failure
  --limit N          at most N sessions (after ordering)
  --order asc|desc   oldest (default) or newest first
  --wide             a table of whole values, one line per session
  -x, --expanded     one record per session, one field per line (psql's \\x)
  --json             one JSON object per line: session, seq, opened, closed, user, database, role,
                     client, upstream, upstream_system_id, application, instance, reason, duration_ms,
                     statements, errors (with --failed: ts, seq, session, user, database, client,
                     application, method, code, reason)
 The table fits the terminal's width (COLUMNS, else 80, when not a terminal).
`;

async function run(ctx: CommandContext): Promise<ExitCode> {
  const { values } = parseFlags(ctx.argv, {
    ...journalsFlags,
    ...listingFlags,
    user: { type: 'string' },
    database: { type: 'string' },
    session: { type: 'string' },
    since: { type: 'string' },
    until: { type: 'string' },
    errors: { type: 'boolean' },
    failed: { type: 'boolean' },
    open: { type: 'boolean' },
  });
  if (values.failed && values.errors) throw new UsageError('--failed and --errors cannot be combined');
  const form = listingForm(values);
  const listing = listingOptions(values);
  // Read by the same code as the viewer's /api/sessions (search/query-params.ts); --session is resolved below.
  const { user, database, since, until, errors, open } = values;
  const filter: SessionFilter = fromFlags(() =>
    sessionFilterFrom({ user, database, since, until, errors, open }, Date.now()),
  );

  const progress = progressOnTerminal(ctx);
  const dirs = journalDirs(values, ctx);
  const listOne = async <T extends object>(dir: string, list: ListFn<T>) => {
    const source = segmentSource(dir);
    try {
      const opened = await openIndex(source, progress.listener ? { progress: progress.listener } : {});
      progress.done();
      const session = values.session === undefined ? undefined : resolveSessionName(opened.index, values.session);
      const selected = session === undefined ? filter : { ...filter, session: session ?? '' };
      const rows = session === null ? [] : await list(source, selected, { ...listing, opened });
      return { rows, index: opened.index };
    } finally {
      progress.done();
      source.close();
    }
  };
  if (values.failed) {
    const merged = await queryJournals(
      dirs,
      (dir) => listOne(dir, listAuthFailures),
      (r) => r.ts,
      listing.order,
      listing.limit,
    );
    writeListing(ctx, form, merged.rows, authFailureViews, merged.index);
  } else {
    const merged = await queryJournals(
      dirs,
      (dir) => listOne(dir, listSessions),
      (r) => r.opened,
      listing.order,
      listing.limit,
    );
    writeListing(ctx, form, merged.rows, sessionViews, merged.index);
  }
  return ExitCode.ok;
}

type ListFn<T> = (
  source: JournalSource,
  filter: SessionFilter,
  options: { readonly limit: number | null; readonly order: 'asc' | 'desc'; readonly opened: OpenedIndex },
) => Promise<T[]>;

const sessionViews = {
  table: sessionColumns,
  wide: wideSessionColumns,
  expanded: expandedSessionFields,
  session: (r: { session: string }) => r.session,
  noun: ['session', 'sessions'],
} as const;

const authFailureViews = {
  table: authFailureColumns,
  wide: wideAuthFailureColumns,
  expanded: expandedAuthFailureFields,
  session: (r: { session: string }) => r.session,
  noun: ['failed login', 'failed logins'],
} as const;

/** The sessions command. */
export const sessionsCommand: Command = {
  name: 'sessions',
  summary: 'list recorded sessions, or failed logins (--failed)',
  usage,
  run,
};
