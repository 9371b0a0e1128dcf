// Known answers from ../shared/vectors/transparency-log-vectors.md (transparency-dev/merkle, RFC 6962/9162).
import fc from 'fast-check';
import { describe, expect, test } from 'vitest';
import { nodeSha256, nodeSha256Into } from '../node-sha256.js';
import {
  CompactRange,
  consistencyProof,
  emptyRoot,
  inclusionProof,
  leafHash,
  nodeHash,
  rootOfLeafHashes,
  verifyConsistency,
  verifyInclusion,
} from './merkle.js';
import { portableSha256 } from './sha256.js';

const hex = (h: Uint8Array) => Buffer.from(h).toString('hex');
const un = (s: string) => new Uint8Array(Buffer.from(s, 'hex'));

const leafInputs = ['', '00', '10', '2021', '3031', '40414243', '5051525354555657', '606162636465666768696a6b6c6d6e6f'];
const roots = [
  'e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855',
  '6e340b9cffb37a989ca544e6bb780a2c78901d3fb33738768511a30617afa01d',
  'fac54203e7cc696cf0dfcb42c92a1d9dbaf70ad9e621f4bd8d98662f00e3c125',
  'aeb6bcfe274b70a14fb067a5e5578264db0fa9b51af5e0ba159158f329e06e77',
  'd37ee418976dd95753c1c73862b9398fa2a2cf9b4ff0fdfe8b30cd95209614b7',
  '4e3bbb1f7b478dcfe71fb631631519a3bca12c9aefca1612bfce4c13a86264d4',
  '76e67dadbcdf1e10e1b74ddc608abd2f98dfb16fbce75277b5232a127f2087ef',
  'ddb89be403809e325750d3d263cd78929c2942b7942a34b77e122c9594a74c8c',
  '5dc9da79a70659a9ad559cb701ded9a2ab9d823aad2f4960cfe370eff4604328',
];
const L = [
  '6e340b9cffb37a989ca544e6bb780a2c78901d3fb33738768511a30617afa01d',
  '96a296d224f285c67bee93c30f8a309157f0daa35dc5b87e410b78630a09cfc7',
  '0298d122906dcfc10892cb53a73992fc5b9f493ea4c9badb27b791b4127a7fe7',
  '07506a85fd9dd2f120eb694f86011e5bb4662e5c415a62917033d4a9624487e7',
  'bc1a0643b12e4d2d7c77918f44e0f4f79a838b6cf9ec5b5c283e1f4d88599e6b',
  '4271a26be0d8a84f0bd54c8c302e7cb3a3b5d1fa6780a40bcce2873477dab658',
  'b08693ec2e721597130641e8211e7eedccb4c26413963eee6c1e2ed16ffb1a5f',
  '46f6ffadd3d06a09ff3c5860d2755c8b9819db7df44251788c7d8e3180de8eb1',
];
const N1 = [
  'fac54203e7cc696cf0dfcb42c92a1d9dbaf70ad9e621f4bd8d98662f00e3c125',
  '5f083f0a1a33ca076a95279832580db3e0ef4584bdff1f54c8a360f50de3031e',
  '0ebc5d3437fbe2db158b9f126a1d118e308181031d0a949f8dededebc558ef6a',
  'ca854ea128ed050b41b35ffc1b87b8eb2bde461e9e3b5596ece6b9d5975a0ae0',
];
const N2 = [
  'd37ee418976dd95753c1c73862b9398fa2a2cf9b4ff0fdfe8b30cd95209614b7',
  '6b47aaf29ee3c2af9af889bc1fb9254dabd31177f16232dd6aab035ca39bf6e4',
];

const inclusionVectors = [
  { index: 0, size: 8, leaf: L[0]!, proof: [L[1]!, N1[1]!, N2[1]!], root: roots[8]! },
  { index: 5, size: 8, leaf: L[5]!, proof: [L[4]!, N1[3]!, N2[0]!], root: roots[8]! },
  { index: 2, size: 3, leaf: L[2]!, proof: [N1[0]!], root: roots[3]! },
  { index: 1, size: 5, leaf: L[1]!, proof: [L[0]!, N1[1]!, L[4]!], root: roots[5]! },
];
const consistencyVectors = [
  { oldSize: 1, newSize: 8, proof: [L[1]!, N1[1]!, N2[1]!] },
  { oldSize: 6, newSize: 8, proof: [N1[2]!, N1[3]!, N2[0]!] },
  { oldSize: 2, newSize: 5, proof: [N1[1]!, L[4]!] },
  { oldSize: 6, newSize: 7, proof: [N1[2]!, L[6]!, N2[0]!] },
];

describe.each([
  ['node:crypto', nodeSha256],
  ['portable', portableSha256],
])('RFC 6962 hashing with %s SHA-256', (_name, sha256) => {
  test('section A known answers', () => {
    expect(hex(emptyRoot(sha256))).toBe('e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855');
    expect(hex(leafHash(sha256, new Uint8Array()))).toBe(
      '6e340b9cffb37a989ca544e6bb780a2c78901d3fb33738768511a30617afa01d',
    );
    expect(hex(leafHash(sha256, Buffer.from('L123456')))).toBe(
      '395aa064aa4c29f7010acfe3f25db9485bbd4b91897b6ad7ad547639252b4d56',
    );
    expect(hex(nodeHash(sha256, Buffer.from('N123'), Buffer.from('N456')))).toBe(
      'aa217fe888e47007fa15edab33c2b492a722cb106c64667fc2b044444de66bbb',
    );
  });

  test('section B roots by tree size, by recursion and by compact range', () => {
    const leaves = leafInputs.map((d) => leafHash(sha256, un(d)));
    expect(leaves.map(hex)).toEqual(L);
    const range = new CompactRange(sha256);
    for (let size = 0; size <= 8; size++) {
      expect(hex(rootOfLeafHashes(sha256, leaves.slice(0, size)))).toBe(roots[size]);
      expect(hex(range.root())).toBe(roots[size]);
      if (size < 8) range.appendLeafHash(leaves[size]!);
    }
  });
});

describe('RFC 9162 proofs', () => {
  const sha256 = nodeSha256;
  const leaves = leafInputs.map((d) => leafHash(sha256, un(d)));

  test.each(inclusionVectors)('inclusion of leaf $index in tree of $size (section C)', (v) => {
    expect(inclusionProof(sha256, leaves.slice(0, v.size), v.index).map(hex)).toEqual(v.proof);
    expect(verifyInclusion(sha256, v.index, v.size, un(v.leaf), v.proof.map(un), un(v.root))).toBe(true);
  });

  test.each(consistencyVectors)('consistency from $oldSize to $newSize (section C)', (v) => {
    expect(consistencyProof(sha256, leaves.slice(0, v.newSize), v.oldSize).map(hex)).toEqual(v.proof);
    expect(
      verifyConsistency(sha256, v.oldSize, v.newSize, un(roots[v.oldSize]!), un(roots[v.newSize]!), v.proof.map(un)),
    ).toBe(true);
  });

  test('negative probes in the style of transparency-dev/merkle testdata are all rejected', () => {
    let probes = 0;
    const reject = (ok: boolean) => {
      probes++;
      expect(ok).toBe(false);
    };
    for (const v of inclusionVectors) {
      const proof = v.proof.map(un);
      const [leaf, root] = [un(v.leaf), un(v.root)];
      for (let p = 0; p < proof.length; p++) {
        const flipped = proof.map((h, i) => (i === p ? h.map((b, j) => (j === 4 ? b ^ 0x10 : b)) : h));
        reject(verifyInclusion(sha256, v.index, v.size, leaf, flipped, root));
      }
      reject(verifyInclusion(sha256, v.index + 1, v.size, leaf, proof, root));
      reject(verifyInclusion(sha256, v.index - 1, v.size, leaf, proof, root));
      reject(verifyInclusion(sha256, v.index ^ 2, v.size, leaf, proof, root));
      reject(verifyInclusion(sha256, v.index, v.size * 2, leaf, proof, root));
      reject(verifyInclusion(sha256, v.index, Math.floor(v.size / 2), leaf, proof, root));
      reject(verifyInclusion(sha256, v.index, v.size, leaf, proof.slice(0, -1), root));
      reject(verifyInclusion(sha256, v.index, v.size, leaf, [...proof, leaf], root));
      reject(verifyInclusion(sha256, v.index, v.size, leaf, [leaf, ...proof], root));
      reject(verifyInclusion(sha256, v.index, v.size, root, proof, leaf));
      reject(verifyInclusion(sha256, v.index, v.size, leaf, proof, un(roots[0]!)));
      // Policy: hashes must be exactly 32 bytes (transparency-dev empty-root-and-leaf.json).
      reject(verifyInclusion(sha256, v.index, v.size, new Uint8Array(), proof, root));
      reject(verifyInclusion(sha256, v.index, v.size, leaf, proof, new Uint8Array()));
    }
    for (const v of consistencyVectors) {
      const proof = v.proof.map(un);
      const [r1, r2] = [un(roots[v.oldSize]!), un(roots[v.newSize]!)];
      for (let p = 0; p < proof.length; p++) {
        const flipped = proof.map((h, i) => (i === p ? h.map((b, j) => (j === 4 ? b ^ 0x10 : b)) : h));
        reject(verifyConsistency(sha256, v.oldSize, v.newSize, r1, r2, flipped));
      }
      reject(verifyConsistency(sha256, v.oldSize + 1, v.newSize, r1, r2, proof));
      reject(verifyConsistency(sha256, v.oldSize - 1, v.newSize, r1, r2, proof));
      reject(verifyConsistency(sha256, v.oldSize ^ 2, v.newSize, r1, r2, proof));
      reject(verifyConsistency(sha256, v.oldSize, v.newSize * 2, r1, r2, proof));
      reject(verifyConsistency(sha256, v.oldSize, Math.floor(v.newSize / 2), r1, r2, proof));
      reject(verifyConsistency(sha256, v.oldSize, v.newSize, r2, r1, proof));
      reject(verifyConsistency(sha256, v.oldSize, v.newSize, r1, r2, proof.slice(0, -1)));
      reject(verifyConsistency(sha256, v.oldSize, v.newSize, r1, r2, []));
      reject(verifyConsistency(sha256, v.oldSize, v.newSize, r1, r2, [...proof, r1]));
      reject(verifyConsistency(sha256, v.oldSize, v.newSize, r1, r2, [r2, ...proof]));
    }
    // Policy: an old size of 0 is rejected, even with an empty proof (sizes-are-equal-zero-and-proof-is-empty.json).
    reject(verifyConsistency(sha256, 0, 0, un(roots[0]!), un(roots[0]!), []));
    reject(verifyConsistency(sha256, 0, 8, un(roots[0]!), un(roots[8]!), []));
    expect(probes).toBeGreaterThan(100);
  });

  test('generated trees: every proof verifies and rolls the same roots as the compact range', () => {
    fc.assert(
      fc.property(fc.integer({ min: 1, max: 70 }), fc.nat(), fc.nat(), (size, a, b) => {
        const data = Array.from({ length: size }, (_, i) => leafHash(sha256, new Uint8Array([i, i >> 8])));
        const range = new CompactRange(sha256);
        // Hashing into its own memory, with one reused leaf buffer, rolls the same roots.
        const rangeInto = new CompactRange(sha256, nodeSha256Into);
        const reused = new Uint8Array(32);
        for (const d of data) {
          range.appendLeafHash(d);
          reused.set(d);
          rangeInto.appendLeafHash(reused);
        }
        const root = rootOfLeafHashes(sha256, data);
        expect(hex(range.root())).toBe(hex(root));
        expect(hex(rangeInto.root())).toBe(hex(root));
        const index = a % size;
        expect(verifyInclusion(sha256, index, size, data[index]!, inclusionProof(sha256, data, index), root)).toBe(
          true,
        );
        const oldSize = (b % size) + 1;
        const oldRoot = rootOfLeafHashes(sha256, data.slice(0, oldSize));
        expect(verifyConsistency(sha256, oldSize, size, oldRoot, root, consistencyProof(sha256, data, oldSize))).toBe(
          true,
        );
      }),
      { numRuns: 200 },
    );
  });

  test('subtree hashes of trees up to 130 leaves roll up to the draft-ietf-plants-merkle-tree-certs digest', () => {
    // transparency-dev/merkle testonly/vectors_test.go TestSubtreeHashVectors: for every valid subtree
    // [start, end) (start a multiple of the power of two >= end - start) of d[i] = byte(i), hash the
    // line "[start, end) <hex MTH(d[start:end])>\n" into one SHA-256.
    const data = Array.from({ length: 130 }, (_, i) => leafHash(sha256, new Uint8Array([i])));
    const bitCeil = (n: number) => 2 ** Math.ceil(Math.log2(n));
    const lines: string[] = [];
    for (let end = 1; end <= 130; end++) {
      for (let start = 0; start < end; start++) {
        if (start % bitCeil(end - start) === 0)
          lines.push(`[${start}, ${end}) ${hex(rootOfLeafHashes(sha256, data, start, end))}\n`);
      }
    }
    expect(hex(sha256(Buffer.from(lines.join(''))))).toBe(
      '94a95384a8c69acea9b50d035a58285b3a777cb7a724005faa5e1f1e1190007f',
    );
  });
});
