/**
 * The metrics listener's HTTP server, run in a worker thread (started by metrics-server.ts). It
 * answers every request itself except GET and HEAD of /metrics, whose text it asks of the owning
 * thread: the registry and every counter stay there, and that thread never handles HTTP.
 *
 * Why a thread: the proxy forwards through net.Socket and Node's stream functions, which V8 compiles
 * for the socket shapes it has seen. HTTP requests answered in the same isolate bring other shapes
 * (the server's sockets, IncomingMessage, ServerResponse) to those same functions, which V8
 * deoptimises and recompiles for both (seen with --trace-deopt: Socket.read, Readable.push,
 * Writable.write, onwrite, onStreamRead after the first requests, docs/metrics.md). A worker has
 * its own isolate, so its HTTP traffic leaves the forwarding path's compiled code alone. A relay
 * experiment measured no lasting cost of those deoptimisations; the thread is kept because it keeps
 * their recompilation, and the parsing of whatever reaches the metrics port, off the forwarding
 * thread for 0.3-0.5 ms of CPU per scrape (docs/metrics.md, "What it costs").
 */
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import { parentPort, workerData } from 'node:worker_threads';
import type { ListenerMessage, ListenerSettings, OwnerMessage } from './metrics-listener-messages.js';

// Set only when run as the worker (metrics-server.ts passes ListenerSettings as workerData).
const owner = parentPort;
if (owner === null) throw new Error('metrics-listener-worker runs only as a worker thread');
const settings = listenerSettings(workerData);

function listenerSettings(data: unknown): ListenerSettings {
  if (typeof data === 'object' && data !== null && 'host' in data && 'port' in data) {
    const { host, port } = data;
    if (typeof host === 'string' && typeof port === 'number') return { host, port };
  }
  throw new Error('metrics-listener-worker needs { host, port } as workerData');
}

const send = (message: ListenerMessage): void => owner.postMessage(message);
const pending = new Map<number, { req: IncomingMessage; res: ServerResponse }>();
let nextId = 1;

const server = createServer((req, res) => answer(req, res));
server.headersTimeout = 10_000;
server.requestTimeout = 10_000;

function answer(req: IncomingMessage, res: ServerResponse): void {
  const path = (req.url ?? '').split('?')[0];
  if (path !== '/metrics') {
    res.writeHead(404, { 'content-type': 'text/plain' }).end('not found\n');
    return;
  }
  if (req.method !== 'GET' && req.method !== 'HEAD') {
    res.writeHead(405, { allow: 'GET, HEAD', 'content-type': 'text/plain' }).end('method not allowed\n');
    return;
  }
  const id = nextId++;
  pending.set(id, { req, res });
  // A client that goes away before the text arrives needs no answer.
  res.once('close', () => pending.delete(id));
  send({ type: 'scrape', id });
}

owner.on('message', (message: OwnerMessage) => {
  if (message.type === 'close') {
    // Once the server has closed, closing the port leaves the thread nothing to wait for: it exits.
    server.close(() => owner.close());
    server.closeAllConnections();
    return;
  }
  const waiting = pending.get(message.id);
  if (waiting === undefined) return;
  pending.delete(message.id);
  const { req, res } = waiting;
  if (message.type === 'unavailable') {
    res.writeHead(500, { 'content-type': 'text/plain' }).end('metrics unavailable\n');
    return;
  }
  res.writeHead(200, { 'content-type': message.contentType });
  res.end(req.method === 'HEAD' ? undefined : message.body);
});

server.once('error', (err: NodeJS.ErrnoException) => {
  send({ type: 'listen-failed', message: err.message, code: err.code ?? null });
  owner.close();
});
server.listen(settings.port, settings.host, () => {
  const a = server.address();
  const bound = a !== null && typeof a === 'object' ? { host: a.address, port: a.port } : settings;
  send({ type: 'listening', host: bound.host, port: bound.port });
});
