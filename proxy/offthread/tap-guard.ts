import type { CloseReason } from '../../recorder/events.js';
import { BackendError } from '../backend-error.js';
import { FrontendCode } from '../protocol/message-codes.js';
import { malformedText } from '../statements/malformed-message.js';
import { isWellFormed } from '../statements/message-shape.js';
import type { TrafficObserver } from '../traffic-observer.js';
import { gateRefusal, RemoteGateState, type RemoteGate } from './remote-gate.js';
import { wireRefusal } from './wire-bound.js';

/** Messages that start a statement: refused once the journal has failed, or while the remote gate refuses. */
const STARTS_STATEMENT = new Uint8Array(256);
for (const code of [FrontendCode.Query, FrontendCode.Execute, FrontendCode.FunctionCall]) STARTS_STATEMENT[code] = 1;

/** With a remote journal: the gate, and where the guard says it answered a refusal the thread mirrors. */
export interface GuardRemote {
  readonly gate: RemoteGate;
  /** The session answered (status) or ended over (null) a statement the gate refused. */
  readonly refusalAnswered: (error: { readonly code: string; readonly message: string }, status: string | null) => void;
}

/**
 * What the forwarding thread keeps of the statement observer when the observer runs on the
 * recording thread: the refusals that must happen before a message leaves. A client message
 * the observer would refuse as malformed ends the session here, unforwarded, with the observer's
 * own error (the recording thread, reading the same chunk, records the refusal); once the
 * journal has failed, a statement is refused as the observer's sink would refuse it. Server
 * messages are not read here at all.
 *
 * With a remote journal, each chunk carries the gate's state as it was read when the chunk arrived
 * (`chunkGate`, set by the tap): a statement of the chunk is refused in a refusing state, waits in
 * `wait`, goes in `open`. The recording thread reads the same state with the chunk and refuses the
 * same statement (refusal-mirror.ts); `batchRefused` tells it how the session answered.
 */
export class TapGuard implements TrafficObserver {
  readonly statementCount = 0;
  /** The remote gate's state when the chunk being read arrived. */
  chunkGate: RemoteGateState = RemoteGateState.open;
  /** Gate refusals not yet answered: each is answered by exactly one batchRefused. */
  #gateRefusals = 0;

  constructor(
    private readonly failure: () => Error | null,
    private readonly remote: GuardRemote | null = null,
  ) {}

  clientMessage(code: number, body: Buffer): Promise<void> | null {
    if (!isWellFormed(code, body)) throw new BackendError('MALFORMED_MESSAGE', '08P01', malformedText(code));
    if (this.remote !== null) {
      const tooLarge = wireRefusal(code, body);
      if (tooLarge !== null) throw tooLarge;
    }
    if (STARTS_STATEMENT[code] !== 1) return null;
    const failed = this.failure();
    if (failed !== null) return Promise.reject(failed);
    if (this.remote === null || this.chunkGate === RemoteGateState.open) return null;
    const refusal = gateRefusal(this.chunkGate);
    if (refusal === null) return this.remote.gate.waitWhileFull();
    this.#gateRefusals++;
    return Promise.reject(refusal);
  }

  clientCopyData(): void {}
  serverMessage(): void {}
  serverDataPiece(): void {}
  cancelRequested(): void {}

  batchRefused(error: { readonly code: string; readonly message: string }, status: 'I' | 'T' | 'E' | null): void {
    if (this.#gateRefusals === 0 || this.remote === null) return;
    this.#gateRefusals--;
    this.remote.refusalAnswered(error, status);
  }

  sessionEnded(_reason: CloseReason): void {}
}
