/** `pgtrail bundle`: one session as an evidence bundle file (docs/bundles.md). */
import { writeFile } from 'node:fs/promises';
import { buildBundle } from '../../recorder/bundle-builder.js';
import { ExitCode, parseFlags, UsageError, type Command, type CommandContext } from '../cli.js';
import { journalDir, journalFlags } from './journal-options.js';

const usage = `usage: pgtrail bundle SESSION --journal DIR --out FILE [--cosigned]

Writes one session as an evidence bundle: its records, an RFC 9162 inclusion proof of each in the tree
of the latest signed checkpoint (with the witness cosignatures the journal holds for it), and the
session chain that proves no record of the session is missing. Check it anywhere with
pgtrail verify --bundle FILE --vkey VKEY [--witness WVKEY ... --quorum N].
  SESSION         the session's id, or a prefix of it that only one session has (as search and replay)
  --journal DIR   journal directory (default: journal.dir of --config, else ./pgtrail-journal)
  --out FILE      where to write the bundle (created mode 0600: it holds the session's SQL)
  --cosigned      against the latest checkpoint a witness cosigned instead of the latest one (the
                  checkpoint a writer writes when it stops is never cosigned), for verify --quorum
A session still open at the checkpoint is bundled up to it, and the bundle says so.
`;

async function run(ctx: CommandContext): Promise<ExitCode> {
  const { values, positionals } = parseFlags(
    ctx.argv,
    { ...journalFlags, out: { type: 'string' }, cosigned: { type: 'boolean' } },
    true,
  );
  const [session, ...extra] = positionals;
  if (session === undefined || extra.length > 0) throw new UsageError('give one SESSION');
  if (values.out === undefined) throw new UsageError('--out FILE is required');
  const bundle = await buildBundle(journalDir(values, ctx), session, values.cosigned === true);
  await writeFile(values.out, `${JSON.stringify(bundle)}\n`, { mode: 0o600 });
  const state = bundle.closed ? 'closed' : 'still open at the checkpoint (complete up to its last record here)';
  ctx.stdout.write(
    `bundle: session ${bundle.session}, ${bundle.records.length} records, ${state}; written to ${values.out}\n`,
  );
  return ExitCode.ok;
}

/** The `bundle` command. */
export const bundleCommand: Command = {
  name: 'bundle',
  summary: 'write one session as an evidence bundle (records, proofs, completeness)',
  usage,
  run,
};
