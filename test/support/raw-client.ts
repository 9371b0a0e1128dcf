/**
 * A bare protocol client for tests that must send what real clients do not (direct TLS,
 * GSSENCRequest, protocol 3.2, `_pq_` options, malformed bytes) and see pgtrail's exact answers.
 */
import { connect, type Socket } from 'node:net';
import { connect as tlsConnect, type TLSSocket } from 'node:tls';
import { StartupChannel, type Message } from '../../proxy/startup-channel.js';

/** A raw connection: write bytes, read backend messages (or single bytes) in order. */
export class RawClient {
  channel: StartupChannel;
  private constructor(public socket: Socket | TLSSocket) {
    this.channel = new StartupChannel(socket, 'upstream', 64 * 1024 * 1024);
  }

  /** Opens a plaintext connection. */
  static async open(host: string, port: number): Promise<RawClient> {
    const socket = connect({ host, port });
    await new Promise<void>((resolve, reject) => {
      socket.once('connect', resolve);
      socket.once('error', reject);
    });
    socket.on('error', () => {});
    return new RawClient(socket);
  }

  /** Opens a direct-TLS connection (PostgreSQL 17 style) with the given ALPN list. */
  static async openDirectTls(host: string, port: number, ca: Buffer, alpn: string[]): Promise<RawClient> {
    const socket = tlsConnect({ host, port, ca, servername: 'localhost', ALPNProtocols: alpn });
    socket.on('error', () => {});
    await new Promise<void>((resolve, reject) => {
      socket.once('secureConnect', resolve);
      socket.once('error', reject);
      socket.once('close', () => reject(new Error('closed during handshake')));
    });
    return new RawClient(socket);
  }

  /** Starts TLS on this connection (after an 'S' answer to SSLRequest). */
  async startTls(ca: Buffer): Promise<void> {
    const rest = this.channel.detach();
    if (rest.length > 0) throw new Error('unexpected bytes before tls');
    const secure = tlsConnect({ socket: this.socket as Socket, ca, servername: 'localhost' });
    secure.on('error', () => {});
    await new Promise<void>((resolve, reject) => {
      secure.once('secureConnect', resolve);
      secure.once('error', reject);
    });
    this.socket = secure;
    this.channel = new StartupChannel(secure, 'upstream', 64 * 1024 * 1024);
  }

  write(bytes: Buffer): void {
    this.socket.write(bytes);
  }

  next(): Promise<Message> {
    return this.channel.readMessage();
  }

  readByte(): Promise<number> {
    return this.channel.readByte();
  }

  /** Reads messages until ReadyForQuery (returned last); throws if the connection closes first. */
  async untilReady(): Promise<Message[]> {
    const out: Message[] = [];
    for (;;) {
      const m = await this.next();
      out.push(m);
      if (m.code === 0x5a) return out;
    }
  }

  /** Resolves when the peer has closed the connection. */
  closed(): Promise<void> {
    return new Promise((resolve) => {
      if (this.socket.destroyed) resolve();
      else this.socket.once('close', () => resolve());
    });
  }

  end(): void {
    this.socket.destroy();
  }
}

/** A packet before startup: Int32 length, Int32 code, then `rest`. */
export function startupPacket(code: number, rest: Buffer = Buffer.alloc(0)): Buffer {
  const b = Buffer.alloc(8 + rest.length);
  b.writeInt32BE(8 + rest.length, 0);
  b.writeInt32BE(code, 4);
  rest.copy(b, 8);
  return b;
}

/** A StartupMessage for protocol major.minor with the given parameters. */
export function startupMessage(params: Record<string, string>, major = 3, minor = 0): Buffer {
  const body = Buffer.from(
    `${Object.entries(params)
      .map(([k, v]) => `${k}\0${v}\0`)
      .join('')}\0`,
  );
  return startupPacket((major << 16) | minor, body);
}

/** A frontend message: type byte, Int32 length, body. */
export function frontendMessage(code: string, body: Buffer | string = Buffer.alloc(0)): Buffer {
  const b = typeof body === 'string' ? Buffer.from(body) : body;
  const out = Buffer.alloc(5 + b.length);
  out[0] = code.charCodeAt(0);
  out.writeInt32BE(4 + b.length, 1);
  b.copy(out, 5);
  return out;
}

/** The SQLSTATE (field C) of an ErrorResponse body. */
export function sqlstateOf(body: Buffer): string {
  const m = /C([0-9A-Z]{5})\0/.exec(body.toString('latin1'));
  return m?.[1] ?? '';
}
