/** `pgtrail keygen`: create (or rotate) the journal's Ed25519 signing key and print its verifier key. */
import { loadConfig } from '../../config/load-config.js';
import { createSigningKey, insideJournalWarning, locateSigningKey } from '../../recorder/signing-key.js';
import { ExitCode, parseFlags, type Command, type CommandContext } from '../cli.js';

const usage = `usage: pgtrail keygen --journal DIR [--rotate] [--config F]

Creates the journal's Ed25519 signing key (mode 0600) OUTSIDE the journal directory, in DIR.signing-key
beside it (or journal.keyFile of --config), so that a copy of the journal never carries it, and prints its
verifier key (vkey) in signed-note form, NAME+KEYID+KEY. Give the vkey to auditors: pgtrail verify --vkey VKEY.
  --journal DIR   journal directory (default: journal.dir of --config, else ./pgtrail-journal)
  --rotate        replace an existing key; the old one is kept as KEYFILE.retired-KEYID until the
                  next writer start has recorded the hand-over (signed by the old key), then destroyed
Refuses to overwrite an existing key without --rotate. docs/identity.md (key custody) says more.
`;

async function run(ctx: CommandContext): Promise<ExitCode> {
  const { values } = parseFlags(ctx.argv, {
    journal: { type: 'string' },
    config: { type: 'string' },
    rotate: { type: 'boolean' },
  });
  const flags =
    values.journal === undefined ? [] : [{ key: 'journal.dir', value: values.journal, source: 'flag --journal' }];
  const journal = loadConfig({ file: values.config ?? null, env: ctx.env, flags }).journal;
  const key = await locateSigningKey(journal.dir, journal.keyFile);
  if (key.insideJournal) ctx.stderr.write(`pgtrail keygen: ${insideJournalWarning(journal.dir, key.path)}\n`);
  const vkey = await createSigningKey(journal.dir, { rotate: values.rotate === true, keyFile: key.path });
  ctx.stdout.write(`${vkey}\n`);
  return ExitCode.ok;
}

/** The `keygen` command. */
export const keygenCommand: Command = {
  name: 'keygen',
  summary: "create the journal's signing key and print its vkey",
  usage,
  run,
};
