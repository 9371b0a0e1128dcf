/**
 * Witnesses, checked in the browser: the server sends the latest checkpoint that witnesses cosigned,
 * its cosignature lines and inclusion proofs against it; this page checks that checkpoint against
 * the pinned journal key (as verify-records.ts does), each cosignature (C2SP cosignature/v1,
 * recorder/format/cosignature.ts) against the witness keys the reviewer pinned, and each record's
 * proof. A record is "witnessed by N" when it is in a tree that N pinned witnesses cosigned, so no one
 * holding the journal's key alone can rewrite it unnoticed.
 */
import { parseCosignerKey, verifiedCosignatures, type CosignerKey } from '../../recorder/format/cosignature.js';
import { claimedIndex, included, trustedTree, type ProofSet } from './verify-records.js';

/** The cosigned checkpoint as the server sends it (web/server/session-records.ts). */
export interface WitnessedSet extends ProofSet {
  readonly cosignatures: readonly string[];
}

/** What the page says about one record's witnessing. */
export type WitnessMark =
  | { readonly state: 'witnessed'; readonly by: readonly string[]; readonly treeSize: number }
  | { readonly state: 'unwitnessed'; readonly reason: string };

/** One pinned witness and what it did for the cosigned checkpoint. */
export interface CosignerStatus {
  readonly name: string;
  readonly state: 'cosigned' | 'failed' | 'absent';
  /** When it cosigned (POSIX seconds), for a cosignature that verified. */
  readonly time: number | null;
}

/** The witnessing of the records shown, and of the checkpoint itself. */
export interface WitnessCheck {
  /** The size of the cosigned tree, when its checkpoint verified under the pinned journal key. */
  readonly treeSize: number | null;
  /** Why the cosigned checkpoint cannot be used, or null. */
  readonly problem: string | null;
  readonly cosigners: readonly CosignerStatus[];
  readonly marks: ReadonlyMap<number, WitnessMark>;
}

function parsedKeys(witnessKeys: readonly string[]): CosignerKey[] {
  const keys: CosignerKey[] = [];
  for (const k of witnessKeys) {
    try {
      keys.push(parseCosignerKey(k));
    } catch {
      // pinned-keys.ts admits only well-formed keys; a damaged store is ignored key by key.
    }
  }
  return keys;
}

/**
 * Checks the cosigned checkpoint and every record in `lines` (journal index to exact line) against
 * the pinned journal keys and witness keys.
 */
export function checkWitnesses(
  lines: ReadonlyMap<number, string>,
  set: WitnessedSet | null,
  pinned: readonly string[],
  witnessKeys: readonly string[],
): WitnessCheck {
  const keys = parsedKeys(witnessKeys);
  const none = (problem: string, cosigners: readonly CosignerStatus[] = []): WitnessCheck => ({
    treeSize: null,
    problem,
    cosigners: cosigners.length > 0 ? cosigners : keys.map((k) => ({ name: k.name, state: 'absent', time: null })),
    marks: new Map([...lines.keys()].map((seq) => [seq, { state: 'unwitnessed', reason: problem }])),
  });
  if (pinned.length === 0) return none('pin the journal key first');
  if (set === null || set.checkpoint === null) return none('no checkpoint has been cosigned yet');
  const tree = trustedTree(set, pinned);
  if (typeof tree === 'string') return none(`the cosigned checkpoint fails: ${tree}`);
  const note = set.checkpoint.note + set.cosignatures.map((line) => `${line}\n`).join('');
  let verified: ReturnType<typeof verifiedCosignatures>;
  try {
    verified = verifiedCosignatures(note, keys);
  } catch {
    return none('the cosigned checkpoint is malformed');
  }
  const cosigners = keys.map((k): CosignerStatus => {
    const ok = verified.find((v) => v.key === k);
    if (ok) return { name: k.name, state: 'cosigned', time: Number(ok.timestamp) };
    const claimed = set.cosignatures.some((line) => line.startsWith(`\u2014 ${k.name} `));
    return { name: k.name, state: claimed ? 'failed' : 'absent', time: null };
  });
  const by = verified.map((v) => v.key.name);
  const proofs = new Map(set.proofs.map((p) => [p.seq, p.proof]));
  const marks = new Map<number, WitnessMark>();
  for (const [seq, line] of lines) {
    const proof = proofs.get(seq);
    if (seq >= tree.size) marks.set(seq, { state: 'unwitnessed', reason: `after the cosigned tree of ${tree.size}` });
    else if (claimedIndex(line) !== seq || proof === undefined || !included(seq, line, proof, tree.size, tree.root))
      marks.set(seq, { state: 'unwitnessed', reason: 'the record does not match the cosigned tree' });
    else if (by.length === 0)
      marks.set(seq, { state: 'unwitnessed', reason: 'no pinned witness cosigned the checkpoint' });
    else marks.set(seq, { state: 'witnessed', by, treeSize: tree.size });
  }
  return { treeSize: tree.size, problem: null, cosigners, marks };
}
