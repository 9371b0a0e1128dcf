/** A recording proxy with the web viewer over its journal, as `pgtrail start` runs them with viewer.enabled. */
import pino from 'pino';
import type { PostgresInfo } from '../../embedded/postgres-server.js';
import type { JwtVerifier } from '../../proxy/identity/jwt-verifier.js';
import { startViewer, type RunningViewer } from '../../web/server/viewer-server.js';
import { startRecordingProxy, type RecordingProxy, type WitnessesFor } from './recording-proxy.js';

/** The proxy, its journal, and the viewer writing its viewings through the same writer. */
export interface ViewerFixture {
  readonly rec: RecordingProxy;
  readonly viewer: RunningViewer;
  /** The viewer's base URL (no token). */
  readonly base: string;
  /** The login token of the `viewer:` URL. */
  readonly token: string;
  stop(): Promise<void>;
}

/** Starts a recording proxy in front of `pg` and the viewer over its journal on a free port. */
export async function startViewerFixture(
  pg: PostgresInfo,
  options: { readonly jwt?: JwtVerifier; readonly sessionTtlMs?: number; readonly witnesses?: WitnessesFor } = {},
): Promise<ViewerFixture> {
  const rec = await startRecordingProxy(pg, {
    captureRows: 3,
    ...(options.witnesses !== undefined && { witnesses: options.witnesses }),
  });
  const viewer = await startViewer({
    journalDir: rec.journal,
    host: '127.0.0.1',
    port: 0,
    sessionTtlMs: options.sessionTtlMs ?? 3_600_000,
    jwt: options.jwt ?? null,
    append: (event) => rec.writer.append(event),
    logger: pino({ level: 'silent' }),
  });
  const url = new URL(viewer.url);
  return {
    rec,
    viewer,
    base: `${url.protocol}//${url.host}`,
    token: url.hash.replace('#login=', ''),
    async stop() {
      await viewer.close();
      await rec.stop();
      rec.remove();
    },
  };
}

/** Logs in with `token` and returns the session cookie (name=value). */
export async function loginCookie(base: string, token: string): Promise<string> {
  const res = await fetch(`${base}/api/login`, {
    method: 'POST',
    headers: { 'Content-Type': 'application/json' },
    body: JSON.stringify({ token }),
  });
  if (res.status !== 200) throw new Error(`login answered ${res.status}`);
  const cookie = res.headers.get('set-cookie') ?? '';
  return cookie.split(';')[0] as string;
}
