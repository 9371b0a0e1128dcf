/** `pgtrail verify --bundle FILE`: checks an evidence bundle (docs/bundles.md) with recorder/verify/bundle-check.ts. */
import { readFile } from 'node:fs/promises';
import { checkBundle, parseBundle, type BundleReport } from '../../recorder/verify/bundle-check.js';
import { nodeSha256 } from '../../recorder/node-sha256.js';
import { ExitCode, UsageError, type CommandContext } from '../cli.js';

/** What verify passes on for a bundle: the file, the keys, the witnesses and the output form. */
export interface BundleVerifyRequest {
  readonly file: string;
  readonly vkeys: readonly string[];
  readonly witnessKeys: readonly string[];
  readonly quorum: number | undefined;
  readonly json: boolean;
}

/** Checks one bundle and prints the findings and a summary; exit 0 intact, 1 findings (2 is thrown). */
export async function verifyBundleFile(ctx: CommandContext, request: BundleVerifyRequest): Promise<ExitCode> {
  if (request.vkeys.length === 0)
    throw new UsageError('--bundle needs --vkey: a bundle is only evidence against a pinned key');
  const bundle = parseBundle(await readFile(request.file, 'utf8'));
  let report: BundleReport;
  try {
    report = checkBundle(bundle, {
      vkeys: request.vkeys,
      witnessKeys: request.witnessKeys,
      ...(request.quorum === undefined ? {} : { quorum: request.quorum }),
      sha256: nodeSha256,
    });
  } catch (err) {
    throw new UsageError(`a --vkey or --witness key is malformed: ${err instanceof Error ? err.message : String(err)}`);
  }
  const completeness = report.closed
    ? `complete: ${report.upTo} records, opening to close`
    : `complete up to record ${report.upTo} of the session: it was still open at the checkpoint`;
  if (request.json) {
    for (const f of report.findings) ctx.stdout.write(`${JSON.stringify({ kind: 'finding', ...f })}\n`);
    ctx.stdout.write(`${JSON.stringify({ kind: 'summary', ...report, findings: report.findings.length })}\n`);
  } else {
    for (const f of report.findings)
      ctx.stdout.write(`${f.code}${f.index === null ? '' : ` at index ${f.index}`}: ${f.message}\n`);
    ctx.stdout.write(
      `${report.intact ? 'intact' : 'NOT INTACT'}: bundle of session ${report.session}, ${report.records} records ` +
        `in the signed tree of size ${report.treeSize}; ${completeness}; ${report.findings.length} findings\n`,
    );
    if (request.witnessKeys.length > 0)
      ctx.stdout.write(
        `witnessed: ${report.witnessed} of ${request.witnessKeys.length} given witnesses cosigned the checkpoint\n`,
      );
  }
  return report.intact ? ExitCode.ok : ExitCode.checkFailed;
}
