import { PassThrough } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { StartupChannel } from './startup-channel.js';

describe('StartupChannel', () => {
  it('reads from a socket that an earlier channel detached (and so left paused)', async () => {
    // sslmode=prefer against a server without TLS: the answer channel reads 'N' and detaches, then
    // the next channel must hear the server's AuthenticationSASL on the same socket.
    const socket = new PassThrough();
    const answer = new StartupChannel(socket, 'upstream', 1024);
    socket.write(Buffer.from('N'));
    expect(await answer.readByte()).toBe(0x4e);
    answer.detach();
    expect(socket.isPaused()).toBe(true);

    const next = new StartupChannel(socket, 'upstream', 1024);
    socket.write(Buffer.from([0x52, 0, 0, 0, 8, 0, 0, 0, 10]));
    const message = await next.readMessage();
    expect(message.code).toBe(0x52);
    expect(message.body.readInt32BE(0)).toBe(10);
  });
});
