/**
 * The client side of one session on the recording thread when the journal is remote: it reads the
 * client's chunks as the forwarding thread's reader did, and refuses the same statements.
 *
 * Why it must: the forwarding thread refuses a statement while the remote gate refuses
 * (remote-gate.ts), before the statement leaves, and then drops the rest of its batch and answers
 * it itself (forwarder.ts). An observer that went on reading here as if the statement had gone
 * would wait for answers the server never sends. Each chunk arrives with the gate's state the
 * forwarding thread read for it, so the same statement's record is refused here (its
 * statement.started still recorded); the reader then drops the same batch; and the session's
 * answer, which the forwarding thread reports once it knows the transaction status
 * (TapKind.RefusalAnswered), finishes the statement as not executed (observer.batchRefused), after
 * which reading goes on. Until then the client's next chunks wait here, as the client's socket
 * waited there. A session the forwarding thread ended over the refusal is read no further.
 *
 * Chunks are ring memory, reused once read: one the reader may hold (or that waits here) is copied.
 */
import type { RemoteRecorderError } from '../../recorder/remote/remote-recorder-error.js';
import type { ClientFrameReader } from '../protocol/client-frame-reader.js';

/** A chunk that waits for the answer to a refusal, with the gate's state it came with. */
interface WaitingChunk {
  readonly chunk: Buffer;
  readonly refusing: RemoteRecorderError | null;
}

/** One session's client side, read with the forwarding thread's refusals (see the file comment). */
export class RefusalMirror {
  /** The refusal of the gate's state for the chunk being read; null: statements go. */
  #refusing: RemoteRecorderError | null = null;
  /** The sink refused a statement of the chunk being read: its batch is to be dropped. */
  #refusedNow = false;
  /** The gate the reader holds after a refused batch's end, until its answer. */
  #batchEnd: Promise<void> | null = null;
  #answered = false;
  /** From a refusal until its answer was applied: chunks may be held, so they are copied. */
  #inRefusal = false;
  /** The reader waits for the refusal's answer; chunks wait in #waiting. */
  #held = false;
  readonly #waiting: WaitingChunk[] = [];
  /** The forwarding thread ended the session over a refusal: nothing more is read. */
  #ended = false;

  constructor(
    private readonly reader: ClientFrameReader,
    /** Told when a record was refused: the thread lets the refusal settle before reading on. */
    private readonly onRefused: () => void,
  ) {}

  /**
   * For the session's sink: the refusal of `type`'s record in the chunk being read, or null. A
   * refused statement.started is still recorded by the caller.
   */
  refusalOf(type: string): RemoteRecorderError | null {
    if (type !== 'statement.started' || this.#refusing === null) return null;
    this.#refusedNow = true;
    return this.#refusing;
  }

  /** Reads a client chunk that came with `refusing` (the gate's refusal when it arrived, or null). */
  push(chunk: Buffer, refusing: RemoteRecorderError | null): void {
    if (this.#ended) return;
    const own = refusing !== null || this.#inRefusal || this.#held ? Buffer.from(chunk) : chunk;
    if (this.#held) {
      this.#waiting.push({ chunk: own, refusing });
      return;
    }
    this.#refusing = refusing;
    this.#run(this.reader.push(own));
  }

  /** The forwarding thread answered the refused batch with `status`, or (null) ended the session over it. */
  answered(status: string | null): void {
    if (status === null) {
      this.#ended = true;
      this.#waiting.length = 0;
      return;
    }
    this.#answered = true;
    if (!this.#held) return;
    // The batch had ended here already: reading goes on, then the chunks that waited.
    this.#held = false;
    this.#run(this.#batchEnd);
    while (!this.#held && !this.#ended && this.#waiting.length > 0) {
      const next = this.#waiting.shift()!;
      this.#refusing = next.refusing;
      this.#run(this.reader.push(next.chunk));
    }
  }

  /** Follows the reader's gates: a refused statement's, and the end of its batch. */
  #run(gate: Promise<void> | null): void {
    while (gate !== null) {
      if (this.#refusedNow) {
        this.#refusedNow = false;
        this.#inRefusal = true;
        this.onRefused();
        // As the forwarding thread: a batch of which part already left ends the session instead.
        if (!this.reader.refuseBatch(() => this.#endOfRefusedBatch())) {
          this.#ended = true;
          return;
        }
        gate = this.reader.resume();
        continue;
      }
      if (gate !== this.#batchEnd)
        throw new Error('the client reader waits on a gate the recording thread did not set');
      if (!this.#answered) {
        this.#held = true;
        return;
      }
      this.#answered = false;
      this.#batchEnd = null;
      this.#inRefusal = false;
      gate = this.reader.resume();
    }
  }

  #endOfRefusedBatch(): Promise<void> {
    // Never settles: the answer is applied by answered(), synchronously, in ring order.
    this.#batchEnd = new Promise<void>(() => {});
    return this.#batchEnd;
  }
}
