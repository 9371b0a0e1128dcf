/**
 * Reads the client's byte stream after startup, message by message, decoding headers only, and
 * decides which bytes may be forwarded upstream and when.
 *
 * Two modes:
 * - without an observer (nothing is recorded) every chunk is forwarded whole at once; the reader
 *   only walks the headers to enforce the size limit and reject malformed input, without allocating
 *   (only a header split across chunks is held back until it is whole);
 * - with an observer, each whole message except CopyData is handed to `observer.clientMessage`
 *   before any of its bytes leave; when that returns a promise (strict durability), neither that
 *   message nor anything after it is forwarded until the promise settles; the messages before it in
 *   the same chunk wait with it, so that they reach the server in one write. A message split across
 *   chunks is assembled (bounded by maxMessageBytes) so that it can be held back. CopyData bodies
 *   stream: pieces go to `observer.clientCopyData` and are forwarded as they arrive.
 * A malformed header throws BackendError (08P01) before any byte of the offending chunk is forwarded;
 * a message the observer cannot decode throws its BackendError once the messages before it have left.
 *
 * When a gate rejects (the statement could not be recorded), `refuseBatch` drops the gated message
 * together with the rest of its batch: the messages since the last Sync, Query or FunctionCall and,
 * for the extended protocol, everything up to and including the next Sync, none of which is handed
 * to the observer. That is only possible while no byte of the batch has left (the server has not
 * seen it); the reader counts bytes forwarded and batch ends read, in stream offsets, to tell.
 */
import type { TrafficObserver } from '../traffic-observer.js';
import { BackendError, protocolViolation } from '../backend-error.js';
import { FrontendCode, HEADER_BYTES } from './message-codes.js';
import { FrameHeader } from './frame-header.js';

const EMPTY = Buffer.alloc(0);

/** Frontend type bytes valid after startup; anything else is a protocol violation. */
const VALID_CODE = new Uint8Array(256);
for (const code of Object.values(FrontendCode)) VALID_CODE[code] = 1;

/** Messages that end a batch: the server answers each with ReadyForQuery. */
const ENDS_BATCH = new Uint8Array(256);
for (const code of [FrontendCode.Sync, FrontendCode.Query, FrontendCode.FunctionCall]) ENDS_BATCH[code] = 1;

/** Messages whose only content is the length word: a longer one is malformed. */
const EMPTY_BODY = new Uint8Array(256);
for (const code of [FrontendCode.Sync, FrontendCode.Flush, FrontendCode.Terminate, FrontendCode.CopyDone])
  EMPTY_BODY[code] = 1;

/** Streaming reader of client messages (see the file comment). */
export class ClientFrameReader {
  /** The current message's header, possibly split across chunks. */
  private readonly head = new FrameHeader();
  /** Body bytes of the current message still to come (0 at a message boundary). */
  private remaining = 0;
  /** A whole message being assembled across chunks: header and body. */
  private assembly: Buffer | null = null;
  private assemblyHave = 0;
  /**
   * After a gate: an assembled message to forward once it settles, or the chunk whose bytes from
   * heldFrom are held (the gated message ends at heldPos, where reading continues).
   */
  private gatedBytes: Buffer | null = null;
  private heldChunk: Buffer | null = null;
  private heldFrom = 0;
  private heldPos = 0;
  /** Type byte of the last message whose header was read. */
  lastCode = 0;
  /** Stream offsets (bytes from the start of forwarding): of the current chunk, and of everything forwarded. */
  private chunkAt = 0;
  private streamRead = 0;
  private sent = 0;
  /** Stream offset where the current batch begins: the end of the last batch end read and passed on. */
  private batchAt = 0;
  /** The gated message, when it ends a batch: its end offset, applied once it is let through. */
  private gatedEndsBatchAt = -1;
  /** Batches passed on to the server (Sync, Query and FunctionCall forwarded or about to be with their gate). */
  batchesSent = 0;
  /** After refuseBatch of an extended-protocol batch: messages are dropped up to and including Sync. */
  private discarding = false;
  /** Called when the refused batch has ended on the client's side; its promise gates what follows. */
  private refusedBatchEnd: (() => Promise<void>) | null = null;

  constructor(
    private readonly maxMessageBytes: number,
    private readonly observer: TrafficObserver | null,
    private readonly sendUpstream: (bytes: Buffer) => void,
  ) {}

  private forward(bytes: Buffer): void {
    this.sent += bytes.length;
    this.sendUpstream(bytes);
  }

  /**
   * Takes the next chunk from the client. Returns null when it was handled in full, or a promise
   * the caller must await (reading no more from the client) before calling `resume()`.
   */
  push(chunk: Buffer): Promise<void> | null {
    if (this.observer === null) {
      this.scan(chunk);
      return null;
    }
    this.chunkAt = this.streamRead;
    this.streamRead += chunk.length;
    return this.run(chunk, 0, this.observer);
  }

  /** Continues after the promise returned by push (or resume) has settled: forwards the held message and the rest. */
  resume(): Promise<void> | null {
    const refusedEnd = this.refusedBatchEnd;
    if (refusedEnd !== null && !this.discarding) {
      // A refused Query or FunctionCall: its batch is over; what follows waits for the answer.
      this.refusedBatchEnd = null;
      return refusedEnd();
    }
    const gated = this.gatedBytes;
    const chunk = this.heldChunk;
    this.gatedBytes = null;
    this.heldChunk = null;
    if (this.gatedEndsBatchAt >= 0) {
      this.batchAt = this.gatedEndsBatchAt;
      this.batchesSent++;
      this.gatedEndsBatchAt = -1;
    }
    if (gated) this.forward(gated);
    if (!chunk || this.observer === null) return null;
    if (this.heldPos >= chunk.length) {
      if (this.heldFrom < chunk.length) this.forward(chunk.subarray(this.heldFrom));
      return null;
    }
    return this.run(chunk, this.heldPos, this.observer, this.heldFrom);
  }

  /**
   * The gate returned last rejected: drops the gated message and the rest of its batch (see the file
   * comment), forwarding only the held messages of earlier batches. Returns false, forwarding nothing,
   * when part of the batch has already left: the session must then end. `onBatchEnd` is called once
   * the batch has ended on the client's side (at once for a Query, at the Sync for the extended
   * protocol); `resume()` then returns its promise as the gate of what follows.
   */
  refuseBatch(onBatchEnd: () => Promise<void>): boolean {
    const chunk = this.heldChunk;
    if (chunk === null || this.sent > this.batchAt) return false;
    // Held messages of earlier batches (complete, ending at batchAt) still go.
    const keepTo = this.batchAt - this.chunkAt;
    if (keepTo > this.heldFrom) this.forward(chunk.subarray(this.heldFrom, keepTo));
    this.heldFrom = this.heldPos;
    this.gatedBytes = null;
    // Offsets as if the dropped bytes had left: what follows is a new batch, or the refused one's rest.
    this.sent = this.chunkAt + this.heldPos;
    this.discarding = this.gatedEndsBatchAt < 0;
    if (!this.discarding) this.batchAt = this.sent;
    this.gatedEndsBatchAt = -1;
    this.refusedBatchEnd = onBatchEnd;
    return true;
  }

  /** True between messages: nothing of a message has been seen without its end. */
  get atBoundary(): boolean {
    return this.head.have === 0 && this.remaining === 0 && this.assembly === null;
  }

  /**
   * Headers only, forwarding whole chunks without allocating: the mode without an observer. Only a
   * header split across chunks is held back (at most 4 bytes), so that a malformed one is never sent.
   */
  private scan(chunk: Buffer): void {
    const n = chunk.length;
    let pos = 0;
    let forwardFrom = 0;
    if (this.head.have > 0) {
      pos = this.readHeader(chunk, 0);
      if (this.head.have < HEADER_BYTES) return;
      this.head.have = 0;
      this.forward(Buffer.from(this.head.bytes));
      forwardFrom = pos;
    }
    while (pos < n) {
      if (this.remaining > 0) {
        const skip = Math.min(this.remaining, n - pos);
        pos += skip;
        this.remaining -= skip;
        continue;
      }
      const start = pos;
      pos = this.readHeader(chunk, pos);
      if (this.head.have < HEADER_BYTES) {
        if (start > forwardFrom) this.forward(chunk.subarray(forwardFrom, start));
        return;
      }
      this.head.have = 0;
    }
    if (forwardFrom < n) this.forward(forwardFrom === 0 ? chunk : chunk.subarray(forwardFrom));
  }

  /** Reads (the rest of) a header at `pos`; once it is whole, validates it and sets lastCode and remaining. */
  private readHeader(chunk: Buffer, pos: number): number {
    pos = this.head.read(chunk, pos);
    if (this.head.have < HEADER_BYTES) return pos;
    this.validate(this.head.code, this.head.length);
    this.lastCode = this.head.code;
    this.remaining = this.head.length - 4;
    return pos;
  }

  private validate(code: number, length: number): void {
    if (VALID_CODE[code] !== 1) throw protocolViolation(`invalid frontend message type ${code}`);
    if (length < 4) throw protocolViolation('invalid message length');
    if (length + 1 > this.maxMessageBytes) {
      throw new BackendError(
        'MESSAGE_TOO_LARGE',
        '08P01',
        `message of ${length + 1} bytes exceeds the limit of ${this.maxMessageBytes}`,
      );
    }
    if (EMPTY_BODY[code] === 1 && length !== 4) throw protocolViolation('invalid message length');
  }

  /**
   * The observer mode: reads from `from`; `forwardFrom` is where unforwarded bytes of this chunk
   * begin (before `from` after a gate: the held bytes, which leave with what follows them).
   */
  private run(chunk: Buffer, from: number, observer: TrafficObserver, forwardFrom = from): Promise<void> | null {
    const n = chunk.length;
    let pos = from;
    if (this.discarding) {
      pos = this.discard(chunk, pos);
      this.sent = this.chunkAt + pos;
      if (this.discarding) return null;
      this.batchAt = this.sent;
      const onBatchEnd = this.refusedBatchEnd as () => Promise<void>;
      this.refusedBatchEnd = null;
      return this.hold(null, chunk, pos, onBatchEnd());
    }
    while (pos < n) {
      if (this.assembly !== null) {
        const take = Math.min(this.assembly.length - this.assemblyHave, n - pos);
        chunk.copy(this.assembly, this.assemblyHave, pos, pos + take);
        this.assemblyHave += take;
        pos += take;
        forwardFrom = pos;
        if (this.assemblyHave < this.assembly.length) return null;
        const gate = this.completeAssembly(observer, chunk, pos);
        if (gate) return gate;
        continue;
      }
      if (this.remaining > 0) {
        // Only CopyData streams in this mode.
        const take = Math.min(this.remaining, n - pos);
        observer.clientCopyData(chunk.subarray(pos, pos + take));
        pos += take;
        this.remaining -= take;
        if (this.remaining === 0) this.head.have = 0;
        continue;
      }
      const start = pos;
      const splitHeader = this.head.have > 0 || n - pos < HEADER_BYTES;
      if (splitHeader && this.head.have === 0 && start > forwardFrom) {
        // A header starts at the end of this chunk: what came before it is complete.
        this.forward(chunk.subarray(forwardFrom, start));
        forwardFrom = start;
      }
      pos = this.readHeader(chunk, pos);
      if (this.head.have < HEADER_BYTES) {
        forwardFrom = pos; // held in this.head
        break;
      }
      const code = this.lastCode;
      if (code === FrontendCode.CopyData) {
        if (splitHeader) {
          this.forward(Buffer.from(this.head.bytes));
          forwardFrom = pos;
        }
        if (this.remaining === 0) this.head.have = 0;
        continue;
      }
      if (!splitHeader && n - pos >= this.remaining) {
        const end = pos + this.remaining;
        // No view for an empty body (Sync, Flush): nothing to allocate.
        const body = end === pos ? EMPTY : chunk.subarray(pos, end);
        this.remaining = 0;
        this.head.have = 0;
        pos = end;
        let gate: Promise<void> | null;
        try {
          gate = observer.clientMessage(code, body);
        } catch (err) {
          // A message the observer refused (it cannot decode it): what came before it leaves, it does not.
          if (start > forwardFrom) this.forward(chunk.subarray(forwardFrom, start));
          throw err;
        }
        if (gate) {
          // The messages before it in this chunk wait with it (one write to the server, not two),
          // unless they hold a statement whose gate has settled: that one leaves now.
          if (forwardFrom < from) {
            this.forward(chunk.subarray(forwardFrom, start));
            forwardFrom = start;
          }
          this.gatedBytes = null;
          this.heldChunk = chunk;
          this.heldFrom = forwardFrom;
          this.heldPos = end;
          this.gatedEndsBatchAt = ENDS_BATCH[code] === 1 ? this.chunkAt + end : -1;
          return gate;
        }
        if (ENDS_BATCH[code] === 1) this.endBatch(this.chunkAt + end);
        continue;
      }
      // The message continues in later chunks: assemble it.
      if (!splitHeader && start > forwardFrom) this.forward(chunk.subarray(forwardFrom, start));
      this.assembly = Buffer.allocUnsafe(HEADER_BYTES + this.remaining);
      this.assembly[0] = code;
      this.assembly.writeInt32BE(this.remaining + 4, 1);
      this.assemblyHave = HEADER_BYTES;
      forwardFrom = pos;
      if (this.remaining === 0) {
        const gate = this.completeAssembly(observer, chunk, pos);
        if (gate) return gate;
      }
    }
    if (forwardFrom < n) this.forward(forwardFrom === 0 ? chunk : chunk.subarray(forwardFrom));
    return null;
  }

  /** Delivers and forwards the assembled message, or holds it behind the observer's gate. */
  private completeAssembly(observer: TrafficObserver, chunk: Buffer, pos: number): Promise<void> | null {
    const whole = this.assembly as Buffer;
    this.assembly = null;
    this.remaining = 0;
    this.head.have = 0;
    const code = whole[0] as number;
    const gate = observer.clientMessage(code, whole.subarray(HEADER_BYTES));
    if (gate) {
      this.gatedEndsBatchAt = ENDS_BATCH[code] === 1 ? this.chunkAt + pos : -1;
      return this.hold(whole, chunk, pos, gate);
    }
    this.forward(whole);
    if (ENDS_BATCH[code] === 1) this.endBatch(this.chunkAt + pos);
    return null;
  }

  /** A batch end was read and passed on at stream offset `at`: the next batch begins there. */
  private endBatch(at: number): void {
    this.batchAt = at;
    this.batchesSent++;
  }

  /**
   * Drops messages of a refused batch from `pos`, headers checked, bodies skipped across chunks,
   * up to and including a Sync (which ends discarding). Returns where reading stopped.
   */
  private discard(chunk: Buffer, pos: number): number {
    const n = chunk.length;
    while (pos < n) {
      if (this.remaining > 0) {
        const skip = Math.min(this.remaining, n - pos);
        pos += skip;
        this.remaining -= skip;
        continue;
      }
      pos = this.readHeader(chunk, pos);
      if (this.head.have < HEADER_BYTES) return pos;
      this.head.have = 0;
      if (this.lastCode === FrontendCode.Sync) {
        this.discarding = false;
        return pos;
      }
    }
    return pos;
  }

  private hold(gated: Buffer | null, chunk: Buffer, pos: number, gate: Promise<void>): Promise<void> {
    this.gatedBytes = gated;
    this.heldChunk = chunk;
    this.heldFrom = pos;
    this.heldPos = pos;
    return gate;
  }
}
