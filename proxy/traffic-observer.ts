import type { CloseReason, EventSink, Identity, Peer } from '../recorder/events.js';

/**
 * What a session tells its observer about the traffic it forwards. The session (proxy/) owns the
 * sockets and the frame readers; the observer (proxy/statements/) turns messages into statement
 * events. The frame readers decode headers only and hand over:
 * - every whole client message except CopyData, whose body arrives in pieces as it streams;
 * - every whole server message except DataRow and CopyData, whose bodies arrive in pieces.
 * `body` is the message payload without the type byte and length word. Buffers may be slices of the
 * socket's chunk: an observer that keeps one past the call must copy it.
 */
export interface TrafficObserver {
  /**
   * A whole message from the client (`code` is the type byte, e.g. 0x51 'Q'). Returns a promise when
   * the message must not be forwarded before it settles (strict durability), else null. A rejected
   * promise means the statement could not be recorded: the session must not forward it. Throws a
   * BackendError (08P01) for a message the observer cannot decode: the session must end with that
   * error and never forward the message.
   */
  clientMessage(code: number, body: Buffer): Promise<void> | null;
  /** A piece of a client CopyData body, in order. */
  clientCopyData(piece: Buffer): void;
  /** A whole message from the server other than DataRow ('D') and CopyData ('d'). */
  serverMessage(code: number, body: Buffer): void;
  /**
   * A piece of a DataRow or CopyData body from the server, in order; `first` marks the first piece of
   * a message and `last` its last (a small message is one piece with both set).
   */
  serverDataPiece(code: number, piece: Buffer, first: boolean, last: boolean): void;
  /** The client sent a CancelRequest for this session (on its own connection, as the protocol has it). */
  cancelRequested(client: Peer): void;
  /**
   * The session refused the client's current batch, forwarding none of it, because a statement's
   * record was refused (the promise of clientMessage rejected): the statements refused are finished
   * with `error`. With `status` the session answered the batch itself (ErrorResponse, then
   * ReadyForQuery with that status) and goes on; null: the session ends.
   */
  batchRefused(error: { readonly code: string; readonly message: string }, status: 'I' | 'T' | 'E' | null): void;
  /** The session ended; statements still in flight are finished without an outcome. */
  sessionEnded(reason: CloseReason): void;
  /** How many statements the session has started so far (for session.closed). */
  readonly statementCount: number;
}

/** What an observer knows about its session when it is created, right after authentication. */
export interface ObservedSession {
  readonly session: string;
  readonly identity: Identity;
  readonly database: string;
  /** The upstream role the session started with. */
  readonly role: string;
  /** ParameterStatus values the server sent during startup (client_encoding, server_version, ...). */
  readonly serverParams: ReadonlyMap<string, string>;
  readonly client: Peer;
  readonly sink: EventSink;
}

/** Creates the observer of one session. */
export type ObserverFactory = (session: ObservedSession) => TrafficObserver;

/** An observer that records nothing: forwarding without statements on the record (tests of forwarding alone). */
export const silentObserver: ObserverFactory = () => ({
  clientMessage: () => null,
  clientCopyData: () => {},
  serverMessage: () => {},
  serverDataPiece: () => {},
  cancelRequested: () => {},
  batchRefused: () => {},
  sessionEnded: () => {},
  statementCount: 0,
});
