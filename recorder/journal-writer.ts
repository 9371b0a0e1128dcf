/**
 * Opens the journal writer (docs/journal-format.md): takes the lock, checks the journal it reopens,
 * recovers a torn final write and hands over a changed signing key; the open writer itself, with its
 * group commit and checkpoints, is group-commit-writer.ts, and its interface journal-writer-types.ts.
 */
import { join } from 'node:path';
import type { JournalPosition } from './batch-encoder.js';
import { GroupCommitWriter } from './group-commit-writer.js';
import { JournalError, JournalErrorCode } from './journal-error.js';
import { acquireJournalLock } from './journal-lock.js';
import { cutTornWrite } from './journal-recovery.js';
import { scanJournal } from './journal-scan.js';
import { makeDirectory } from './make-directory.js';
import type { JournalWriter, JournalWriterOptions } from './journal-writer-types.js';
import { nodeSha256 } from './node-sha256.js';
import { destroyRetiredSigningKeys } from './retired-keys.js';
import { openSegmentFile } from './segment-io.js';
import { loadRetiredSigningKey, loadSigningKey, locateSigningKey } from './signing-key.js';
import { parseVerifierKey } from './format/note.js';
import { RecordKind } from './format/record-line.js';
import { segmentName } from './format/segment-name.js';
import { sessionChainFormat } from './format/session-chain.js';
import { statementRecordFormat } from './statement-record.js';
import { RightEdgeTree } from './witnessing/right-edge-tree.js';
import type { WitnessHooks } from './witnessing/witness-client.js';

export type { JournalWriter, JournalWriterOptions } from './journal-writer-types.js';

/**
 * The format new journals are written in (docs/journal-format.md §9): 2 adds the `cosignature` and
 * `witness.alarm` records, 3 the session chain (§13), 4 the `statement` event (§14). A journal
 * keeps the format it started with.
 */
export const journalFormat = statementRecordFormat;

const silentLog: WitnessHooks['log'] = { info() {}, warn() {}, error() {} };

/**
 * Opens (creating when absent) the journal in `options.dir`: takes the lock, checks the journal
 * (journal-scan.ts), cuts a torn final write into a `.torn-<offset>` file and records that, hands
 * over to a new signing key when the key file changed since the last run (then destroys the retired
 * key), and returns the writer.
 */
export async function openJournalWriter(options: JournalWriterOptions): Promise<JournalWriter> {
  const dir = options.dir;
  await makeDirectory(dir, 0o700);
  const keyPath = (await locateSigningKey(dir, options.keyFile)).path;
  const key = options.signingKey ?? (await loadSigningKey(keyPath));
  const lock = await acquireJournalLock(dir);
  let writer: GroupCommitWriter | null = null;
  try {
    const scanned = await scanJournal(dir);
    const recovery = scanned.torn === null ? null : await cutTornWrite(dir, scanned.torn);
    const origin = scanned.origin ?? key.name;
    const journalKey = scanned.verifierKey === null ? null : parseVerifierKey(scanned.verifierKey, nodeSha256);
    let initialKey = key;
    if (journalKey !== null && journalKey.text !== key.verifierKey) {
      // The key file changed (keygen --rotate): the retired key must sign the hand-over.
      const retired = options.signingKey === undefined ? await loadRetiredSigningKey(keyPath, journalKey.keyId) : null;
      if (retired === null || retired.verifierKey !== journalKey.text || key.name !== origin) {
        throw new JournalError(
          JournalErrorCode.keyMismatch,
          'the signing key is not the journal key and the retired journal key is not available',
        );
      }
      initialKey = retired;
    }
    const last = scanned.lastSegment;
    const segment = last?.name ?? segmentName(0);
    const handle = last === null ? null : await (options.openSegment ?? openSegmentFile)(join(dir, segment), 'a');
    const position: JournalPosition = {
      key: initialKey,
      origin,
      size: scanned.size,
      prevHash: Buffer.from(scanned.prevHash, 'base64'),
      range: scanned.range,
      segment,
      segmentBytes: last?.bytes ?? 0,
      sinceCheckpoint: scanned.sinceCheckpoint,
      // A journal keeps its format: one written before format 3 gets no session chain.
      chains: scanned.size === 0 || scanned.format >= sessionChainFormat ? scanned.sessionChains : null,
      format: scanned.size === 0 ? journalFormat : scanned.format,
    };
    // The tree's right edge before anything is appended: the witness client proves from here on.
    const peaks = scanned.range.peaks();
    writer = new GroupCommitWriter(options, lock, position, handle, {
      sessions: scanned.sessionsLeftOpen,
      lastEventTs: scanned.lastEventTs,
    });
    if (options.witnesses !== undefined && options.witnesses.length > 0) {
      const tree = new RightEdgeTree(nodeSha256, scanned.size, peaks);
      writer.startWitnessing({
        witnesses: options.witnesses,
        tree,
        format: position.format,
        log: options.witnessLog ?? silentLog,
      });
    }
    if (scanned.size === 0) {
      await writer.enqueueRecord(RecordKind.journalStarted, {
        ts: Date.now(),
        origin,
        vkey: key.verifierKey,
        format: journalFormat,
      });
      await writer.checkpoint();
    }
    if (recovery !== null) await writer.enqueueRecord(RecordKind.recovery, recovery);
    if (initialKey !== key) await writer.rotateKey(key);
    if (writer.failure !== null) throw writer.failure;
    // Every hand-over a retired key signs is durable now (rotateKey waits for it): none may sign again.
    if (options.signingKey === undefined) await destroyRetiredSigningKeys(keyPath);
    return writer;
  } catch (err) {
    await writer?.abandon();
    await lock.release();
    throw err;
  }
}
