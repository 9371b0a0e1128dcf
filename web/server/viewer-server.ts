/**
 * The web viewer's server (`pgtrail serve`, and the viewer of `pgtrail start` and `pgtrail demo`):
 * one HTTP listener for the page, the JSON API and the live socket, over a journal it follows.
 * Every answer carries a strict Content-Security-Policy (scripts and styles from this origin only,
 * nothing inline, no frames), because everything the page shows is attacker-controlled text.
 */
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Logger } from 'pino';
import type { TrailEvent } from '../../recorder/events.js';
import type { JwtVerifier } from '../../proxy/identity/jwt-verifier.js';
import { answerApi, type ApiContext } from './api-routes.js';
import { LiveJournal } from './live-journal.js';
import { LiveSockets } from './live-socket.js';
import { defaultAssetDir, loadAssets } from './static-assets.js';
import { newLoginToken, ViewerAuth } from './viewer-auth.js';
import { ViewerError } from './viewer-error.js';
import { viewingLog } from './viewing-log.js';

/** What the viewer needs to run. */
export interface ViewerOptions {
  readonly journalDir: string;
  readonly host: string;
  readonly port: number;
  /** How long a viewer session lasts after login. */
  readonly sessionTtlMs: number;
  /** SSO tokens accepted besides the login token, or null. */
  readonly jwt: JwtVerifier | null;
  /** Durable append of a viewing record (the journal writer of this process, or the audit journal's). */
  readonly append: (event: TrailEvent) => Promise<void>;
  readonly logger: Logger;
  /** The login token; a new random one when absent. */
  readonly loginToken?: string;
  readonly assetDir?: string;
}

/** A running viewer. */
export interface RunningViewer {
  /** The URL to open, with the login token in its fragment (never sent to a server, never logged). */
  readonly url: string;
  readonly address: { readonly host: string; readonly port: number };
  close(): Promise<void>;
}

/** Checks the journal is followed within this long even when fs.watch misses a write. */
const checkEveryMs = 250;

/** The headers every answer carries. */
export const securityHeaders: Readonly<Record<string, string>> = {
  'Content-Security-Policy':
    "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self'; connect-src 'self'; " +
    "base-uri 'none'; form-action 'none'; frame-ancestors 'none'",
  'X-Content-Type-Options': 'nosniff',
  'Referrer-Policy': 'no-referrer',
  'X-Frame-Options': 'DENY',
  'Cross-Origin-Opener-Policy': 'same-origin',
  'Cross-Origin-Resource-Policy': 'same-origin',
};

/** Opens the journal, starts listening and following it. */
export async function startViewer(options: ViewerOptions): Promise<RunningViewer> {
  const log = options.logger.child({ component: 'viewer' });
  const journal = await LiveJournal.open(options.journalDir);
  journal.follow(checkEveryMs, (err) => log.error({ err: errorName(err) }, 'journal follow failed'));
  const loginToken = options.loginToken ?? newLoginToken();
  const auth = new ViewerAuth(loginToken, options.sessionTtlMs, options.jwt);
  const ctx: ApiContext = { journal, auth, log: viewingLog(options.append) };
  const sockets = new LiveSockets(journal, auth);
  const assets = loadAssets(options.assetDir ?? defaultAssetDir());
  if (assets.size === 0) log.warn({ dir: options.assetDir ?? defaultAssetDir() }, 'viewer page not built');

  const server = createServer((req, res) => void handle(ctx, assets, req, res, log));
  server.on('upgrade', (req, socket, head) => {
    if (new URL(req.url ?? '/', 'http://viewer').pathname !== '/api/live') {
      socket.end('HTTP/1.1 404 Not Found\r\nConnection: close\r\nContent-Length: 0\r\n\r\n');
      return;
    }
    sockets.upgrade(req, socket, head).catch(() => socket.destroy());
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port, options.host, () => {
      server.off('error', reject);
      resolve();
    });
  });
  const { address, port } = server.address() as AddressInfo;
  const host = address.includes(':') ? `[${address}]` : address;
  log.info({ host: address, port }, 'viewer listening');
  return {
    url: `http://${host}:${port}/#login=${loginToken}`,
    address: { host: address, port },
    close: async () => {
      sockets.close();
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
      await journal.close();
    },
  };
}

async function handle(
  ctx: ApiContext,
  assets: ReturnType<typeof loadAssets>,
  req: IncomingMessage,
  res: ServerResponse,
  log: Logger,
): Promise<void> {
  for (const [name, value] of Object.entries(securityHeaders)) res.setHeader(name, value);
  let url: URL;
  try {
    url = new URL(req.url ?? '/', 'http://viewer');
  } catch {
    return send(res, 400, { error: 'bad url', code: 'VIEWER_BAD_REQUEST' });
  }
  if (!url.pathname.startsWith('/api/')) {
    const asset = req.method === 'GET' || req.method === 'HEAD' ? assets.get(url.pathname) : undefined;
    if (!asset) return send(res, 404, { error: 'not found', code: 'VIEWER_NOT_FOUND' });
    res.writeHead(200, { 'Content-Type': asset.contentType, 'Cache-Control': 'no-cache' });
    res.end(req.method === 'HEAD' ? undefined : asset.body);
    return;
  }
  const client = { address: req.socket.remoteAddress ?? '', port: req.socket.remotePort ?? 0 };
  try {
    const answer = await answerApi(ctx, req, url, client);
    for (const [name, value] of Object.entries(answer.headers ?? {})) res.setHeader(name, value);
    send(res, answer.status, answer.body);
  } catch (err) {
    if (err instanceof ViewerError) {
      if (err.code === 'VIEWER_NOT_RECORDED')
        log.error({ code: err.code, cause: errorName(err.cause) }, 'viewing not recorded');
      return send(res, err.status, { error: err.message, code: err.code });
    }
    log.error({ err: errorName(err), path: url.pathname }, 'viewer request failed');
    send(res, 500, { error: 'internal error', code: 'VIEWER_INTERNAL' });
  }
}

function send(res: ServerResponse, status: number, body: unknown): void {
  if (res.headersSent) return void res.end();
  res.writeHead(status, { 'Content-Type': 'application/json; charset=utf-8', 'Cache-Control': 'no-store' });
  res.end(JSON.stringify(body));
}

function errorName(err: unknown): string {
  if (err instanceof Error) return (err as { code?: string }).code ?? err.name;
  return 'unknown';
}
