/** `pgtrail keygen`: create (or rotate) the journal's Ed25519 signing key and print its verifier key. */
import { loadConfig } from '../../config/load-config.js';
import { createSigningKey } from '../../recorder/signing-key.js';
import { ExitCode, parseFlags, type Command, type CommandContext } from '../cli.js';

const usage = `usage: pgtrail keygen --journal DIR [--rotate] [--config F]

Creates the journal's Ed25519 signing key in DIR/signing-key, or journal.keyFile (mode 0600), and prints its verifier key
(vkey) in signed-note form, NAME+KEYID+KEY. Give the vkey to auditors: pgtrail verify --vkey VKEY.
  --journal DIR   journal directory (default: journal.dir of --config, else ./pgtrail-journal)
  --rotate        replace an existing key; the old one is kept as signing-key.retired-KEYID and the
                  next writer start records the hand-over, signed by the old key
Refuses to overwrite an existing key without --rotate.
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
  const vkey = await createSigningKey(journal.dir, {
    rotate: values.rotate === true,
    ...(journal.keyFile === null || journal.keyFile === undefined ? {} : { keyFile: journal.keyFile }),
  });
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
