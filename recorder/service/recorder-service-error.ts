/**
 * The one error class of the recorder service (recorder/service/). Codes are stable, listed in
 * docs/errors.md, and sent to a refused proxy in a Refusal frame; messages never carry record contents.
 */

/** Every code a RecorderServiceError carries. */
export const RecorderServiceErrorCode = {
  /** The token file cannot be read, is larger than 64 KiB, or holds no token of at least 16 characters. */
  tokenFileInvalid: 'RECORDER_TOKEN_FILE_INVALID',
  /** The TLS certificate, key or CA file cannot be read or used. */
  tlsFilesUnreadable: 'RECORDER_TLS_FILES_UNREADABLE',
  /** The listen address is in use or not available. */
  listenFailed: 'RECORDER_LISTEN_FAILED',
  /** A frame came that the connection's state does not allow (a Batch before Hello, a second Hello). */
  unexpectedFrame: 'RECORDER_UNEXPECTED_FRAME',
  /** A Batch starts after the next sequence number the recorder expects: events are missing. */
  sequenceGap: 'RECORDER_SEQUENCE_GAP',
  /** A Batch on a connection repeats sequence numbers that connection already sent. */
  sequenceReplayed: 'RECORDER_SEQUENCE_REPLAYED',
  /** An event is not one line of UTF-8 JSON of a known event type, or claims another instance. */
  eventMalformed: 'RECORDER_EVENT_MALFORMED',
  /** No Hello within the time allowed after the connection opened. */
  helloTimeout: 'RECORDER_HELLO_TIMEOUT',
  /** Another connection took over this instance name. */
  replaced: 'RECORDER_CONNECTION_REPLACED',
  /** The journal failed closed; the service records nothing more. */
  journalFailed: 'RECORDER_JOURNAL_FAILED',
  /** The service is shutting down. */
  shuttingDown: 'RECORDER_SHUTTING_DOWN',
} as const;

/** One of RecorderServiceErrorCode's values. */
export type RecorderServiceErrorCode = (typeof RecorderServiceErrorCode)[keyof typeof RecorderServiceErrorCode];

/** A refusal or a start failure of the recorder service. */
export class RecorderServiceError extends Error {
  override readonly name = 'RecorderServiceError';

  constructor(
    readonly code: RecorderServiceErrorCode,
    message: string,
    options?: { cause?: unknown },
  ) {
    super(message, options);
  }
}
