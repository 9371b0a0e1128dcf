/**
 * The one error class of the proxy-recorder wire format. Codes are stable and listed in
 * docs/errors.md; messages never carry record contents.
 */

/** Every code a WireError carries. */
export const WireErrorCode = {
  /** A frame is truncated, too long, of an unknown type, or has a field out of bounds. */
  malformed: 'WIRE_FRAME_MALFORMED',
  /** Hello or Welcome names a protocol version this side does not speak. */
  versionUnsupported: 'WIRE_VERSION_UNSUPPORTED',
} as const;

/** One of WireErrorCode's values. */
export type WireErrorCode = (typeof WireErrorCode)[keyof typeof WireErrorCode];

/** A frame that is not well-formed. */
export class WireError extends Error {
  override readonly name = 'WireError';

  constructor(
    readonly code: WireErrorCode,
    message: string,
  ) {
    super(message);
  }
}
