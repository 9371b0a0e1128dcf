import { Duplex } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { Forwarder, type ForwardEnd } from './forwarder.js';
import { BackendCode } from './protocol/message-codes.js';
import { ProxyCounters } from './proxy-counters.js';
import { silentObserver, type TrafficObserver } from './traffic-observer.js';

/** A socket stand-in that logs what is written to it (into a log shared with the observer). */
class LoggedSocket extends Duplex {
  constructor(
    private readonly name: string,
    private readonly log: string[],
  ) {
    super();
  }
  override _read(): void {}
  override _write(chunk: Buffer, _encoding: BufferEncoding, done: () => void): void {
    this.log.push(`${this.name} ${chunk.toString('hex')}`);
    done();
  }
}

function frame(code: number, body: Buffer): Buffer {
  const head = Buffer.alloc(5);
  head[0] = code;
  head.writeInt32BE(body.length + 4, 1);
  return Buffer.concat([head, body]);
}

/** Lets the streams deliver what was pushed. */
const turn = (): Promise<void> => new Promise((resolve) => setImmediate(resolve));

function forwarding() {
  const log: string[] = [];
  const ends: ForwardEnd[] = [];
  const client = new LoggedSocket('client', log);
  const upstream = new LoggedSocket('upstream', log);
  const observer: TrafficObserver = {
    ...silentObserver({} as never),
    serverMessage: (code) => {
      log.push(`observed ${String.fromCharCode(code)}`);
    },
  };
  const forwarder = new Forwarder(client, upstream, observer, 1 << 20, (end) => ends.push(end), new ProxyCounters());
  forwarder.start(Buffer.alloc(0), Buffer.alloc(0));
  return { log, ends, upstream };
}

describe('Forwarder, server to client', () => {
  it('writes a chunk to the client before the observer reads its messages', async () => {
    const { log, upstream } = forwarding();
    const chunk = Buffer.concat([
      frame(BackendCode.CommandComplete, Buffer.from('SELECT 1\0')),
      frame(BackendCode.ReadyForQuery, Buffer.from('I')),
    ]);
    upstream.push(chunk);
    await turn();
    expect(log).toEqual([`client ${chunk.toString('hex')}`, 'observed C', 'observed Z']);
  });

  it('never sends the client a chunk with a malformed header, nor lets the observer read it', async () => {
    const { log, ends, upstream } = forwarding();
    const bad = Buffer.alloc(5);
    bad[0] = BackendCode.ReadyForQuery;
    bad.writeInt32BE(2, 1); // a length below 4
    upstream.push(Buffer.concat([frame(BackendCode.CommandComplete, Buffer.from('SELECT 1\0')), bad]));
    await turn();
    expect(log.some((line) => line.startsWith('observed'))).toBe(false);
    expect(ends.map((end) => end.reason)).toEqual(['error']);
    // The client gets the error (it is at a message boundary), not the chunk.
    expect(log.filter((line) => line.startsWith('client'))).toHaveLength(1);
    expect(log[0]?.startsWith(`client ${Buffer.from('E').toString('hex')}`)).toBe(true);
  });
});
