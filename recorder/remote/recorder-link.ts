/**
 * The proxy's WebSocket connection to a recorder service, kept up: it connects with the bearer
 * token on the upgrade (and a client certificate when configured), says Hello, reports Welcome and
 * Ack frames, and on any loss (close, error, refusal, a missed heartbeat) reports the link down and
 * reconnects with a backoff of 100 ms doubling to 2 s. What to send and when is the sink's business
 * (remote-sink.ts); the link only moves frames.
 */
import type { Logger } from 'pino';
import WebSocket from 'ws';
import { decodeFrame, encodeHello, subprotocol, wireLimits } from '../wire/recorder-frames.js';

/** TLS towards the recorder: the CA that signed its certificate; a client certificate and key when it asks for one. */
export interface RemoteTls {
  readonly ca: Buffer | null;
  readonly cert: Buffer | null;
  readonly key: Buffer | null;
}

/** What a link needs. */
export interface RecorderLinkOptions {
  /** ws://host:port or wss://host:port. */
  readonly url: string;
  readonly token: string;
  readonly instance: string;
  readonly tls: RemoteTls | null;
  readonly logger: Logger;
  /** The recorder accepted the connection and holds this instance's events up to durableSeq. */
  onWelcome(durableSeq: number): void;
  onAck(durableSeq: number): void;
  /** The connection is gone (or never came up); the link is already reconnecting. */
  onDown(): void;
}

const firstRetryMs = 100;
const maxRetryMs = 2_000;
const heartbeatMs = 5_000;

/** A self-reconnecting connection to the recorder service. */
export class RecorderLink {
  #socket: WebSocket | null = null;
  #welcomed = false;
  #retryMs = firstRetryMs;
  #retryTimer: NodeJS.Timeout | null = null;
  #heartbeat: NodeJS.Timeout | null = null;
  #awaitingPong = false;
  #closed = false;

  constructor(private readonly options: RecorderLinkOptions) {}

  /** Whether the recorder has welcomed this connection: Batches may be sent. */
  get isOpen(): boolean {
    return this.#welcomed;
  }

  /** Connects (and keeps reconnecting until close). */
  start(): void {
    this.#connect();
  }

  /** Sends one frame; false when the link is not open. */
  send(frame: Buffer): boolean {
    if (!this.#welcomed || this.#socket === null) return false;
    this.#socket.send(frame);
    return true;
  }

  /** Closes the connection and stops reconnecting. */
  close(): void {
    this.#closed = true;
    if (this.#retryTimer !== null) clearTimeout(this.#retryTimer);
    this.#down();
  }

  #connect(): void {
    this.#retryTimer = null;
    if (this.#closed) return;
    const { url, token, tls } = this.options;
    const socket = new WebSocket(url, subprotocol, {
      headers: { authorization: `Bearer ${token}` },
      maxPayload: wireLimits.maxFrameBytes,
      perMessageDeflate: false,
      handshakeTimeout: 5_000,
      ...(tls?.ca ? { ca: tls.ca } : {}),
      ...(tls?.cert ? { cert: tls.cert } : {}),
      ...(tls?.key ? { key: tls.key } : {}),
    });
    this.#socket = socket;
    socket.on('open', () => {
      socket.send(encodeHello(this.options.instance));
      this.#startHeartbeat(socket);
    });
    socket.on('message', (data, isBinary) => this.#onMessage(socket, data, isBinary));
    socket.on('pong', () => {
      this.#awaitingPong = false;
    });
    socket.on('unexpected-response', (_req, res) => {
      this.options.logger.error({ status: res.statusCode }, 'recorder refused the connection');
      socket.terminate();
    });
    socket.on('error', (err) => {
      this.options.logger.debug({ err: err.message }, 'recorder connection error');
    });
    socket.on('close', () => {
      if (this.#socket === socket) this.#down();
    });
  }

  #onMessage(socket: WebSocket, data: unknown, isBinary: boolean): void {
    if (socket !== this.#socket) return;
    try {
      if (!isBinary || !Buffer.isBuffer(data)) throw new Error('text frame');
      const frame = decodeFrame(data);
      if (frame.type === 'welcome' && !this.#welcomed) {
        this.#welcomed = true;
        this.#retryMs = firstRetryMs;
        this.options.logger.info({ url: this.options.url, durableSeq: frame.durableSeq }, 'recorder connected');
        this.options.onWelcome(frame.durableSeq);
      } else if (frame.type === 'ack' && this.#welcomed) {
        this.options.onAck(frame.durableSeq);
      } else if (frame.type === 'refusal') {
        this.options.logger.error({ code: frame.code, reason: frame.message }, 'recorder refused the events');
        this.#down();
      } else {
        throw new Error('unexpected frame');
      }
    } catch (err) {
      this.options.logger.error({ err: err instanceof Error ? err.message : 'unknown' }, 'bad frame from recorder');
      this.#down();
    }
  }

  #startHeartbeat(socket: WebSocket): void {
    this.#awaitingPong = false;
    this.#heartbeat = setInterval(() => {
      if (this.#awaitingPong) {
        this.options.logger.warn({}, 'recorder missed a heartbeat');
        this.#down();
        return;
      }
      this.#awaitingPong = true;
      socket.ping();
    }, heartbeatMs);
    this.#heartbeat.unref();
  }

  /** Drops the connection (if any), tells the sink once, and schedules a reconnect. */
  #down(): void {
    const socket = this.#socket;
    const wasUp = socket !== null;
    this.#socket = null;
    this.#welcomed = false;
    if (this.#heartbeat !== null) clearInterval(this.#heartbeat);
    this.#heartbeat = null;
    socket?.removeAllListeners('close');
    socket?.on('error', () => {});
    socket?.terminate();
    if (wasUp) this.options.onDown();
    if (!this.#closed && this.#retryTimer === null) {
      this.#retryTimer = setTimeout(() => this.#connect(), this.#retryMs);
      this.#retryTimer.unref();
      this.#retryMs = Math.min(maxRetryMs, this.#retryMs * 2);
    }
  }
}
