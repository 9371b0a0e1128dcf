/** Error codes of `pgtrail export` (docs/errors.md). */
export const ExportErrorCode = {
  cursorInvalid: 'EXPORT_CURSOR_INVALID',
  cursorWriteFailed: 'EXPORT_CURSOR_WRITE_FAILED',
  targetInvalid: 'EXPORT_TARGET_INVALID',
  secretMissing: 'EXPORT_SECRET_MISSING',
  deliveryFailed: 'EXPORT_DELIVERY_FAILED',
} as const;
export type ExportErrorCode = (typeof ExportErrorCode)[keyof typeof ExportErrorCode];

/** A failure of the exporter, with a stable code; the message never carries recorded content or the secret. */
export class ExportError extends Error {
  override readonly name = 'ExportError';
  constructor(
    readonly code: ExportErrorCode,
    message: string,
    options?: ErrorOptions,
  ) {
    super(message, options);
  }
}
