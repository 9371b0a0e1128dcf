/**
 * Reads whole packets and messages from a socket during startup and authentication, when latency
 * matters little and clarity a lot. Once a session is authenticated, `detach()` hands the socket
 * and any bytes already read over to the forwarding path, which uses the streaming frame readers.
 */
import type { Duplex } from 'node:stream';
import { BackendError, protocolViolation, upstreamProtocolViolation } from './backend-error.js';
import { HEADER_BYTES, MAX_STARTUP_PACKET_BYTES } from './protocol/message-codes.js';

/** Which peer a channel talks to; it decides which side is blamed for bad input. */
export type ChannelSide = 'client' | 'upstream';

/** The peer closed the connection (or it failed) while pgtrail was waiting for its next bytes. */
export class ChannelClosedError extends Error {
  override readonly name = 'ChannelClosedError';
  readonly code = 'CHANNEL_CLOSED';
  constructor(
    readonly side: ChannelSide,
    options?: { cause: unknown },
  ) {
    super(`${side} closed the connection during startup`, options);
  }
}

/** One protocol message: its type byte and body (without type byte and length word). */
export interface Message {
  readonly code: number;
  readonly body: Buffer;
}

// Shared by every channel with nothing buffered (a zero-length Buffer cannot be written to).
const EMPTY = Buffer.alloc(0);

/** A socket read message by message (see the file comment). */
export class StartupChannel {
  private buffer: Buffer = EMPTY;
  private waiting: { need: number; resolve: () => void; reject: (err: unknown) => void } | null = null;
  private failure: Error | null = null;
  private readonly onData = (chunk: Buffer): void => {
    this.buffer = this.buffer.length === 0 ? chunk : Buffer.concat([this.buffer, chunk]);
    this.wake();
  };
  private readonly onEnd = (): void => this.fail(new ChannelClosedError(this.side));
  private readonly onError = (err: Error): void => this.fail(new ChannelClosedError(this.side, { cause: err }));

  constructor(
    readonly socket: Duplex,
    readonly side: ChannelSide,
    private readonly maxMessageBytes: number,
  ) {
    socket.on('data', this.onData);
    socket.on('end', this.onEnd);
    socket.on('close', this.onEnd);
    socket.on('error', this.onError);
    // A socket handed over by detach() is paused, and adding a 'data' listener does not resume a
    // stream paused explicitly: without this, the server's answer after its 'N' to SSLRequest
    // (sslmode=prefer against a server without TLS) would never be read.
    socket.resume();
  }

  /** How many bytes have been received and not yet read. */
  get bufferedBytes(): number {
    return this.buffer.length;
  }

  /** The next byte, without consuming it. */
  async peekByte(): Promise<number> {
    await this.ensure(1);
    return this.buffer[0] as number;
  }

  /** The next single byte (the server's answer to SSLRequest). */
  async readByte(): Promise<number> {
    await this.ensure(1);
    return this.take(1)[0] as number;
  }

  /** A whole startup-phase packet (length word included): SSLRequest, StartupMessage, CancelRequest, ... */
  async readStartupPacket(): Promise<Buffer> {
    await this.ensure(4);
    const length = this.buffer.readInt32BE(0);
    if (length < 8 || length > MAX_STARTUP_PACKET_BYTES) throw protocolViolation('invalid length of startup packet');
    await this.ensure(length);
    return this.take(length);
  }

  /** The next protocol message; bounded by the message size limit. */
  async readMessage(): Promise<Message> {
    await this.ensure(HEADER_BYTES);
    const code = this.buffer[0] as number;
    const length = this.buffer.readInt32BE(1);
    if (length < 4 || length + 1 > this.maxMessageBytes) {
      throw this.side === 'client'
        ? protocolViolation('invalid message length')
        : upstreamProtocolViolation('invalid message length from server');
    }
    await this.ensure(1 + length);
    const whole = this.take(1 + length);
    return { code, body: whole.subarray(HEADER_BYTES) };
  }

  /** Writes bytes to the peer. */
  write(bytes: Buffer): void {
    this.socket.write(bytes);
  }

  /**
   * Stops listening and returns the bytes received but not yet read. The socket is left paused, so
   * that nothing arrives unheard before its next reader (TLS or the forwarding path) takes over.
   */
  detach(): Buffer {
    this.socket.pause();
    this.socket.off('data', this.onData);
    this.socket.off('end', this.onEnd);
    this.socket.off('close', this.onEnd);
    this.socket.off('error', this.onError);
    const rest = this.buffer;
    this.buffer = EMPTY;
    return rest;
  }

  private take(n: number): Buffer {
    const out = this.buffer.subarray(0, n);
    this.buffer = this.buffer.subarray(n);
    return out;
  }

  private ensure(n: number): Promise<void> {
    if (this.buffer.length >= n) return Promise.resolve();
    if (this.failure) return Promise.reject(this.failure);
    if (this.waiting)
      return Promise.reject(new BackendError('PROTOCOL_VIOLATION', '08P01', 'concurrent reads on one connection'));
    return new Promise((resolve, reject) => {
      this.waiting = { need: n, resolve, reject };
    });
  }

  private wake(): void {
    const w = this.waiting;
    if (w && this.buffer.length >= w.need) {
      this.waiting = null;
      w.resolve();
    }
  }

  private fail(err: Error): void {
    if (this.failure) return;
    this.failure = err;
    const w = this.waiting;
    this.waiting = null;
    w?.reject(err);
  }
}
