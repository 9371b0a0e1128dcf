import type { CloseReason } from '../../recorder/events.js';
import { BackendError } from '../backend-error.js';
import { FrontendCode } from '../protocol/message-codes.js';
import { malformedText } from '../statements/malformed-message.js';
import { isWellFormed } from '../statements/message-shape.js';
import type { TrafficObserver } from '../traffic-observer.js';

/** Messages that start a statement: refused once the journal has failed. */
const STARTS_STATEMENT = new Uint8Array(256);
for (const code of [FrontendCode.Query, FrontendCode.Execute, FrontendCode.FunctionCall]) STARTS_STATEMENT[code] = 1;

/**
 * What the forwarding thread keeps of the statement observer when the observer runs on the
 * recording thread: the two refusals that must happen before a message leaves. A client message
 * the observer would refuse as malformed ends the session here, unforwarded, with the observer's
 * own error (the recording thread, reading the same chunk, records the refusal); and once the
 * journal has failed, a statement is refused as the observer's sink would refuse it. Server
 * messages are not read here at all.
 */
export class TapGuard implements TrafficObserver {
  readonly statementCount = 0;

  constructor(private readonly failure: () => Error | null) {}

  clientMessage(code: number, body: Buffer): Promise<void> | null {
    if (!isWellFormed(code, body)) throw new BackendError('MALFORMED_MESSAGE', '08P01', malformedText(code));
    if (STARTS_STATEMENT[code] !== 1) return null;
    const failed = this.failure();
    return failed === null ? null : Promise.reject(failed);
  }

  clientCopyData(): void {}
  serverMessage(): void {}
  serverDataPiece(): void {}
  cancelRequested(): void {}
  batchRefused(): void {}
  sessionEnded(_reason: CloseReason): void {}
}
