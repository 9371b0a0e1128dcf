/**
 * The one thing pgtrail ever writes to a client on failure: a PostgreSQL ErrorResponse with a real
 * SQLSTATE. Everything else that goes wrong is logged and the session closed.
 */

/** Stable codes of the failures pgtrail reports to clients (docs/errors.md, section proxy). */
export type BackendErrorCode =
  | 'PROTOCOL_VIOLATION'
  | 'MALFORMED_MESSAGE'
  | 'MESSAGE_TOO_LARGE'
  | 'UNSUPPORTED_PROTOCOL'
  | 'TLS_REQUIRED'
  | 'TOO_MANY_CONNECTIONS'
  | 'STARTUP_TIMEOUT'
  | 'UPSTREAM_UNREACHABLE'
  | 'UPSTREAM_PROTOCOL_VIOLATION'
  | 'UPSTREAM_ERROR'
  | 'AUTH_METHOD_UNSUPPORTED'
  | 'AUTH_FAILED'
  | 'NOT_RECORDED'
  | 'SHUTDOWN'
  | 'IDLE_TIMEOUT';

/** ErrorResponse severities pgtrail uses: FATAL closes the session, ERROR leaves it usable. */
export type Severity = 'ERROR' | 'FATAL';

/** A failure to report to a client as an ErrorResponse. */
export class BackendError extends Error {
  override readonly name = 'BackendError';
  constructor(
    readonly code: BackendErrorCode,
    /** The five-character SQLSTATE, e.g. 08P01. */
    readonly sqlstate: string,
    message: string,
    readonly severity: Severity = 'FATAL',
    /**
     * The server's own ErrorResponse body, when this error relays one (UPSTREAM_ERROR): the client
     * then receives exactly what PostgreSQL said, with every field.
     */
    readonly serverBody: Buffer | null = null,
    options?: { cause: unknown },
  ) {
    super(message, options);
  }
}

/** A protocol violation by the client (08P01). */
export function protocolViolation(message: string): BackendError {
  return new BackendError('PROTOCOL_VIOLATION', '08P01', message);
}

/** A protocol violation by the upstream server, reported to the client as a broken connection (08P01). */
export function upstreamProtocolViolation(message: string): BackendError {
  return new BackendError('UPSTREAM_PROTOCOL_VIOLATION', '08P01', message);
}
