/**
 * The witness's HTTP listener: `POST /add-checkpoint` (add-checkpoint.ts) and nothing else. Requests
 * carry no credentials (C2SP tlog-witness authenticates the checkpoint's signature instead) and the
 * answers are cosignatures, which are public; so it binds 127.0.0.1 unless told otherwise, bounds
 * each body to maxRequestBytes and each request to a few seconds, and refuses everything else.
 */
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Logger } from 'pino';
import { addCheckpoint, type AddCheckpointContext, type WitnessResponse } from './add-checkpoint.js';

/** Largest request body accepted: 63 proof lines and a checkpoint with 100 signatures fit in well under this. */
export const maxRequestBytes = 64 * 1024;
const requestTimeoutMs = 10_000;

/** A running witness listener. */
export interface WitnessServer {
  readonly host: string;
  readonly port: number;
  /** Stops accepting and closes idle connections; resolves when the listener is closed. */
  close(): Promise<void>;
}

function send(res: ServerResponse, answer: Pick<WitnessResponse, 'status' | 'contentType' | 'body'>): void {
  res.writeHead(answer.status, {
    'content-type': answer.contentType,
    'content-length': Buffer.byteLength(answer.body),
  });
  res.end(answer.body);
}

/** Reads the body up to `limit` bytes; null when it is larger. */
async function readBody(req: IncomingMessage, limit: number): Promise<Buffer | null> {
  const declared = Number(req.headers['content-length'] ?? 0);
  if (declared > limit) return null;
  const chunks: Buffer[] = [];
  let length = 0;
  for await (const chunk of req as AsyncIterable<Buffer>) {
    length += chunk.length;
    if (length > limit) return null;
    chunks.push(chunk);
  }
  return Buffer.concat(chunks, length);
}

async function handle(
  ctx: AddCheckpointContext,
  log: Logger,
  req: IncomingMessage,
  res: ServerResponse,
): Promise<void> {
  const path = (req.url ?? '').split('?')[0];
  if (path !== '/add-checkpoint') return send(res, { status: 404, contentType: 'text/plain', body: 'not found\n' });
  if (req.method !== 'POST') {
    res.setHeader('allow', 'POST');
    return send(res, { status: 405, contentType: 'text/plain', body: 'use POST\n' });
  }
  const body = await readBody(req, maxRequestBytes);
  if (body === null) {
    res.setHeader('connection', 'close');
    send(res, { status: 413, contentType: 'text/plain', body: 'request too large\n' });
    req.destroy();
    return;
  }
  const answer = await addCheckpoint(ctx, body);
  if (answer.status === 200) log.info({ origin: answer.origin }, 'checkpoint cosigned');
  else log.warn({ origin: answer.origin, status: answer.status, reason: answer.body.trim() }, 'checkpoint refused');
  send(res, answer);
}

/** Starts listening on host:port (port 0: any free port). */
export async function startWitnessServer(
  ctx: AddCheckpointContext,
  log: Logger,
  host: string,
  port: number,
): Promise<WitnessServer> {
  const server: Server = createServer((req, res) => {
    handle(ctx, log, req, res).catch((err: unknown) => {
      log.error({ err }, 'witness request failed');
      if (!res.headersSent) send(res, { status: 500, contentType: 'text/plain', body: 'internal error\n' });
      else res.destroy();
    });
  });
  server.requestTimeout = requestTimeoutMs;
  server.headersTimeout = requestTimeoutMs;
  server.maxHeadersCount = 50;
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, host, () => {
      server.off('error', reject);
      resolve();
    });
  });
  const address = server.address() as AddressInfo;
  return {
    host: address.address,
    port: address.port,
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeIdleConnections();
      }),
  };
}
