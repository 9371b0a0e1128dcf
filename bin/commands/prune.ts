/** `pgtrail prune`: remove the content of old records while every hash, proof and signature stays valid. */
import { pruneJournal } from '../../retention/prune-journal.js';
import { ExitCode, parseFlags, UsageError, type Command, type CommandContext } from '../cli.js';
import { journalDir, journalFlags, timeFlag } from './journal-options.js';

const usage = `usage: pgtrail prune --journal DIR --before TIME [--keep-sessions-open] [--json]

Replaces each session and statement record older than TIME by its pruned form: its SQL, parameters,
rows and names are removed, its leaf hash is kept, so checkpoints, proofs and verify still check out
(docs/journal-format.md section 10). Records under a legal hold (pgtrail hold) are never pruned.
  --journal DIR          the journal directory (else journal.dir from --config F)
  --before TIME          ISO 8601 (UTC unless an offset is given) or an age: 90d, 12w, 2160h
  --keep-sessions-open   keep every record of a session that had not closed by TIME
  --json                 print the result as one JSON object
Safe beside a running writer: only closed segments are rewritten, each atomically (write, fsync, rename).
`;

async function run(ctx: CommandContext): Promise<ExitCode> {
  const { values } = parseFlags(ctx.argv, {
    ...journalFlags,
    before: { type: 'string' },
    'keep-sessions-open': { type: 'boolean' },
    json: { type: 'boolean' },
  });
  const before = timeFlag('before', values.before, Date.now());
  if (before === undefined) throw new UsageError('--before TIME is required');
  const report = await pruneJournal({
    dir: journalDir(values, ctx),
    before,
    keepSessionsOpen: values['keep-sessions-open'] === true,
  });
  if (values.json) ctx.stdout.write(`${JSON.stringify({ before: new Date(before).toISOString(), ...report })}\n`);
  else
    ctx.stdout.write(
      `pruned ${report.pruned} records in ${report.segments.length} segments before ${new Date(before).toISOString()}; ` +
        `kept ${report.held} under legal hold, ${report.keptOpen} of open sessions, ` +
        `${report.inOpenSegment} in the segment being written\n`,
    );
  return ExitCode.ok;
}

/** The `prune` command. */
export const pruneCommand: Command = {
  name: 'prune',
  summary: 'remove old records’ content, keeping every hash, proof and signature valid',
  usage,
  run,
};
