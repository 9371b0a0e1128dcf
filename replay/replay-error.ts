/** What can stop a replay before it compares anything. */
export type ReplayErrorCode =
  | 'REPLAY_SESSION_NOT_FOUND'
  | 'REPLAY_TARGET_IS_UPSTREAM'
  | 'REPLAY_TARGET_UNIDENTIFIED'
  | 'REPLAY_TARGET_UNREACHABLE'
  | 'REPLAY_BAD_TARGET';

/** The one error class of replay/; `code` is stable (docs/errors.md), the message never carries SQL. */
export class ReplayError extends Error {
  override readonly name = 'ReplayError';
  constructor(
    readonly code: ReplayErrorCode,
    message: string,
    options?: { cause?: unknown },
  ) {
    super(message, options);
  }
}
