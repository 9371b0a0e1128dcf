/**
 * The one error class of the verifier and of the journal-format layer it uses (recorder/verify/,
 * recorder/format/): malformed keys, notes, checkpoints and state files. The format layer throws it
 * too, so a malformed note is the same VERIFY_* code whether the writer, the scanner or the verifier
 * parsed it. A journal that parses but does not verify is not an error: it yields findings
 * (journal-finding.ts). Codes are stable and listed in docs/errors.md.
 */

/** Every code a VerifyError carries. */
export const VerifyErrorCode = {
  /** A verifier key is not `<name>+<8 hex>+<base64>` with a valid name and 33-byte Ed25519 key. */
  vkeyMalformed: 'VERIFY_VKEY_MALFORMED',
  /** A verifier key's key ID does not match its name and key bytes. */
  vkeyHashMismatch: 'VERIFY_VKEY_HASH_MISMATCH',
  /** A verifier or signer key names an algorithm other than Ed25519 (0x01). */
  keyAlgorithmUnknown: 'VERIFY_KEY_ALGORITHM_UNKNOWN',
  /** A signed note does not have the signed-note syntax. */
  noteMalformed: 'VERIFY_NOTE_MALFORMED',
  /** A known key's signature on a note does not verify. */
  noteSignatureInvalid: 'VERIFY_NOTE_SIGNATURE_INVALID',
  /** A note carries no signature by any known key. */
  noteUnverified: 'VERIFY_NOTE_UNVERIFIED',
  /** A checkpoint body is not origin, size and root hash lines. */
  checkpointMalformed: 'VERIFY_CHECKPOINT_MALFORMED',
  /** A --state file is not one this verifier wrote. */
  stateMalformed: 'VERIFY_STATE_MALFORMED',
} as const;

/** One of VerifyErrorCode's values. */
export type VerifyErrorCode = (typeof VerifyErrorCode)[keyof typeof VerifyErrorCode];

/** A malformed key, note, checkpoint or state file. */
export class VerifyError extends Error {
  override readonly name = 'VerifyError';

  constructor(
    readonly code: VerifyErrorCode,
    message: string,
  ) {
    super(message);
  }
}
