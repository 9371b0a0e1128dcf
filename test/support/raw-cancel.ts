import { connect } from 'node:net';

/** Sends a plaintext CancelRequest (Int32 16, Int32 80877102, pid, secret) and waits for the server to close. */
export function sendCancel(host: string, port: number, pid: number, secret: number): Promise<void> {
  return new Promise((resolve, reject) => {
    const socket = connect({ host, port }, () => {
      const b = Buffer.alloc(16);
      b.writeInt32BE(16, 0);
      b.writeInt32BE(80877102, 4);
      b.writeInt32BE(pid, 8);
      b.writeInt32BE(secret, 12);
      socket.write(b);
    });
    socket.on('error', reject);
    socket.on('close', () => resolve());
    socket.resume();
  });
}
