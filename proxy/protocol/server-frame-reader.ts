/**
 * Reads the server's byte stream after startup, decoding headers only. The session forwards each
 * chunk to the client as it arrives; this reader only walks it. Without an observer it allocates
 * nothing; with one, it hands over every whole message except DataRow and CopyData (assembled when
 * split across chunks, bounded by maxMessageBytes) and the bodies of DataRow and CopyData as pieces,
 * so that a huge row never has to sit in memory whole.
 */
import type { TrafficObserver } from '../traffic-observer.js';
import { upstreamProtocolViolation } from '../backend-error.js';
import { BackendCode, HEADER_BYTES } from './message-codes.js';
import { FrameHeader } from './frame-header.js';

const EMPTY = Buffer.alloc(0);

/** ReadyForQuery bodies by status byte, shared: the observer gets one of these rather than a new view per batch. */
const READY_BODIES: (Buffer | undefined)[] = [];
for (const status of [0x49, 0x54, 0x45]) READY_BODIES[status] = Buffer.from([status]);

/** Streaming reader of server messages (see the file comment). */
export class ServerFrameReader {
  /** The current message's header, possibly split across chunks. */
  private readonly head = new FrameHeader();
  /** Body bytes of the current message still to come. */
  private remaining = 0;
  /** True while a DataRow/CopyData body streams and none of it was delivered yet. */
  private firstPiece = false;
  /** Body of a whole message being assembled across chunks. */
  private assembly: Buffer | null = null;
  private assemblyHave = 0;
  /** Type byte of the last message whose header was read. */
  lastCode = 0;
  /** ReadyForQuery messages read so far. */
  readies = 0;
  /** The transaction status byte of the last ReadyForQuery ('I', 'T' or 'E'; 0 before one), with or without an observer. */
  readyStatus = 0;
  /** Without an observer: the last ReadyForQuery's status byte is the next byte read. */
  private statusNext = false;

  constructor(
    private readonly maxMessageBytes: number,
    private readonly observer: TrafficObserver | null,
  ) {}

  /** True between messages: the client may be sent a message of pgtrail's own here. */
  get atBoundary(): boolean {
    return this.head.have === 0 && this.remaining === 0 && this.assembly === null;
  }

  /** True when everything read so far ends with a whole ReadyForQuery: the server waits for the client. */
  get isReady(): boolean {
    return this.lastCode === BackendCode.ReadyForQuery && this.atBoundary;
  }

  /** Walks one chunk; throws BackendError when the server sends a malformed header. */
  push(chunk: Buffer): void {
    const observer = this.observer;
    const n = chunk.length;
    let pos = 0;
    while (pos < n) {
      if (this.assembly !== null) {
        const take = Math.min(this.assembly.length - this.assemblyHave, n - pos);
        chunk.copy(this.assembly, this.assemblyHave, pos, pos + take);
        this.assemblyHave += take;
        pos += take;
        if (this.assemblyHave < this.assembly.length) return;
        const body = this.assembly;
        this.assembly = null;
        this.remaining = 0;
        if (this.lastCode === BackendCode.ReadyForQuery) this.readyStatus = body[0] ?? 0;
        observer?.serverMessage(this.lastCode, body);
        continue;
      }
      if (this.remaining > 0) {
        const take = Math.min(this.remaining, n - pos);
        if (this.statusNext) {
          // Without an observer: a ReadyForQuery whose status byte opens this chunk.
          this.readyStatus = chunk[pos] ?? 0;
          this.statusNext = false;
        }
        this.remaining -= take;
        if (observer) {
          observer.serverDataPiece(
            this.lastCode,
            chunk.subarray(pos, pos + take),
            this.firstPiece,
            this.remaining === 0,
          );
          this.firstPiece = false;
        }
        pos += take;
        continue;
      }
      pos = this.readHeader(chunk, pos);
      if (this.head.have < HEADER_BYTES) return;
      this.head.have = 0;
      if (observer === null) {
        // The transaction status is wanted even so (a session answering a refused batch, forwarder.ts).
        if (this.lastCode === BackendCode.ReadyForQuery && this.remaining > 0) {
          if (pos < n) this.readyStatus = chunk[pos] ?? 0;
          else this.statusNext = true;
        }
        continue;
      }
      const code = this.lastCode;
      if (code === BackendCode.DataRow || code === BackendCode.CopyData) {
        if (this.remaining === 0) observer.serverDataPiece(code, EMPTY, true, true);
        else this.firstPiece = true;
      } else if (n - pos >= this.remaining) {
        let body: Buffer | undefined;
        if (code === BackendCode.ReadyForQuery) {
          this.readyStatus = chunk[pos] ?? 0;
          if (this.remaining === 1) body = READY_BODIES[this.readyStatus];
        }
        // No view for an empty body (BindComplete, ParseComplete, NoData ...): nothing to allocate.
        body ??= this.remaining === 0 ? EMPTY : chunk.subarray(pos, pos + this.remaining);
        observer.serverMessage(code, body);
        pos += this.remaining;
        this.remaining = 0;
      } else {
        this.assembly = Buffer.allocUnsafe(this.remaining);
        this.assemblyHave = 0;
      }
    }
  }

  /** Reads (the rest of) a header; when whole, sets lastCode and remaining. */
  private readHeader(chunk: Buffer, pos: number): number {
    pos = this.head.read(chunk, pos);
    if (this.head.have < HEADER_BYTES) return pos;
    const length = this.head.length;
    if (length < 4 || length + 1 > this.maxMessageBytes) {
      throw upstreamProtocolViolation(`server sent a message of invalid length ${length}`);
    }
    this.lastCode = this.head.code;
    if (this.lastCode === BackendCode.ReadyForQuery) this.readies++;
    this.remaining = length - 4;
    return pos;
  }
}
