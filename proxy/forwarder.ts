/**
 * Forwards an authenticated session's bytes in both directions until one side ends.
 *
 * Server to client: each chunk is written to the client as it arrives, whole, once its headers have
 * been checked (a malformed one never reaches the client); the observer, when there is one, reads
 * the chunk after it was written, so that recording an outcome (finishing the statement, its record)
 * overlaps the client's own work instead of delaying the answer. Server messages never gate, in any
 * durability, so nothing waits for that. Client to server: the
 * client frame reader decides what may leave and when (strict durability holds messages back).
 * With a tap (recording.thread: the observer runs on another thread), the client's messages go to
 * the tap's guard, which only decides what may leave, and each chunk of either side goes whole to
 * the tap; server chunks are then read for their headers alone, as without an observer.
 * Backpressure both ways: when one socket's write buffer is full, the other is paused until it
 * drains, so a slow reader of a huge result keeps pgtrail's memory to about one chunk per session.
 *
 * A statement whose record is refused is never forwarded. When the refusal is transient (the
 * remote recorder is unreachable) and none of its batch has reached the server, the session refuses
 * just that batch, as the server refuses a failed one: once the server has answered everything
 * before it, the client gets an ErrorResponse (ERROR) and, at the batch's end, a ReadyForQuery with
 * the server's unchanged transaction status; the session goes on. Inside a transaction block (or
 * when part of the batch already left) the session ends instead (FATAL): the server rolls the
 * transaction back, so the client never takes a transaction that lost a statement for a live one.
 */
import type { Duplex } from 'node:stream';
import { sinkRefusal, type CloseReason } from '../recorder/events.js';
import type { ProxyCounters } from './proxy-counters.js';
import type { TrafficObserver } from './traffic-observer.js';
import type { TrafficTap } from './traffic-tap.js';
import { BackendError } from './backend-error.js';
import { errorResponse, readyForQuery } from './protocol/backend-messages.js';
import { terminate } from './protocol/frontend-messages.js';
import { FrontendCode } from './protocol/message-codes.js';
import { ClientFrameReader } from './protocol/client-frame-reader.js';
import { ServerFrameReader } from './protocol/server-frame-reader.js';

/** How long a closing socket may take to close cleanly before it is destroyed. */
const CLOSE_LINGER_MS = 2_000;

/** A batch being refused (see the file comment) until its answer is written. */
interface BatchRefusal {
  readonly error: BackendError;
  errorSent: boolean;
  /** The batch has ended on the client's side (its Query, or its Sync, was read). */
  ended: boolean;
  /** Lets the client's next messages go, once the answer is written. */
  readonly answered: () => void;
}

/** What the forwarder reports when the session ends. */
export interface ForwardEnd {
  readonly reason: CloseReason;
  /** What went wrong, when reason is 'error' (already sent to the client when possible). */
  readonly error: unknown;
  /** True when the upstream backend may still be running a statement (the client vanished mid-way). */
  readonly upstreamBusy: boolean;
}

/** The forwarding of one session (see the file comment). */
export class Forwarder {
  private readonly clientReader: ClientFrameReader;
  /** What the client has been sent of the server's stream (with the observer, when there is one). */
  private readonly serverReader: ServerFrameReader;
  /** With an observer: checks each chunk's headers before it is written (serverReader reads it after). */
  private readonly serverCheck: ServerFrameReader | null;
  private gated = false;
  private upstreamFull = false;
  private finished = false;
  private refusal: BatchRefusal | null = null;
  /** When the server last became ready for a query with nothing from the client since (ms), else 0. */
  idleSince: number;

  constructor(
    private readonly client: Duplex,
    private readonly upstream: Duplex,
    private readonly observer: TrafficObserver | null,
    maxMessageBytes: number,
    private readonly onEnd: (end: ForwardEnd) => void,
    private readonly counters: ProxyCounters,
    /** With a tap, each chunk is handed to it whole (traffic-tap.ts); `observer` then only guards the client's messages. */
    private readonly tap: TrafficTap | null = null,
  ) {
    this.clientReader = new ClientFrameReader(maxMessageBytes, observer, this.toUpstream);
    // With a tap the observer only guards what leaves for the server (tap-guard.ts).
    const serverObserver = tap === null ? observer : null;
    this.serverReader = new ServerFrameReader(maxMessageBytes, serverObserver);
    this.serverCheck = serverObserver === null ? null : new ServerFrameReader(maxMessageBytes, null);
    this.idleSince = Date.now();
  }

  /** Starts forwarding; `clientBytes`/`upstreamBytes` were read during startup but not consumed. */
  start(clientBytes: Buffer, upstreamBytes: Buffer): void {
    const { client, upstream } = this;
    client.on('data', this.onClientData);
    client.on('end', this.onClientEnd);
    client.on('close', this.onClientEnd);
    client.on('error', this.onClientEnd);
    client.on('drain', this.onClientDrain);
    upstream.on('data', this.onUpstreamData);
    upstream.on('end', this.onUpstreamEnd);
    upstream.on('close', this.onUpstreamEnd);
    upstream.on('error', this.onUpstreamEnd);
    upstream.on('drain', this.onUpstreamDrain);
    if (upstreamBytes.length > 0) this.onUpstreamData(upstreamBytes);
    if (clientBytes.length > 0) this.onClientData(clientBytes);
    if (!this.finished) {
      upstream.resume();
      if (!this.gated && !this.upstreamFull) client.resume();
    }
  }

  /**
   * Ends the session from pgtrail's side: sends `error` to the client when the server's stream is at
   * a message boundary (else the client would read it inside a message), then closes both legs.
   */
  stop(reason: CloseReason, error: BackendError | null): void {
    if (this.finished) return;
    if (error !== null && this.serverReader.atBoundary) this.client.write(errorResponse(error));
    this.finish(reason, error);
  }

  private readonly toUpstream = (bytes: Buffer): void => {
    if (!this.upstream.write(bytes)) {
      this.upstreamFull = true;
      this.client.pause();
    }
  };

  private readonly onClientData = (chunk: Buffer): void => {
    if (this.finished) return;
    this.idleSince = 0;
    this.counters.bytesFromClients += chunk.length;
    // The tap reads what the reader reads, a message refused here included (it records the refusal).
    this.tap?.clientChunk(chunk);
    let gate: Promise<void> | null;
    try {
      gate = this.clientReader.push(chunk);
    } catch (err) {
      this.fail(err);
      return;
    }
    if (gate) this.waitGate(gate);
  };

  private waitGate(gate: Promise<void>): void {
    this.gated = true;
    this.client.pause();
    gate.then(
      () => {
        if (this.finished) return;
        let next: Promise<void> | null;
        try {
          next = this.clientReader.resume();
        } catch (err) {
          this.fail(err);
          return;
        }
        if (next) {
          this.waitGate(next);
          return;
        }
        this.gated = false;
        if (!this.upstreamFull) this.client.resume();
      },
      (err: unknown) => {
        if (this.finished) return;
        const refusal = sinkRefusal(err);
        const sqlstate = refusal?.sqlstate ?? '58030';
        const message = `the statement could not be recorded and was not run${refusal === null ? '' : `: ${refusal.message}`}`;
        const error = new BackendError('NOT_RECORDED', sqlstate, message, 'ERROR', null, { cause: err });
        if (refusal?.transient === true && this.refuseBatch(error)) return;
        this.endRefused(error);
      },
    );
  }

  /** Starts refusing the gated batch in the session; false when part of it already left. */
  private refuseBatch(error: BackendError): boolean {
    let answered: () => void = () => {};
    const done = new Promise<void>((resolve) => {
      answered = resolve;
    });
    const refusal: BatchRefusal = { error, errorSent: false, ended: false, answered };
    const whole = this.clientReader.refuseBatch(() => {
      refusal.ended = true;
      this.answerRefusal();
      return done;
    });
    if (!whole) return false;
    this.refusal = refusal;
    this.answerRefusal();
    let next: Promise<void> | null;
    try {
      next = this.clientReader.resume();
    } catch (err) {
      this.fail(err);
      return true;
    }
    if (next) this.waitGate(next);
    else {
      this.gated = false;
      if (!this.upstreamFull) this.client.resume();
    }
    return true;
  }

  /**
   * Writes what it can of the refused batch's answer: the ErrorResponse once the server has
   * answered everything forwarded before it (so the transaction status is known and the order
   * kept), the ReadyForQuery once the batch has ended too.
   */
  private answerRefusal(): void {
    const refusal = this.refusal;
    if (refusal === null || this.finished) return;
    const server = this.serverReader;
    // Startup consumed its own ReadyForQuery: every one read here answers a batch of the client.
    if (!server.atBoundary || server.readies !== this.clientReader.batchesSent) return;
    const status = server.readyStatus === 0 ? 'I' : (String.fromCharCode(server.readyStatus) as 'I' | 'T' | 'E');
    if (!refusal.errorSent) {
      if (status === 'T') {
        this.refusal = null;
        this.endRefused(refusal.error);
        return;
      }
      refusal.errorSent = true;
      this.observer?.batchRefused({ code: refusal.error.sqlstate, message: refusal.error.message }, status);
      this.client.write(errorResponse(refusal.error));
    }
    if (!refusal.ended) return;
    this.refusal = null;
    this.client.write(readyForQuery(status));
    this.idleSince = Date.now();
    refusal.answered();
  }

  /** Ends the session over a statement that could not be recorded (FATAL). */
  private endRefused(error: BackendError): void {
    this.observer?.batchRefused({ code: error.sqlstate, message: error.message }, null);
    this.stop(
      'error',
      new BackendError(error.code, error.sqlstate, error.message, 'FATAL', null, { cause: error.cause }),
    );
  }

  private readonly onUpstreamData = (chunk: Buffer): void => {
    if (this.finished) return;
    this.counters.bytesFromServers += chunk.length;
    const check = this.serverCheck;
    try {
      (check ?? this.serverReader).push(chunk);
      if (check !== null) {
        if (!this.client.write(chunk)) this.upstream.pause();
        // The same headers again, valid now: the observer's turn, after the bytes left.
        this.serverReader.push(chunk);
      }
    } catch (err) {
      this.fail(err);
      return;
    }
    this.idleSince = this.serverReader.isReady ? Date.now() : 0;
    if (check === null && !this.client.write(chunk)) this.upstream.pause();
    this.tap?.serverChunk(chunk);
    if (this.refusal !== null) this.answerRefusal();
  };

  private readonly onClientDrain = (): void => {
    if (!this.finished) this.upstream.resume();
  };

  private readonly onUpstreamDrain = (): void => {
    this.upstreamFull = false;
    if (!this.finished && !this.gated) this.client.resume();
  };

  private readonly onClientEnd = (): void => {
    if (this.finished) return;
    const quit = this.clientReader.lastCode === FrontendCode.Terminate && this.clientReader.atBoundary;
    this.finish(quit ? 'client_quit' : 'client_gone', null);
  };

  private readonly onUpstreamEnd = (): void => {
    if (this.finished) return;
    this.finish('upstream_gone', null);
  };

  private fail(err: unknown): void {
    this.stop(
      'error',
      err instanceof BackendError
        ? err
        : new BackendError('PROTOCOL_VIOLATION', '08P01', 'internal error while forwarding', 'FATAL', null, {
            cause: err,
          }),
    );
  }

  private finish(reason: CloseReason, error: unknown): void {
    this.finished = true;
    const upstreamBusy = reason === 'client_gone' && this.idleSince === 0;
    const { client, upstream } = this;
    // Terminate lets the backend end at once (and roll back); when the client was cut off inside a
    // message, the bytes so far cannot be completed, so the upstream connection is just closed.
    if (this.clientReader.atBoundary && reason !== 'client_quit' && reason !== 'upstream_gone' && upstream.writable)
      upstream.write(terminate());
    upstream.end();
    client.end();
    const linger = setTimeout(() => {
      client.destroy();
      upstream.destroy();
    }, CLOSE_LINGER_MS);
    linger.unref();
    client.resume();
    upstream.resume();
    this.onEnd({ reason, error, upstreamBusy });
  }
}
