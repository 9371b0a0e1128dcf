/**
 * Runs the verifier (verify/journal-verifier.ts) over a journal directory on disk, with
 * node:crypto's SHA-256 and node:buffer's UTF-8 check, and keeps the --state file: what was verified last time, so that a
 * rollback or a rewritten history is caught the next time.
 */
import { isUtf8 } from 'node:buffer';
import { readdir, readFile, rename, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { latestCheckpointFile } from './journal-files.js';
import { lockFile } from './journal-lock.js';
import { nodeSha256, nodeSha256Into } from './node-sha256.js';
import { readSegmentChunks } from './segment-reader.js';
import { verifyJournal, type JournalVerifyReport, type VerifiedTree } from './verify/journal-verifier.js';
import { parseSegmentName } from './format/segment-name.js';
import { VerifyError, VerifyErrorCode } from './verify/verify-error.js';

/** Options of `pgtrail verify`. */
export interface VerifyJournalDirOptions {
  readonly pinnedKeys: readonly string[] | null;
  /** The --state file: read before, updated after a clean run. */
  readonly stateFile: string | null;
  /** Witness cosigner keys (--witness) and how many must cosign a checkpoint (--quorum). */
  readonly witnessKeys?: readonly string[];
  readonly quorum?: number;
}

/** Reads a --state file: JSON `{"size":N,"root":"<base64>"}`, or null when it does not exist yet. */
export async function readVerifyState(path: string): Promise<VerifiedTree | null> {
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return null;
    throw err;
  }
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch {
    parsed = null;
  }
  const state = parsed as { size?: unknown; root?: unknown } | null;
  if (
    typeof state?.size !== 'number' ||
    !Number.isSafeInteger(state.size) ||
    state.size < 0 ||
    typeof state.root !== 'string'
  ) {
    throw new VerifyError(VerifyErrorCode.stateMalformed, `the state file ${path} is not one pgtrail verify wrote`);
  }
  return { size: state.size, root: state.root };
}

/** True when the journal's lock names a running process (the journal is being written). */
async function isWriterRunning(dir: string): Promise<boolean> {
  const pid = Number((await readFile(join(dir, lockFile), 'utf8').catch(() => '')).trim());
  if (!Number.isInteger(pid) || pid <= 0) return false;
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/** Verifies the journal in `dir`; I/O errors and a malformed --vkey or --state throw. */
export async function verifyJournalDir(dir: string, options: VerifyJournalDirOptions): Promise<JournalVerifyReport> {
  // The checkpoint file first, then the segments: a live writer only adds records after what the file names.
  let latestCheckpoint: string | null = null;
  try {
    latestCheckpoint = await readFile(join(dir, latestCheckpointFile), 'utf8');
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw err;
  }
  const names = await readdir(dir);
  const segments = names
    .filter((n) => parseSegmentName(n) !== null)
    .map((name) => ({ name, read: () => readFile(join(dir, name)), chunks: () => readSegmentChunks(join(dir, name)) }));
  const remembered = options.stateFile === null ? null : await readVerifyState(options.stateFile);
  const writerActive = await isWriterRunning(dir);
  const report = await verifyJournal({
    segments,
    latestCheckpoint,
    pinnedKeys: options.pinnedKeys,
    remembered,
    sha256: nodeSha256,
    sha256Into: nodeSha256Into,
    isUtf8,
    writerActive,
    ...(options.witnessKeys === undefined ? {} : { witnessKeys: options.witnessKeys }),
    ...(options.quorum === undefined ? {} : { quorum: options.quorum }),
  });
  if (options.stateFile !== null && report.intact && report.verified !== null) {
    const tmp = `${options.stateFile}.tmp-${process.pid}`;
    await writeFile(tmp, `${JSON.stringify(report.verified)}\n`);
    await rename(tmp, options.stateFile);
  }
  return report;
}
