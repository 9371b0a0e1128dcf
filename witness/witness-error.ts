/**
 * The one error class of the witness (witness/): its key and state files and its configuration.
 * A request it refuses is not an error: it is an HTTP status (add-checkpoint.ts). Codes are stable
 * and listed in docs/errors.md.
 */

/** Every code a WitnessError carries. */
export const WitnessErrorCode = {
  /** The witness key file is not a well-formed cosignature/v1 signer key. */
  keyMalformed: 'WITNESS_KEY_MALFORMED',
  /** A per-log state file is not one the witness wrote. */
  stateMalformed: 'WITNESS_STATE_MALFORMED',
  /** A --log flag is not ORIGIN=VKEY with a well-formed Ed25519 log key. */
  logMalformed: 'WITNESS_LOG_MALFORMED',
} as const;

/** One of WitnessErrorCode's values. */
export type WitnessErrorCode = (typeof WitnessErrorCode)[keyof typeof WitnessErrorCode];

/** A witness that cannot start or keep its state. */
export class WitnessError extends Error {
  override readonly name = 'WitnessError';

  constructor(
    readonly code: WitnessErrorCode,
    message: string,
    options?: { cause?: unknown },
  ) {
    super(message, options);
  }
}
