/**
 * The Merkle tree over journal records, exactly as RFC 9162 section 2.1 (and RFC 6962) defines it,
 * so that any Certificate Transparency tooling computes the same roots and proofs.
 *
 *   leaf hash  = SHA-256(0x00 || record bytes)            RFC 9162 2.1.1
 *   node hash  = SHA-256(0x01 || left hash || right hash) RFC 9162 2.1.1
 *   empty tree = SHA-256("")                              RFC 9162 2.1.1
 *
 * For a tree of n leaves, k is the largest power of two smaller than n; the root is
 * node(MTH(leaves[0:k]), MTH(leaves[k:n])). Proof verification follows RFC 9162 2.1.3.2
 * (inclusion) and 2.1.4.2 (consistency) step by step. Hashes are 32-byte Uint8Arrays; anything
 * of another length is rejected, never truncated or padded.
 */
import { sha256IntoFrom, type Sha256, type Sha256Into } from './sha256.js';

/** Size in bytes of every hash in the tree. */
export const hashSize = 32;

const leafPrefix = new Uint8Array([0x00]);
const nodePrefix = new Uint8Array([0x01]);

/** SHA-256(0x00 || data): the hash of one record (RFC 9162 2.1.1). */
export function leafHash(sha256: Sha256, data: Uint8Array): Uint8Array {
  return sha256(leafPrefix, data);
}

// One buffer for 0x01 || left || right, reused: hashing is synchronous and copies its input, and one
// contiguous input is markedly cheaper than three for node:crypto.
const nodeInput = new Uint8Array(1 + 2 * hashSize);
nodeInput[0] = 0x01;

/** SHA-256(0x01 || left || right): the hash of an interior node (RFC 9162 2.1.1). */
export function nodeHash(sha256: Sha256, left: Uint8Array, right: Uint8Array): Uint8Array {
  if (left.length !== hashSize || right.length !== hashSize) return sha256(nodePrefix, left, right);
  nodeInput.set(left, 1);
  nodeInput.set(right, 1 + hashSize);
  return sha256(nodeInput);
}

/** SHA-256 of no bytes: the root of the empty tree (RFC 9162 2.1.1). */
export function emptyRoot(sha256: Sha256): Uint8Array {
  return sha256();
}

/** True when both are byte-for-byte equal. */
export function equalBytes(a: Uint8Array, b: Uint8Array): boolean {
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
  return true;
}

/** Largest power of two strictly smaller than n (n >= 2), the split point of RFC 9162 2.1.1. */
function splitPoint(n: number): number {
  let k = 1;
  while (k * 2 < n) k *= 2;
  return k;
}

/**
 * The right edge of a growing tree: one subtree root per set bit of its size, largest first.
 * Appending is O(1) amortised and the root costs at most log2(n) node hashes, so a verifier can
 * stream millions of records and still compute the root at every checkpoint.
 *
 * The roots ("peaks") live side by side in one reused buffer and node hashes are written straight
 * into it: per record, no digest is allocated (a measurable share of verifying and appending).
 */
export class CompactRange {
  #size = 0;
  #peaks = 0;
  // Peak k is at bytes [1 + 32k, 33 + 32k). Byte 0 is spare: merging peak k with peak k + 1 hashes
  // bytes [32k, 32k + 65) with byte 32k (the previous peak's last byte, or the spare) set to 0x01
  // for the duration of the hash, so the node input is never copied. 64 peaks cover any size < 2^64.
  readonly #stack = new Uint8Array(1 + hashSize * 65);
  // The node input of merging peak k (bytes [32k, 32k + 65)), made once rather than a view per merge.
  readonly #nodeInputs: Uint8Array[] = [];
  readonly #into: Sha256Into;

  /** `sha256Into`, when given, must be the same function as `sha256` writing into memory (faster). */
  constructor(
    private readonly sha256: Sha256,
    sha256Into?: Sha256Into,
  ) {
    this.#into = sha256Into ?? sha256IntoFrom(sha256);
    for (let k = 0; k < 64; k++)
      this.#nodeInputs.push(this.#stack.subarray(hashSize * k, hashSize * k + 1 + 2 * hashSize));
  }

  /** Number of leaves appended so far. */
  get size(): number {
    return this.#size;
  }

  /** Appends one leaf, given as its leaf hash (copied: the caller may reuse `hash`). */
  appendLeafHash(hash: Uint8Array): void {
    if (hash.length !== hashSize) throw new RangeError('a leaf hash is 32 bytes');
    const stack = this.#stack;
    let top = this.#peaks;
    stack.set(hash, 1 + hashSize * top);
    // Each trailing 1 bit of the old size is a peak of the new leaf's height: merge it (RFC 9162 2.1.1
    // node hash, left peak first). Math.floor keeps sizes above 2^31 exact.
    for (let s = this.#size; s % 2 === 1; s = Math.floor(s / 2)) {
      if (top === 0) throw new Error('compact range is inconsistent with its size');
      top--;
      const at = hashSize * top;
      const borrowed = stack[at]!;
      stack[at] = 0x01;
      this.#into(this.#nodeInputs[top]!, stack, at + 1);
      stack[at] = borrowed;
    }
    this.#peaks = top + 1;
    this.#size++;
  }

  /** The Merkle tree head of the leaves appended so far. */
  root(): Uint8Array {
    if (this.#peaks === 0) return emptyRoot(this.sha256);
    const peak = (k: number) => this.#stack.slice(1 + hashSize * k, 1 + hashSize * (k + 1));
    let r: Uint8Array = peak(this.#peaks - 1);
    for (let k = this.#peaks - 2; k >= 0; k--) r = nodeHash(this.sha256, peak(k), r);
    return r;
  }
}

/** MTH(D[lo:hi]) from a list of leaf hashes (RFC 9162 2.1.1); for proofs and tests, O(n). */
export function rootOfLeafHashes(
  sha256: Sha256,
  leaves: readonly Uint8Array[],
  lo = 0,
  hi = leaves.length,
): Uint8Array {
  const n = hi - lo;
  if (n === 0) return emptyRoot(sha256);
  if (n === 1) return leaves[lo]!;
  const k = splitPoint(n);
  return nodeHash(sha256, rootOfLeafHashes(sha256, leaves, lo, lo + k), rootOfLeafHashes(sha256, leaves, lo + k, hi));
}

/** PATH(m, D[n]): the inclusion proof of leaf `index` in the tree of `leaves` (RFC 9162 2.1.3.1). */
export function inclusionProof(sha256: Sha256, leaves: readonly Uint8Array[], index: number): Uint8Array[] {
  if (!Number.isInteger(index) || index < 0 || index >= leaves.length) throw new RangeError('leaf index out of range');
  const path = (m: number, lo: number, hi: number): Uint8Array[] => {
    if (hi - lo === 1) return [];
    const k = splitPoint(hi - lo);
    return m < k
      ? [...path(m, lo, lo + k), rootOfLeafHashes(sha256, leaves, lo + k, hi)]
      : [...path(m - k, lo + k, hi), rootOfLeafHashes(sha256, leaves, lo, lo + k)];
  };
  return path(index, 0, leaves.length);
}

/** PROOF(m, D[n]): the consistency proof from the first `oldSize` leaves to all of them (RFC 9162 2.1.4.1). */
export function consistencyProof(sha256: Sha256, leaves: readonly Uint8Array[], oldSize: number): Uint8Array[] {
  if (!Number.isInteger(oldSize) || oldSize < 1 || oldSize > leaves.length)
    throw new RangeError('old size out of range');
  const subproof = (m: number, lo: number, hi: number, complete: boolean): Uint8Array[] => {
    const n = hi - lo;
    if (m === n) return complete ? [] : [rootOfLeafHashes(sha256, leaves, lo, hi)];
    const k = splitPoint(n);
    return m <= k
      ? [...subproof(m, lo, lo + k, complete), rootOfLeafHashes(sha256, leaves, lo + k, hi)]
      : [...subproof(m - k, lo + k, hi, false), rootOfLeafHashes(sha256, leaves, lo, lo + k)];
  };
  return subproof(oldSize, 0, leaves.length, true);
}

function allHashes(...hashes: readonly Uint8Array[]): boolean {
  return hashes.every((h) => h.length === hashSize);
}

/** Verifies that `leaf` is at `index` in the tree of `size` leaves with `root` (RFC 9162 2.1.3.2). */
export function verifyInclusion(
  sha256: Sha256,
  index: number,
  size: number,
  leaf: Uint8Array,
  proof: readonly Uint8Array[],
  root: Uint8Array,
): boolean {
  if (!Number.isSafeInteger(index) || !Number.isSafeInteger(size) || index < 0 || index >= size) return false;
  if (!allHashes(leaf, root, ...proof)) return false;
  // Halving with Math.floor instead of >>> keeps sizes above 2^31 exact.
  let fn = index;
  let sn = size - 1;
  let r = leaf;
  for (const p of proof) {
    if (sn === 0) return false;
    if (fn % 2 === 1 || fn === sn) {
      r = nodeHash(sha256, p, r);
      while (fn % 2 === 0 && fn !== 0) {
        fn = Math.floor(fn / 2);
        sn = Math.floor(sn / 2);
      }
    } else {
      r = nodeHash(sha256, r, p);
    }
    fn = Math.floor(fn / 2);
    sn = Math.floor(sn / 2);
  }
  return sn === 0 && equalBytes(r, root);
}

/**
 * Verifies that the tree of `newSize` leaves with `newRoot` extends the tree of `oldSize` leaves with
 * `oldRoot` (RFC 9162 2.1.4.2). An old size of 0 is rejected: an empty tree proves nothing, and our
 * verifier never needs it.
 */
export function verifyConsistency(
  sha256: Sha256,
  oldSize: number,
  newSize: number,
  oldRoot: Uint8Array,
  newRoot: Uint8Array,
  proof: readonly Uint8Array[],
): boolean {
  if (!Number.isSafeInteger(oldSize) || !Number.isSafeInteger(newSize) || oldSize < 1 || oldSize > newSize)
    return false;
  if (!allHashes(oldRoot, newRoot, ...proof)) return false;
  if (oldSize === newSize) return proof.length === 0 && equalBytes(oldRoot, newRoot);
  if (proof.length === 0) return false;
  // Math.log2 is exact on powers of two, so this holds for every safe integer.
  const path = Number.isInteger(Math.log2(oldSize)) ? [oldRoot, ...proof] : [...proof];
  let fn = oldSize - 1;
  let sn = newSize - 1;
  while (fn % 2 === 1) {
    fn = Math.floor(fn / 2);
    sn = Math.floor(sn / 2);
  }
  let fr = path[0]!;
  let sr = path[0]!;
  for (let i = 1; i < path.length; i++) {
    const c = path[i]!;
    if (sn === 0) return false;
    if (fn % 2 === 1 || fn === sn) {
      fr = nodeHash(sha256, c, fr);
      sr = nodeHash(sha256, c, sr);
      while (fn % 2 === 0 && fn !== 0) {
        fn = Math.floor(fn / 2);
        sn = Math.floor(sn / 2);
      }
    } else {
      sr = nodeHash(sha256, sr, c);
    }
    fn = Math.floor(fn / 2);
    sn = Math.floor(sn / 2);
  }
  return sn === 0 && equalBytes(fr, oldRoot) && equalBytes(sr, newRoot);
}
