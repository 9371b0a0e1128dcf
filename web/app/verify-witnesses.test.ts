import { ed25519 } from '@noble/curves/ed25519.js';
import { describe, expect, it } from 'vitest';
import { signNote } from '../../recorder/note-signer.js';
import { generateSigningKey } from '../../recorder/signing-key.js';
import { encodeBase64 } from '../../recorder/format/base64.js';
import { formatCheckpoint } from '../../recorder/format/checkpoint.js';
import {
  cosignedMessage,
  formatCosignatureLine,
  formatCosignerKey,
  parseCosignerKey,
} from '../../recorder/format/cosignature.js';
import { inclusionProof, leafHash, rootOfLeafHashes } from '../../recorder/format/merkle.js';
import { portableSha256 } from '../../recorder/format/sha256.js';
import { checkWitnesses, type WitnessedSet } from './verify-witnesses.js';

const encoder = new TextEncoder();
const journal = generateSigningKey(`pgtrail/${'cd'.repeat(8)}`).key;
const lines = new Map([0, 1, 2, 3, 4].map((i) => [i, `{"i":${i},"kind":"event","n":${i}}`]));
const leaves = [...lines.values()].map((l) => leafHash(portableSha256, encoder.encode(l)));
const size = 4;
const body = formatCheckpoint(journal.name, size, rootOfLeafHashes(portableSha256, leaves, 0, size));

function witness(name: string) {
  const secret = ed25519.utils.randomSecretKey();
  const vkey = formatCosignerKey(name, ed25519.getPublicKey(secret));
  const cosign = (signWith = secret) =>
    formatCosignatureLine(
      parseCosignerKey(vkey),
      1_700_000_000n,
      ed25519.sign(cosignedMessage(body, 1_700_000_000n), signWith),
    );
  return { vkey, cosign, secret };
}

function witnessedSet(cosignatures: readonly string[]): WitnessedSet {
  return {
    checkpoint: { seq: size, note: signNote(body, journal) },
    proofs: [0, 1, 2, 3].map((seq) => ({
      seq,
      proof: inclusionProof(portableSha256, leaves.slice(0, size), seq).map(encodeBase64),
    })),
    rotations: [],
    cosignatures,
  };
}

describe('checkWitnesses', () => {
  const w1 = witness('witness.test/one');
  const w2 = witness('witness.test/two');

  it('counts the pinned witnesses whose cosignature verifies, per record in the cosigned tree', () => {
    const check = checkWitnesses(
      lines,
      witnessedSet([w1.cosign(), w2.cosign()]),
      [journal.verifierKey],
      [w1.vkey, w2.vkey],
    );
    expect(check.treeSize).toBe(4);
    expect(check.cosigners.map((c) => c.state)).toEqual(['cosigned', 'cosigned']);
    expect(check.marks.get(0)).toEqual({
      state: 'witnessed',
      by: ['witness.test/one', 'witness.test/two'],
      treeSize: 4,
    });
    // Recorded after the cosigned checkpoint.
    expect(check.marks.get(4)).toMatchObject({ state: 'unwitnessed', reason: 'after the cosigned tree of 4' });
    // A cosigner that was not pinned does not count.
    const one = checkWitnesses(lines, witnessedSet([w1.cosign(), w2.cosign()]), [journal.verifierKey], [w1.vkey]);
    expect(one.marks.get(2)).toMatchObject({ state: 'witnessed', by: ['witness.test/one'] });
  });

  it('says a forged cosignature does not verify, and counts it for nothing', () => {
    const forged = w1.cosign(ed25519.utils.randomSecretKey());
    const check = checkWitnesses(lines, witnessedSet([forged]), [journal.verifierKey], [w1.vkey]);
    expect(check.cosigners).toEqual([{ name: 'witness.test/one', state: 'failed', time: null }]);
    expect(check.marks.get(1)).toMatchObject({
      state: 'unwitnessed',
      reason: 'no pinned witness cosigned the checkpoint',
    });
  });

  it('trusts no cosigned checkpoint the pinned journal key did not sign, and no edited record', () => {
    const other = generateSigningKey(`pgtrail/${'ef'.repeat(8)}`).key;
    const wrongKey = checkWitnesses(lines, witnessedSet([w1.cosign()]), [other.verifierKey], [w1.vkey]);
    expect(wrongKey.treeSize).toBeNull();
    expect(wrongKey.marks.get(0)?.state).toBe('unwitnessed');
    const edited = new Map(lines).set(2, '{"i":2,"kind":"event","n":22}');
    const check = checkWitnesses(edited, witnessedSet([w1.cosign()]), [journal.verifierKey], [w1.vkey]);
    expect(check.marks.get(2)).toMatchObject({
      state: 'unwitnessed',
      reason: 'the record does not match the cosigned tree',
    });
    expect(check.marks.get(3)?.state).toBe('witnessed');
  });
});
