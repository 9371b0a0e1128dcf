/**
 * What the forwarding thread puts in the chunk ring for the recording thread (chunk-ring.ts): each
 * record's tag is the session's slot shifted left by 4 with one of these kinds in the low bits.
 */
export const TapKind = {
  /** A session began: payload is its TappedSession in JSON (serverParams as entries). */
  Open: 1,
  /** A chunk the client sent, as forwarded. */
  Client: 2,
  /** A chunk the server sent, as forwarded. */
  Server: 3,
  /** The client asked to cancel: payload is the requesting peer in JSON. */
  Cancel: 4,
  /** The session ended: payload is the close reason; the slot may be reused after it. */
  End: 5,
  /** An event the forwarding thread records itself (session.opened, session.closed, refusals): JSON. */
  Event: 6,
  /** A chunk the client sent, read while the remote gate refused for want of the recorder (remote-gate.ts). */
  ClientUnreachable: 7,
  /** A chunk the client sent, read while the remote gate refused for a full spool. */
  ClientSpoolFull: 8,
  /**
   * The session answered a statement the remote gate refused: payload is JSON {error, status},
   * status null when the session ended over it (refusal-mirror.ts).
   */
  RefusalAnswered: 9,
} as const;

export type TapKind = (typeof TapKind)[keyof typeof TapKind];

export const tapTag = (slot: number, kind: TapKind): number => (slot << 4) | kind;
export const tapKindOf = (tag: number): number => tag & 15;
export const tapSlotOf = (tag: number): number => tag >>> 4;
