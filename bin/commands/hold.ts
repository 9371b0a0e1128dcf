/** `pgtrail hold`: place, release and list legal holds, recorded in the journal, that prune honours. */
import { loadConfig } from '../../config/load-config.js';
import type { JournalConfig } from '../../config/config.js';
import { isHoldId, type HoldRelease, type HoldScope, type LegalHold } from '../../recorder/format/hold-record.js';
import { JournalError, JournalErrorCode } from '../../recorder/journal-error.js';
import { listSegments } from '../../recorder/journal-scan.js';
import { openJournalWriter } from '../../recorder/journal-writer.js';
import { locateSigningKey } from '../../recorder/signing-key.js';
import { readHoldLedger, type HoldEntry } from '../../retention/hold-ledger.js';
import { ingestPendingHolds, newHold, writePendingHold } from '../../retention/legal-holds.js';
import { countLine, formatTable, oneLine } from '../../search/format-table.js';
import { ExitCode, parseFlags, UsageError, type Command, type CommandContext } from '../cli.js';
import { terminalWidth, timeFlag, writeJsonLines } from './journal-options.js';

const usage = `usage: pgtrail hold --journal DIR (SESSION | --user U | --before TIME) [--reason TEXT]
       pgtrail hold --journal DIR --release HOLD_ID [--reason TEXT]
       pgtrail hold --journal DIR --list [--json]

Places a legal hold: pgtrail prune never removes the records it covers. The hold is a record in the
journal (docs/journal-format.md section 11); so is its release, after which prune may remove those
records. When a writer (pgtrail start, pgtrail recorder) holds the journal, the hold or release
waits in DIR/holds-pending/, is honoured by prune at once, and the writer records it within seconds.
  SESSION          every record of that session
  --user U         every record of every session of identity U
  --before TIME    every record older than TIME (ISO 8601 or an age: 30d)
  --reason TEXT    why (kept in the hold or release record; at most 1024 characters)
  --release ID     release the hold ID (as placing it or --list printed it)
  --list           every hold: when placed, what it covers, in force or released (--json: one object per line)
`;

async function run(ctx: CommandContext): Promise<ExitCode> {
  const { values, positionals } = parseFlags(
    ctx.argv,
    {
      journal: { type: 'string' },
      config: { type: 'string' },
      user: { type: 'string' },
      before: { type: 'string' },
      reason: { type: 'string' },
      release: { type: 'string' },
      list: { type: 'boolean' },
      json: { type: 'boolean' },
    },
    true,
  );
  if (values.reason !== undefined && values.reason.length > 1024) throw new UsageError('--reason is too long');
  const flags =
    values.journal === undefined ? [] : [{ key: 'journal.dir', value: values.journal, source: 'flag --journal' }];
  const journal = loadConfig({ file: values.config ?? null, env: ctx.env, flags }).journal;
  const placing = positionals.length > 0 || values.user !== undefined || values.before !== undefined;
  if ([placing, values.release !== undefined, values.list === true].filter(Boolean).length !== 1)
    throw new UsageError('give one of SESSION, --user U, --before TIME, --release HOLD_ID or --list');
  if (values.json === true && values.list !== true) throw new UsageError('--json goes with --list');
  if ((await listSegments(journal.dir).catch(() => [])).length === 0)
    throw new UsageError(`there is no journal at ${journal.dir}`);

  if (values.list === true) {
    if (values.reason !== undefined) throw new UsageError('--reason does not go with --list');
    listHolds(ctx, (await readHoldLedger(journal.dir)).entries, values.json === true);
    return ExitCode.ok;
  }
  if (values.release !== undefined) {
    const id = values.release;
    if (!isHoldId(id)) throw new UsageError('--release takes a hold id (hold-…), as --list prints it');
    const entry = (await readHoldLedger(journal.dir)).entries.find((e) => e.hold.id === id);
    if (entry === undefined) throw new UsageError(`${journal.dir} has no hold ${id}`);
    if (entry.released !== null) throw new UsageError(`hold ${id} was released already`);
    const release: HoldRelease = { hold: id, ts: Date.now(), reason: values.reason ?? null };
    return record(ctx, journal, release, `hold ${id} released`);
  }
  const scopes: HoldScope[] = [];
  if (positionals.length > 1) throw new UsageError('at most one SESSION');
  if (positionals[0] !== undefined) scopes.push({ session: positionals[0] });
  if (values.user !== undefined) scopes.push({ user: values.user });
  const before = timeFlag('before', values.before, Date.now());
  if (before !== undefined) scopes.push({ before });
  if (scopes.length !== 1) throw new UsageError('give exactly one of SESSION, --user U, --before TIME');
  const hold = newHold(scopes[0]!, values.reason ?? null);
  return record(ctx, journal, hold, `hold ${hold.id}`);
}

/**
 * Appends a hold or a release through a writer of our own, or, when a writer runs (the journal is
 * locked), leaves it in the pending folder for that writer.
 */
async function record(
  ctx: CommandContext,
  journal: JournalConfig,
  item: LegalHold | HoldRelease,
  what: string,
): Promise<ExitCode> {
  const key = await locateSigningKey(journal.dir, journal.keyFile);
  let writer: Awaited<ReturnType<typeof openJournalWriter>>;
  try {
    writer = await openJournalWriter({ ...journal, keyFile: key.path });
  } catch (err) {
    if (!(err instanceof JournalError && err.code === JournalErrorCode.locked)) throw err;
    await writePendingHold(journal.dir, item);
    ctx.stdout.write(`${what} placed; the running writer will record it in the journal\n`);
    return ExitCode.ok;
  }
  try {
    // Holds a stopped writer left pending go first: a release must come after the hold it names.
    await ingestPendingHolds(journal.dir, writer);
    await writer.appendHold(item);
    ctx.stdout.write(`${what} recorded at index ${writer.size - 1}\n`);
  } finally {
    await writer.close();
  }
  return ExitCode.ok;
}

function scopeText(hold: LegalHold): string {
  const scope = hold.scope;
  if ('session' in scope) return `session ${scope.session}`;
  if ('user' in scope) return `user ${scope.user}`;
  return `before ${new Date(scope.before).toISOString()}`;
}

function listHolds(ctx: CommandContext, entries: readonly HoldEntry[], json: boolean): void {
  if (json) {
    writeJsonLines(
      ctx,
      entries.map((e) => ({
        id: e.hold.id,
        ts: new Date(e.hold.ts).toISOString(),
        scope: e.hold.scope,
        reason: e.hold.reason,
        recorded: e.recordedAt,
        inForce: e.released === null,
        released:
          e.released === null
            ? null
            : { ts: new Date(e.released.ts).toISOString(), reason: e.released.reason, recorded: e.released.recordedAt },
      })),
    );
    return;
  }
  const pending = (index: number | null) => (index === null ? ' (pending)' : '');
  const table = formatTable<HoldEntry>(
    [
      { header: 'hold', cell: (e) => e.hold.id },
      { header: 'placed', cell: (e) => `${new Date(e.hold.ts).toISOString()}${pending(e.recordedAt)}` },
      { header: 'covers', cell: (e) => oneLine(scopeText(e.hold)), max: 60 },
      {
        header: 'state',
        cell: (e) =>
          e.released === null
            ? 'in force'
            : `released ${new Date(e.released.ts).toISOString()}${pending(e.released.recordedAt)}`,
      },
      { header: 'reason', cell: (e) => oneLine(e.hold.reason ?? '') },
    ],
    entries,
    terminalWidth(ctx),
  );
  ctx.stdout.write(table + countLine(entries.length, 'hold', 'holds'));
}

/** The `hold` command. */
export const holdCommand: Command = {
  name: 'hold',
  summary: 'place, release or list legal holds: records prune must keep',
  usage,
  run,
};
