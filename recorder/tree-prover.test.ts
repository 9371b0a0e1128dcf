// RFC 9162 proofs from subtree roots: the known answers of ../shared/vectors (section C) and every
// index and size, checked by the verifier's own RFC 9162 2.1.3.2 / 2.1.4.2 procedures.
import fc from 'fast-check';
import { expect, test } from 'vitest';
import { nodeSha256 } from './node-sha256.js';
import { consistencyPath, inclusionPath, leafStoreRoots, peakRanges } from './tree-prover.js';
import { consistencyProof, inclusionProof, leafHash, verifyConsistency, verifyInclusion } from './format/merkle.js';

const hex = (h: Uint8Array) => Buffer.from(h).toString('hex');
const sha256 = nodeSha256;
const leafInputs = ['', '00', '10', '2021', '3031', '40414243', '5051525354555657', '606162636465666768696a6b6c6d6e6f'];
const vectorLeaves = leafInputs.map((d) => leafHash(sha256, new Uint8Array(Buffer.from(d, 'hex'))));
// A copy (Buffer.slice of a store would be a view, and a test that flips a bit would flip the store).
const store = (hashes: readonly Uint8Array[]) => new Uint8Array(Buffer.concat(hashes));

const L = vectorLeaves.map(hex);
const N1_0 = 'fac54203e7cc696cf0dfcb42c92a1d9dbaf70ad9e621f4bd8d98662f00e3c125';
const N1_1 = '5f083f0a1a33ca076a95279832580db3e0ef4584bdff1f54c8a360f50de3031e';
const N1_2 = '0ebc5d3437fbe2db158b9f126a1d118e308181031d0a949f8dededebc558ef6a';
const N1_3 = 'ca854ea128ed050b41b35ffc1b87b8eb2bde461e9e3b5596ece6b9d5975a0ae0';
const N2_0 = 'd37ee418976dd95753c1c73862b9398fa2a2cf9b4ff0fdfe8b30cd95209614b7';
const N2_1 = '6b47aaf29ee3c2af9af889bc1fb9254dabd31177f16232dd6aab035ca39bf6e4';

test('the transparency-dev inclusion and consistency probes (vectors section C)', () => {
  const rootOf = leafStoreRoots(sha256, store(vectorLeaves));
  expect(inclusionPath(rootOf, 0, 8).map(hex)).toEqual([L[1], N1_1, N2_1]);
  expect(inclusionPath(rootOf, 5, 8).map(hex)).toEqual([L[4], N1_3, N2_0]);
  expect(inclusionPath(rootOf, 2, 3).map(hex)).toEqual([N1_0]);
  expect(inclusionPath(rootOf, 1, 5).map(hex)).toEqual([L[0], N1_1, L[4]]);
  expect(consistencyPath(rootOf, 1, 8).map(hex)).toEqual([L[1], N1_1, N2_1]);
  expect(consistencyPath(rootOf, 6, 8).map(hex)).toEqual([N1_2, N1_3, N2_0]);
  expect(consistencyPath(rootOf, 2, 5).map(hex)).toEqual([N1_1, L[4]]);
  expect(consistencyPath(rootOf, 6, 7).map(hex)).toEqual([N1_2, L[6], N2_0]);
  expect(hex(rootOf(0, 8))).toBe('5dc9da79a70659a9ad559cb701ded9a2ab9d823aad2f4960cfe370eff4604328');
});

const many = Array.from({ length: 300 }, (_, i) => leafHash(sha256, new Uint8Array([i & 0xff, i >> 8])));
const manyRoots = leafStoreRoots(sha256, store(many));

test('every index of every tree size up to 300: the inclusion proof verifies', () => {
  let proofs = 0;
  for (let size = 1; size <= 300; size++) {
    const root = manyRoots(0, size);
    for (let index = 0; index < size; index++) {
      const proof = inclusionPath(manyRoots, index, size);
      expect(verifyInclusion(sha256, index, size, many[index]!, proof, root)).toBe(true);
      proofs++;
    }
  }
  expect(proofs).toBe((300 * 301) / 2);
});

test('every pair of sizes up to 300: the consistency proof verifies', () => {
  for (let newSize = 1; newSize <= 300; newSize++) {
    const newRoot = manyRoots(0, newSize);
    for (let oldSize = 1; oldSize <= newSize; oldSize++) {
      const proof = consistencyPath(manyRoots, oldSize, newSize);
      expect(verifyConsistency(sha256, oldSize, newSize, manyRoots(0, oldSize), newRoot, proof)).toBe(true);
    }
  }
});

test('proofs equal the reference recursion of merkle.ts, and a changed proof or leaf is refused', () => {
  fc.assert(
    fc.property(fc.integer({ min: 1, max: 300 }), fc.nat(), fc.nat(), fc.nat(), (size, a, b, flip) => {
      const leaves = many.slice(0, size);
      const index = a % size;
      const oldSize = (b % size) + 1;
      const inclusion = inclusionPath(manyRoots, index, size);
      expect(inclusion.map(hex)).toEqual(inclusionProof(sha256, leaves, index).map(hex));
      const consistency = consistencyPath(manyRoots, oldSize, size);
      expect(consistency.map(hex)).toEqual(consistencyProof(sha256, leaves, oldSize).map(hex));
      const root = manyRoots(0, size);
      // One flipped bit anywhere in a non-empty proof is refused.
      if (inclusion.length > 0) {
        const bad = inclusion.map((h) => Uint8Array.from(h));
        bad[flip % bad.length]![flip % 32]! ^= 1 << (flip % 8);
        expect(verifyInclusion(sha256, index, size, many[index]!, bad, root)).toBe(false);
      }
      expect(verifyInclusion(sha256, index, size, many[(index + 1) % 300]!, inclusion, root)).toBe(false);
      if (consistency.length > 0) {
        const bad = consistency.map((h) => Uint8Array.from(h));
        bad[flip % bad.length]![flip % 32]! ^= 1 << (flip % 8);
        expect(verifyConsistency(sha256, oldSize, size, manyRoots(0, oldSize), root, bad)).toBe(false);
      }
    }),
    { numRuns: 300 },
  );
});

test('consistency proof nodes below the old size are peaks of the old tree', () => {
  // The witness client relies on this: it keeps only the peaks at a cosigned size and the leaves after it.
  for (let newSize = 2; newSize <= 140; newSize++)
    for (let oldSize = 1; oldSize < newSize; oldSize++) {
      const peaks = new Set(peakRanges(oldSize).map(([lo, hi]) => hex(manyRoots(lo, hi))));
      const below: string[] = [];
      consistencyPath(
        (lo, hi) => {
          if (hi <= oldSize) below.push(hex(manyRoots(lo, hi)));
          else expect(lo).toBeGreaterThanOrEqual(oldSize);
          return manyRoots(lo, hi);
        },
        oldSize,
        newSize,
      );
      for (const h of below) expect(peaks.has(h)).toBe(true);
    }
});

test('peakRanges covers the tree with complete subtrees, largest first', () => {
  expect(peakRanges(0)).toEqual([]);
  expect(peakRanges(1)).toEqual([[0, 1]]);
  expect(peakRanges(6)).toEqual([
    [0, 4],
    [4, 6],
  ]);
  expect(peakRanges(7)).toEqual([
    [0, 4],
    [4, 6],
    [6, 7],
  ]);
  expect(() => inclusionPath(manyRoots, 5, 5)).toThrow(RangeError);
  expect(() => consistencyPath(manyRoots, 0, 5)).toThrow(RangeError);
});
