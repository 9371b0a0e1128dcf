import type { CloseReason, Peer } from '../../recorder/events.js';
import { BackendError } from '../backend-error.js';
import { BackendCode } from '../protocol/message-codes.js';
import type { ObservedSession, TrafficObserver } from '../traffic-observer.js';
import { emit, newObserverState, type ObserverState, type StatementObserverOptions } from './observer-state.js';
import { observeClientMessage } from './observe-client-message.js';
import { observeServerMessage } from './observe-server-message.js';
import { currentRun } from './pending-message.js';
import { finishOpenStatements, refuseBatch } from './ready-for-query.js';

export type { StatementObserverOptions } from './observer-state.js';

/**
 * Follows one session's traffic and turns it into statement events (see docs/recording.md). The
 * state lives in one ObserverState; client messages are read in observe-client-message.ts, server
 * messages in observe-server-message.ts (errors in attribute-server-error.ts, ReadyForQuery in
 * ready-for-query.ts). This class is the TrafficObserver face of it: a bug of the observer's own is
 * reported to onInternalError and never thrown into the forwarding path.
 */
export class SessionObserver implements TrafficObserver {
  private readonly state: ObserverState;

  constructor(session: ObservedSession, options: StatementObserverOptions) {
    this.state = newObserverState(session, options);
  }

  get statementCount(): number {
    return this.state.count;
  }

  clientMessage(code: number, body: Buffer): Promise<void> | null {
    try {
      return observeClientMessage(this.state, code, body);
    } catch (err) {
      // A message it cannot decode is refused (refuseMalformed): the session must end without forwarding it.
      if (err instanceof BackendError) throw err;
      this.state.options.onInternalError?.(err);
      return null;
    }
  }

  clientCopyData(piece: Buffer): void {
    try {
      this.state.copyIn?.copyPiece(piece);
    } catch (err) {
      this.state.options.onInternalError?.(err);
    }
  }

  serverMessage(code: number, body: Buffer): void {
    try {
      observeServerMessage(this.state, code, body);
    } catch (err) {
      this.state.options.onInternalError?.(err);
    }
  }

  serverDataPiece(code: number, piece: Buffer, first: boolean, last: boolean): void {
    const s = this.state;
    try {
      if (code === BackendCode.DataRow) currentRun(s.queue[0])?.dataRowPiece(piece, first, last);
      else if (code === BackendCode.CopyData) s.copyOut?.copyPiece(piece);
    } catch (err) {
      s.options.onInternalError?.(err);
    }
  }

  cancelRequested(client: Peer): void {
    const s = this.state;
    let running: number | null = null;
    for (const pending of s.queue) {
      const run = currentRun(pending);
      if (run !== null && !run.isComplete) {
        running = run.statement;
        break;
      }
    }
    emit(s, {
      type: 'statement.cancel_requested',
      ts: s.options.clock(),
      session: s.session.session,
      statement: running,
      client,
    });
  }

  batchRefused(error: { readonly code: string; readonly message: string }, status: 'I' | 'T' | 'E' | null): void {
    try {
      refuseBatch(this.state, error, status);
    } catch (err) {
      this.state.options.onInternalError?.(err);
    }
  }

  sessionEnded(_reason: CloseReason): void {
    try {
      finishOpenStatements(this.state);
    } catch (err) {
      this.state.options.onInternalError?.(err);
    }
  }
}
