/** `pgtrail verify`: check a journal offline and report every finding with its location. */
import { stat } from 'node:fs/promises';
import { loadConfig } from '../../config/load-config.js';
import { verifyJournalDir } from '../../recorder/verify-journal-dir.js';
import type { Finding } from '../../recorder/verify/journal-finding.js';
import type { JournalVerifyReport } from '../../recorder/verify/journal-verifier.js';
import { ExitCode, parseFlags, UsageError, type Command, type CommandContext } from '../cli.js';
import { verifyBundleFile } from './verify-bundle.js';

const usage = `usage: pgtrail verify --journal DIR [--vkey VKEY] [--state FILE] [--witness WVKEY ... [--quorum N]
                      [--allow-unwitnessed-tail]] [--json] [--config F]
       pgtrail verify --bundle FILE --vkey VKEY [--witness WVKEY ... --quorum N] [--json]

Checks every record, the hash chain, the Merkle tree against every checkpoint, every signature and the
continuity of segments. Exit 0: intact. Exit 1: findings (each names segment, line, offset, index).
Exit 2: usage or I/O error.
  --journal DIR   journal directory (default: journal.dir of --config, else ./pgtrail-journal); more
                  than once to verify several journals (one per recorder): each is checked on its own,
                  its output headed by "journal DIR" (in --json, a "journal" member); exit 1 if any fails
  --vkey VKEY     the verifier key to trust (from pgtrail keygen); repeatable. After keygen --rotate
                  the new key alone will do (its first checkpoint vouches for the history before it).
                  Without it the key the journal names is trusted: integrity, not authorship. With it,
                  a journal with no records at all (wiped) is a finding
  --state FILE    remember the last verified checkpoint in FILE and prove that the journal still
                  extends it: a rollback to an older copy or a rewritten history is a finding
  --witness WVKEY a witness's cosignature key (pgtrail witness prints it); repeatable. Reports which
                  checkpoints carry cosignatures by these witnesses and how many records come after
                  the last witnessed one; a cosignature by one of them that does not verify is a finding
  --quorum N      a checkpoint is witnessed with N distinct --witness cosignatures (default 1), and the
                  check fails (exit 1) unless one is and no record comes after the last witnessed
                  tree: records not yet witnessed could still be rewritten unnoticed
  --allow-unwitnessed-tail  with --quorum, records after the last witnessed tree do not fail the check
  --json          one JSON object per line: each finding ("kind":"finding"), then "kind":"summary"
  --bundle FILE   check an evidence bundle (pgtrail bundle; docs/bundles.md) instead of a journal: its
                  checkpoint signed by --vkey, every record's inclusion proof, the session chain (a
                  record removed, reordered or edited is a finding), and with --quorum N that N of the
                  --witness keys cosigned the checkpoint. A session open at bundle time is reported as
                  complete up to its last record
Not caught by verify alone: a journal cut back at one of its checkpoints; --state or witnesses catch it.
`;

function where(f: Finding): string {
  const parts: string[] = [];
  if (f.segment !== null) parts.push(f.segment);
  if (f.line !== null) parts.push(`line ${f.line}`);
  if (f.offset !== null) parts.push(`offset ${f.offset}`);
  if (f.index !== null) parts.push(`index ${f.index}`);
  return parts.length === 0 ? 'journal' : parts.join(' ');
}

/**
 * What a run of verify cannot see by itself: a journal cut back to one of its own checkpoints (and
 * the file replaced by that checkpoint) is intact on its own terms.
 */
const notCaught =
  'a journal cut back at one of its checkpoints (the latest-checkpoint file replaced with that one) passes: only --state FILE (what an earlier run verified) or witnesses that cosigned a later checkpoint catch that';

function summary(report: JournalVerifyReport) {
  return {
    kind: 'summary',
    intact: report.intact,
    findings: report.findings.length + report.findingsOmitted,
    records: report.records,
    segments: report.segments,
    checkpoints: report.checkpoints,
    keyRotations: report.keyRotations,
    recoveries: report.recoveries,
    origin: report.origin,
    keys: report.keys,
    keyPinned: report.keyPinned,
    unpinnedCheckpoints: report.unpinnedCheckpoints,
    notCaught,
    lastCheckpoint: report.lastCheckpoint,
    unsealedRecords: report.unsealedRecords,
    inProgressBytes: report.inProgressBytes,
    witnessing:
      report.witnessing === null
        ? null
        : {
            quorum: report.witnessing.quorum,
            witnessedCheckpoints: report.witnessing.witnessedSizes.length,
            lastWitnessed: report.witnessing.lastWitnessed,
            unwitnessedRecords: report.witnessing.unwitnessedRecords,
          },
    prunedRecords: report.pruned.records,
    prunedRanges: report.pruned.ranges,
    holds: report.holds,
    holdReleases: report.holdReleases,
  };
}

/** With --quorum: at least one witnessed tree, and nothing after the last one unless allowed. */
function witnessingFails(report: JournalVerifyReport, allowTail: boolean): string | null {
  const w = report.witnessing;
  if (w === null) return null;
  if (w.lastWitnessed === null) return `no checkpoint carries ${w.quorum} cosignatures by the given witnesses`;
  if (w.unwitnessedRecords > 0 && !allowTail)
    return `${w.unwitnessedRecords} records after the last witnessed tree (size ${w.lastWitnessed}) are not yet witnessed`;
  return null;
}

function count(name: string, value: string): number {
  if (!/^[1-9][0-9]{0,3}$/.test(value)) throw new UsageError(`${name} must be a whole number from 1`);
  return Number(value);
}

async function run(ctx: CommandContext): Promise<ExitCode> {
  const { values } = parseFlags(ctx.argv, {
    journal: { type: 'string', multiple: true },
    config: { type: 'string' },
    vkey: { type: 'string', multiple: true },
    state: { type: 'string' },
    json: { type: 'boolean' },
    witness: { type: 'string', multiple: true },
    quorum: { type: 'string' },
    'allow-unwitnessed-tail': { type: 'boolean' },
    bundle: { type: 'string' },
  });
  const witnessKeys = values.witness ?? [];
  if (values.quorum !== undefined && witnessKeys.length === 0) throw new UsageError('--quorum needs --witness keys');
  const quorum = values.quorum === undefined ? undefined : count('--quorum', values.quorum);
  if (quorum !== undefined && quorum > witnessKeys.length)
    throw new UsageError(`--quorum ${quorum} is more than the ${witnessKeys.length} --witness keys given`);
  if (values.bundle !== undefined) {
    if (values.journal !== undefined || values.state !== undefined)
      throw new UsageError('--bundle takes no --journal or --state');
    return verifyBundleFile(ctx, {
      file: values.bundle,
      vkeys: values.vkey ?? [],
      witnessKeys,
      quorum,
      json: values.json === true,
    });
  }
  const dirs =
    values.journal !== undefined && values.journal.length > 0
      ? values.journal
      : [loadConfig({ file: values.config ?? null, env: ctx.env, flags: [] }).journal.dir];
  if (dirs.length > 1 && values.state !== undefined) throw new UsageError('--state takes one journal');
  for (const dir of dirs) {
    const isDir = await stat(dir).then(
      (s) => s.isDirectory(),
      () => false,
    );
    if (!isDir) throw new UsageError(`no journal directory at ${dir}`);
  }
  const pinnedKeys = values.vkey === undefined || values.vkey.length === 0 ? null : values.vkey;
  let intact = true;
  for (const dir of dirs) {
    const report = await verifyJournalDir(dir, {
      pinnedKeys,
      stateFile: values.state ?? null,
      ...(witnessKeys.length > 0 ? { witnessKeys } : {}),
      ...(quorum === undefined ? {} : { quorum }),
    });
    const witnessFailure =
      quorum === undefined ? null : witnessingFails(report, values['allow-unwitnessed-tail'] === true);
    const named = dirs.length > 1 ? dir : null;
    if (values.json === true) writeJson(ctx, report, named, witnessFailure);
    else writeText(ctx, report, named, witnessFailure);
    intact &&= report.intact && witnessFailure === null;
  }
  if (pinnedKeys === null)
    ctx.stderr.write(
      'pgtrail verify: no --vkey given: trusted the key the journal names (integrity, not authorship)\n',
    );
  return intact ? ExitCode.ok : ExitCode.checkFailed;
}

function writeJson(
  ctx: CommandContext,
  report: JournalVerifyReport,
  journal: string | null,
  notWitnessed: string | null,
): void {
  const tag = journal === null ? {} : { journal };
  for (const f of report.findings) ctx.stdout.write(`${JSON.stringify({ kind: 'finding', ...tag, ...f })}\n`);
  ctx.stdout.write(`${JSON.stringify({ ...summary(report), ...tag, notWitnessed })}\n`);
}

function writeText(
  ctx: CommandContext,
  report: JournalVerifyReport,
  journal: string | null,
  notWitnessed: string | null,
): void {
  if (journal !== null) ctx.stdout.write(`journal ${journal}\n`);
  for (const f of report.findings) ctx.stdout.write(`${f.code} at ${where(f)}: ${f.message}\n`);
  if (report.findingsOmitted > 0) ctx.stdout.write(`... and ${report.findingsOmitted} more findings\n`);
  const s = summary(report);
  ctx.stdout.write(
    `${report.intact ? 'intact' : 'NOT INTACT'}: ${s.records} records in ${s.segments} segments, ${s.checkpoints} checkpoints, ` +
      `${s.keyRotations} key rotations, ${s.recoveries} recoveries, ${s.findings} findings\n`,
  );
  if (report.lastCheckpoint !== null) {
    ctx.stdout.write(
      `last checkpoint: size ${report.lastCheckpoint.size} root ${report.lastCheckpoint.root}; ${report.unsealedRecords} records after it\n`,
    );
  }
  if (report.pruned.records > 0) {
    const ranges = report.pruned.ranges.map((r) => `${r.segment} ${r.first}-${r.last}`);
    const shown = ranges.slice(0, 20).join(', ') + (ranges.length > 20 ? `, ... (${ranges.length} ranges)` : '');
    ctx.stdout.write(`pruned: ${report.pruned.records} records, leaf hashes kept (${shown})\n`);
  }
  if (report.holds > 0)
    ctx.stdout.write(
      `legal holds: ${report.holds}${report.holdReleases > 0 ? `, ${report.holdReleases} released` : ''}\n`,
    );
  if (report.unpinnedCheckpoints > 0)
    ctx.stdout.write(
      `${report.unpinnedCheckpoints} checkpoints signed by a key that was not pinned, before the hand-over to a pinned key; the pinned key's checkpoints vouch for them\n`,
    );
  const w = report.witnessing;
  if (w !== null)
    ctx.stdout.write(
      w.lastWitnessed === null
        ? `witnessed: no checkpoint carries ${w.quorum} cosignatures by the ${w.witnesses.length} given witnesses\n`
        : `witnessed: ${w.witnessedSizes.length} checkpoints with ${w.quorum} of ${w.witnesses.length} witnesses, the last of size ${w.lastWitnessed}; ${w.unwitnessedRecords} records after it not yet witnessed\n`,
    );
  if (notWitnessed !== null) ctx.stdout.write(`NOT WITNESSED: ${notWitnessed}\n`);
  ctx.stdout.write(`not caught by verify alone: ${notCaught}\n`);
  if (report.inProgressBytes > 0)
    ctx.stdout.write(
      `a writer is running: ${report.inProgressBytes} bytes of a record being written were not checked\n`,
    );
}

/** The `verify` command. */
export const verifyCommand: Command = {
  name: 'verify',
  summary: 'verify a journal offline; exit 1 on any finding',
  usage,
  run,
};
