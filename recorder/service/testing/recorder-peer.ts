/** A hand-driven proxy side of the recorder protocol for tests: raw frames over a real WebSocket. */
import WebSocket from 'ws';
import { decodeFrame, encodeBatch, encodeHello, subprotocol, type Frame } from '../../wire/recorder-frames.js';

/** A connected peer that records every frame it receives. */
export interface RecorderPeer {
  readonly socket: WebSocket;
  readonly frames: Frame[];
  /** Resolves with the next frame of this type (or one already received and not yet taken). */
  next(type: Frame['type']): Promise<Frame>;
  hello(instance: string): Promise<Frame>;
  batch(firstSeq: number, events: readonly object[]): void;
  /** Resolves with the close code once the recorder closes the connection. */
  readonly closed: Promise<number>;
}

/** A statement.started event for tests (sequence `n` in its sql, so each is unique). */
export function sampleEvent(n: number, session = 's1'): object {
  return {
    type: 'statement.started',
    ts: 1_764_115_200_000 + n,
    session,
    statement: n,
    user: 'alice',
    role: 'app',
    protocol: 'simple',
    sql: `SELECT ${n}`,
    params: null,
    preparedName: null,
    portal: null,
    redaction: null,
  };
}

/** Opens a WebSocket to the recorder with `token` (or none); rejects with the HTTP status when refused. */
export function connectPeer(
  url: string,
  token: string | null,
  options: WebSocket.ClientOptions = {},
): Promise<RecorderPeer> {
  return new Promise((resolve, reject) => {
    const socket = new WebSocket(url, subprotocol, {
      ...options,
      headers: token === null ? {} : { authorization: `Bearer ${token}` },
    });
    const frames: Frame[] = [];
    const waiting: { type: Frame['type']; resolve: (f: Frame) => void }[] = [];
    const taken = new Set<Frame>();
    socket.on('message', (data) => {
      const frame = decodeFrame(data as Buffer);
      frames.push(frame);
      const w = waiting.findIndex((x) => x.type === frame.type);
      if (w >= 0) {
        taken.add(frame);
        waiting.splice(w, 1)[0]!.resolve(frame);
      }
    });
    const closed = new Promise<number>((res) => socket.on('close', (code) => res(code)));
    socket.on('unexpected-response', (_req, res) => reject(new Error(`HTTP ${res.statusCode}`)));
    socket.on('error', (err) => reject(err));
    socket.on('open', () => {
      const next = (type: Frame['type']) => {
        const ready = frames.find((f) => f.type === type && !taken.has(f));
        if (ready !== undefined) {
          taken.add(ready);
          return Promise.resolve(ready);
        }
        return new Promise<Frame>((res) => waiting.push({ type, resolve: res }));
      };
      resolve({
        socket,
        frames,
        next,
        closed,
        hello: (instance) => {
          socket.send(encodeHello(instance));
          return next('welcome');
        },
        batch: (firstSeq, events) => {
          socket.send(
            encodeBatch(
              firstSeq,
              events.map((e) => Buffer.from(JSON.stringify(e))),
            ),
          );
        },
      });
    });
  });
}
