/** `pgtrail proof`: an RFC 9162 inclusion or consistency proof over the journal's records, as JSON. */
import { journalProof } from '../../recorder/journal-proof.js';
import { ExitCode, parseFlags, UsageError, type Command, type CommandContext } from '../cli.js';
import { journalDir, journalFlags } from './journal-options.js';

const usage = `usage: pgtrail proof --journal DIR --index N [--size M]
       pgtrail proof --journal DIR --consistency A B

Prints one JSON object: the RFC 9162 proof, the tree heads it leads to (base64) and the signed
checkpoint of that tree when the journal holds one (the checkpoint record at index M).
  --journal DIR      journal directory (default: journal.dir of --config, else ./pgtrail-journal)
  --index N          inclusion proof of record N (0-based)
  --size M           in the tree of the first M records (default: the latest checkpoint's size)
  --consistency A B  consistency proof from the tree of A records to the tree of B records
`;

function count(name: string, value: string): number {
  if (!/^(0|[1-9][0-9]{0,15})$/.test(value) || !Number.isSafeInteger(Number(value)))
    throw new UsageError(`${name} must be a whole number`);
  return Number(value);
}

async function run(ctx: CommandContext): Promise<ExitCode> {
  const { values, positionals } = parseFlags(
    ctx.argv,
    { ...journalFlags, index: { type: 'string' }, size: { type: 'string' }, consistency: { type: 'boolean' } },
    true,
  );
  const dir = journalDir(values, ctx);
  let proof: Awaited<ReturnType<typeof journalProof>>;
  if (values.consistency === true) {
    const [a, b, ...extra] = positionals;
    if (a === undefined || b === undefined || extra.length > 0 || values.index !== undefined)
      throw new UsageError('--consistency takes two sizes, A and B, and no --index');
    proof = await journalProof(dir, { oldSize: count('A', a), newSize: count('B', b) });
  } else {
    if (values.index === undefined || positionals.length > 0)
      throw new UsageError('give --index N or --consistency A B');
    const index = count('--index', values.index);
    proof = await journalProof(
      dir,
      values.size === undefined ? { index } : { index, size: count('--size', values.size) },
    );
  }
  ctx.stdout.write(`${JSON.stringify(proof)}\n`);
  return ExitCode.ok;
}

/** The `proof` command. */
export const proofCommand: Command = {
  name: 'proof',
  summary: 'print an RFC 9162 inclusion or consistency proof as JSON',
  usage,
  run,
};
