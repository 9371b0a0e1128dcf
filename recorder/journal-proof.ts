/**
 * The inclusion and consistency proofs `pgtrail proof` prints: RFC 9162 2.1.3 / 2.1.4 proofs over a
 * journal's records, with the tree heads they lead to and, where the journal holds one, the signed
 * checkpoint of that tree. Anyone can check them with any RFC 9162 verifier.
 */
import { readJournalLeaves, type JournalLeaves } from './journal-leaves.js';
import { JournalError, JournalErrorCode } from './journal-error.js';
import { nodeSha256 } from './node-sha256.js';
import { consistencyPath, inclusionPath, leafStoreRoots } from './tree-prover.js';
import { encodeBase64 } from './format/base64.js';
import { hashSize } from './format/merkle.js';

/** An inclusion proof of one record in the tree of `size` records; hashes in base64. */
export interface InclusionProofJson {
  readonly kind: 'inclusion';
  readonly index: number;
  readonly size: number;
  readonly leaf: string;
  readonly root: string;
  readonly proof: readonly string[];
  /** The signed checkpoint of size `size` (the checkpoint record at index `size`), or null. */
  readonly checkpoint: string | null;
}

/** A consistency proof from the tree of `oldSize` records to the tree of `newSize`. */
export interface ConsistencyProofJson {
  readonly kind: 'consistency';
  readonly oldSize: number;
  readonly newSize: number;
  readonly oldRoot: string;
  readonly newRoot: string;
  readonly proof: readonly string[];
  readonly oldCheckpoint: string | null;
  readonly newCheckpoint: string | null;
}

function outOfRange(message: string): JournalError {
  return new JournalError(JournalErrorCode.proofOutOfRange, message);
}

/** The largest tree size the journal holds a checkpoint record for, or null. */
export function latestCheckpointSize(leaves: JournalLeaves): number | null {
  let latest: number | null = null;
  for (const size of leaves.checkpoints.keys()) if (latest === null || size > latest) latest = size;
  return latest;
}

/** The inclusion proof of record `index` in the tree of `size` records (default: the latest checkpoint's). */
export function inclusionProofOf(leaves: JournalLeaves, index: number, size?: number): InclusionProofJson {
  const treeSize = size ?? latestCheckpointSize(leaves);
  if (treeSize === null) throw outOfRange('the journal has no checkpoint yet');
  if (treeSize > leaves.size) throw outOfRange(`the journal has ${leaves.size} records, fewer than ${treeSize}`);
  if (index >= treeSize) throw outOfRange(`record ${index} is not in the tree of ${treeSize} records`);
  const rootOf = leafStoreRoots(nodeSha256, leaves.hashes);
  return {
    kind: 'inclusion',
    index,
    size: treeSize,
    leaf: encodeBase64(leaves.hashes.subarray(index * hashSize, (index + 1) * hashSize)),
    root: encodeBase64(rootOf(0, treeSize)),
    proof: inclusionPath(rootOf, index, treeSize).map(encodeBase64),
    checkpoint: leaves.checkpoints.get(treeSize) ?? null,
  };
}

/** The consistency proof from the tree of `oldSize` records to that of `newSize`. */
export function consistencyProofOf(leaves: JournalLeaves, oldSize: number, newSize: number): ConsistencyProofJson {
  if (oldSize < 1 || oldSize > newSize) throw outOfRange('a consistency proof needs 1 <= old size <= new size');
  if (newSize > leaves.size) throw outOfRange(`the journal has ${leaves.size} records, fewer than ${newSize}`);
  const rootOf = leafStoreRoots(nodeSha256, leaves.hashes);
  return {
    kind: 'consistency',
    oldSize,
    newSize,
    oldRoot: encodeBase64(rootOf(0, oldSize)),
    newRoot: encodeBase64(rootOf(0, newSize)),
    proof: consistencyPath(rootOf, oldSize, newSize).map(encodeBase64),
    oldCheckpoint: leaves.checkpoints.get(oldSize) ?? null,
    newCheckpoint: leaves.checkpoints.get(newSize) ?? null,
  };
}

/** Reads the journal in `dir` and builds one proof. */
export async function journalProof(
  dir: string,
  request: { readonly index: number; readonly size?: number } | { readonly oldSize: number; readonly newSize: number },
): Promise<InclusionProofJson | ConsistencyProofJson> {
  const leaves = await readJournalLeaves(dir);
  return 'index' in request
    ? inclusionProofOf(leaves, request.index, request.size)
    : consistencyProofOf(leaves, request.oldSize, request.newSize);
}
