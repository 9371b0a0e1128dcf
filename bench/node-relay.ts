import { connect, createServer, type AddressInfo, type Socket } from 'node:net';

/** A running relay. */
export interface NodeRelay {
  readonly address: AddressInfo;
  /** Stops listening and drops every open connection. */
  close(): Promise<void>;
}

/**
 * The floor for any proxy written in Node: a TCP relay that pipes bytes both ways and decodes nothing.
 * The benchmark runs it as a reference point; pgtrail cannot be faster than this on the same runtime.
 */
export function startNodeRelay(upstreamHost: string, upstreamPort: number): Promise<NodeRelay> {
  const open = new Set<Socket>();
  const server = createServer({ noDelay: true }, (client) => {
    const upstream = connect({ host: upstreamHost, port: upstreamPort, noDelay: true });
    open.add(client).add(upstream);
    const forward = (from: Socket, to: Socket): void => {
      from.on('data', (chunk: Buffer) => {
        if (!to.write(chunk)) {
          from.pause();
          to.once('drain', () => from.resume());
        }
      });
    };
    forward(client, upstream);
    forward(upstream, client);
    const close = (): void => {
      open.delete(client);
      open.delete(upstream);
      client.destroy();
      upstream.destroy();
    };
    client.on('error', close).on('close', close);
    upstream.on('error', close).on('close', close);
  });
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () =>
      resolve({
        address: server.address() as AddressInfo, // a TCP listener's address is an AddressInfo
        close: () =>
          new Promise<void>((done) => {
            server.close(() => done());
            for (const socket of open) socket.destroy();
          }),
      }),
    );
  });
}
