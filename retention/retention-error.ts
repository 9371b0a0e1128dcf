/** Error codes of prune and hold (docs/errors.md). */
export const RetentionErrorCode = {
  busy: 'PRUNE_BUSY',
  segmentUnreadable: 'PRUNE_SEGMENT_UNREADABLE',
} as const;
export type RetentionErrorCode = (typeof RetentionErrorCode)[keyof typeof RetentionErrorCode];

/** A failure of retention (prune, hold), with a stable code; messages never carry recorded content. */
export class RetentionError extends Error {
  override readonly name = 'RetentionError';
  constructor(
    readonly code: RetentionErrorCode,
    message: string,
    options?: ErrorOptions,
  ) {
    super(message, options);
  }
}
