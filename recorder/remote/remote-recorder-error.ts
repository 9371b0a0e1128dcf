/**
 * The one error class of the proxy's side of a remote recorder (recorder/remote/). Codes are stable
 * and listed in docs/errors.md. A rejection of the sink carries `sqlstate`: what the client whose
 * statement could not be recorded is sent (see SinkRefusal in events.ts).
 */

/** Every code a RemoteRecorderError carries. */
export const RemoteRecorderErrorCode = {
  /** No connection to the recorder (down, refusing, or not reached yet): the statement is not run. */
  unreachable: 'RECORDER_UNREACHABLE',
  /** The spool (or, without one, the memory queue) is full and the recorder is unreachable. */
  spoolFull: 'RECORDER_SPOOL_FULL',
  /** The spool cannot be written or read: the proxy fails closed. */
  spoolFailed: 'RECORDER_SPOOL_FAILED',
  /** A spool file is damaged other than by a torn final write: the proxy does not start. */
  spoolCorrupt: 'RECORDER_SPOOL_CORRUPT',
  /** One event is larger than the wire format allows (16 MiB of JSON). */
  eventTooLarge: 'RECORDER_EVENT_TOO_LARGE',
  /** The recorder holds fewer events of this instance than it acknowledged: the proxy fails closed. */
  sequenceLost: 'RECORDER_SEQUENCE_LOST',
  /** The sink was closed. */
  closed: 'RECORDER_SINK_CLOSED',
} as const;

/** One of RemoteRecorderErrorCode's values. */
export type RemoteRecorderErrorCode = (typeof RemoteRecorderErrorCode)[keyof typeof RemoteRecorderErrorCode];

/**
 * SQLSTATE sent to a client whose statement is refused because it cannot be recorded: 57P03
 * cannot_connect_now while the recorder is unreachable or the spool is full (a transient condition;
 * poolers and drivers retry it), 58030 io_error when the proxy failed closed.
 */
const sqlstateOf: Readonly<Record<RemoteRecorderErrorCode, string>> = {
  RECORDER_UNREACHABLE: '57P03',
  RECORDER_SPOOL_FULL: '57P03',
  RECORDER_SPOOL_FAILED: '58030',
  RECORDER_SPOOL_CORRUPT: '58030',
  RECORDER_EVENT_TOO_LARGE: '54000',
  RECORDER_SEQUENCE_LOST: '58030',
  RECORDER_SINK_CLOSED: '57P01',
};

/** Why the remote sink could not take or deliver an event. */
export class RemoteRecorderError extends Error {
  override readonly name = 'RemoteRecorderError';
  /** The SQLSTATE a client gets when this refuses its statement. */
  readonly sqlstate: string;
  /** True when the condition passes by itself (the recorder comes back): the session goes on. */
  readonly transient: boolean;

  constructor(
    readonly code: RemoteRecorderErrorCode,
    message: string,
    options?: { cause?: unknown },
  ) {
    super(message, options);
    this.sqlstate = sqlstateOf[code];
    this.transient = code === RemoteRecorderErrorCode.unreachable || code === RemoteRecorderErrorCode.spoolFull;
  }
}

/** The refusal of a statement or session that cannot be recorded now: the recorder unreachable, and the spool full too. */
export function unreachableRefusal(spoolFull: boolean): RemoteRecorderError {
  return spoolFull
    ? new RemoteRecorderError(RemoteRecorderErrorCode.spoolFull, 'the spool is full and the recorder is unreachable')
    : new RemoteRecorderError(RemoteRecorderErrorCode.unreachable, 'the recorder is unreachable');
}
