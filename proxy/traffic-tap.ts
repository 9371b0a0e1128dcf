import type { CloseReason, Peer } from '../recorder/events.js';
import type { ObservedSession, TrafficObserver } from './traffic-observer.js';

/**
 * The other way to watch a session (batched durability): instead of a TrafficObserver called for
 * every message on the forwarding thread, the session hands its tap each chunk whole, in order,
 * right after forwarding it, and the tap reads the messages elsewhere (proxy/offthread/: another
 * thread). Nothing a tap does can hold a message back, so it serves only where nothing gates.
 * `chunk` is the socket's own buffer: a tap that keeps it past the call must copy it.
 */
export interface TrafficTap {
  /**
   * What must still be decided on the forwarding thread, before a client message leaves (a malformed
   * message, a journal that failed): the session gives it the client's messages as to an observer.
   */
  readonly guard: TrafficObserver;
  clientChunk(chunk: Buffer): void;
  serverChunk(chunk: Buffer): void;
  cancelRequested(client: Peer): void;
  sessionEnded(reason: CloseReason): void;
}

/** What a tap knows of its session: what an observer knows, less the sink (the tap brings its own). */
export type TappedSession = Omit<ObservedSession, 'sink'>;

/** Creates the tap of one session. */
export type TapFactory = (session: TappedSession) => TrafficTap;
