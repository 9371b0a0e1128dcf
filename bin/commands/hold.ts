/** `pgtrail hold`: a legal hold, recorded in the journal, that prune never removes. */
import { loadConfig } from '../../config/load-config.js';
import type { HoldScope } from '../../recorder/format/hold-record.js';
import { JournalError, JournalErrorCode } from '../../recorder/journal-error.js';
import { listSegments } from '../../recorder/journal-scan.js';
import { openJournalWriter } from '../../recorder/journal-writer.js';
import { locateSigningKey } from '../../recorder/signing-key.js';
import { newHold, writePendingHold } from '../../retention/legal-holds.js';
import { ExitCode, parseFlags, UsageError, type Command, type CommandContext } from '../cli.js';
import { timeFlag } from './journal-options.js';

const usage = `usage: pgtrail hold --journal DIR (SESSION | --user U | --before TIME) [--reason TEXT]

Places a legal hold: pgtrail prune never removes the records it covers. The hold is a record in the
journal (docs/journal-format.md section 11). When a writer (pgtrail start) holds the journal, the hold
waits in DIR/holds-pending/, is honoured by prune at once, and the writer records it within seconds.
  SESSION          every record of that session
  --user U         every record of every session of identity U
  --before TIME    every record older than TIME (ISO 8601 or an age: 30d)
  --reason TEXT    why (kept in the hold record; at most 1024 characters)
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
    },
    true,
  );
  const scopes: HoldScope[] = [];
  if (positionals.length > 1) throw new UsageError('at most one SESSION');
  if (positionals[0] !== undefined) scopes.push({ session: positionals[0] });
  if (values.user !== undefined) scopes.push({ user: values.user });
  const before = timeFlag('before', values.before, Date.now());
  if (before !== undefined) scopes.push({ before });
  if (scopes.length !== 1) throw new UsageError('give exactly one of SESSION, --user U, --before TIME');
  if (values.reason !== undefined && values.reason.length > 1024) throw new UsageError('--reason is too long');
  const flags =
    values.journal === undefined ? [] : [{ key: 'journal.dir', value: values.journal, source: 'flag --journal' }];
  const journal = loadConfig({ file: values.config ?? null, env: ctx.env, flags }).journal;
  if ((await listSegments(journal.dir).catch(() => [])).length === 0)
    throw new UsageError(`there is no journal at ${journal.dir}`);
  const hold = newHold(scopes[0]!, values.reason ?? null);
  const key = await locateSigningKey(journal.dir, journal.keyFile);
  let writer: Awaited<ReturnType<typeof openJournalWriter>>;
  try {
    writer = await openJournalWriter({ ...journal, keyFile: key.path });
  } catch (err) {
    if (!(err instanceof JournalError && err.code === JournalErrorCode.locked)) throw err;
    await writePendingHold(journal.dir, hold);
    ctx.stdout.write(`hold ${hold.id} placed; the running writer will record it in the journal\n`);
    return ExitCode.ok;
  }
  try {
    await writer.appendHold(hold);
    ctx.stdout.write(`hold ${hold.id} recorded at index ${writer.size - 1}\n`);
  } finally {
    await writer.close();
  }
  return ExitCode.ok;
}

/** The `hold` command. */
export const holdCommand: Command = {
  name: 'hold',
  summary: 'place a legal hold: records prune must keep',
  usage,
  run,
};
