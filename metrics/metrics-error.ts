/** Error codes of the metrics endpoint (docs/errors.md). */
export const MetricsErrorCode = { listenFailed: 'METRICS_LISTEN_FAILED' } as const;
export type MetricsErrorCode = (typeof MetricsErrorCode)[keyof typeof MetricsErrorCode];

/** A failure of the metrics endpoint, with a stable code. */
export class MetricsError extends Error {
  override readonly name = 'MetricsError';
  constructor(
    readonly code: MetricsErrorCode,
    message: string,
    options?: ErrorOptions,
  ) {
    super(message, options);
  }
}
