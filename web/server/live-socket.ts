/**
 * The live endpoint (/api/live, WebSocket): a browser subscribes to one session, and the server
 * pushes that session's new record lines as the journal grows, new checkpoints (so that marks move
 * from "not yet covered" to verified), and a hint that the list of sessions changed. Nothing is
 * polled by the page. The upgrade is refused (401) without a valid viewer session, and (403) from a
 * page of another origin.
 */
import type { IncomingMessage } from 'node:http';
import type { Duplex } from 'node:stream';
import { WebSocketServer, type WebSocket } from 'ws';
import type { AppendedRecord, LiveJournal } from './live-journal.js';
import type { RecordLine } from './session-records.js';
import type { Viewer, ViewerAuth } from './viewer-auth.js';

/** Largest message a browser may send (a subscription). */
const maxClientMessageBytes = 1024;

/** Accepts live sockets and fans appended records out to their subscribers. */
export class LiveSockets {
  readonly #wss = new WebSocketServer({ noServer: true, maxPayload: maxClientMessageBytes });
  readonly #subscriptions = new Map<WebSocket, { session: string | null; viewer: Viewer }>();
  #pushing: Promise<void> = Promise.resolve();

  constructor(
    private readonly journal: LiveJournal,
    private readonly auth: ViewerAuth,
  ) {
    // One push at a time, so that a browser receives records in journal order.
    journal.on('appended', (records) => {
      this.#pushing = this.#pushing.then(() => this.push(records)).catch(() => undefined);
    });
  }

  /** Handles an HTTP upgrade to /api/live. */
  async upgrade(req: IncomingMessage, socket: Duplex, head: Buffer): Promise<void> {
    const refuse = (status: string) => {
      socket.end(`HTTP/1.1 ${status}\r\nConnection: close\r\nContent-Length: 0\r\n\r\n`);
    };
    const origin = req.headers.origin;
    if (origin !== undefined && (!URL.canParse(origin) || new URL(origin).host !== req.headers.host))
      return refuse('403 Forbidden');
    const viewer = await this.auth.authenticate(req.headers);
    if (viewer === null) return refuse('401 Unauthorized');
    this.#wss.handleUpgrade(req, socket, head, (ws) => {
      this.#subscriptions.set(ws, { session: null, viewer });
      ws.on('message', (data) => this.onMessage(ws, data.toString()));
      ws.on('close', () => this.#subscriptions.delete(ws));
    });
  }

  private onMessage(ws: WebSocket, text: string): void {
    const sub = this.#subscriptions.get(ws);
    if (!sub) return;
    let message: unknown;
    try {
      message = JSON.parse(text);
    } catch {
      ws.close(1003, 'not json');
      return;
    }
    const session = (message as { subscribe?: unknown }).subscribe;
    if (session !== null && (typeof session !== 'string' || session.length > 200)) {
      ws.close(1003, 'bad message');
      return;
    }
    if (sub.viewer.expiresAt <= Date.now()) {
      ws.close(4001, 'session expired');
      return;
    }
    sub.session = session;
  }

  private async push(records: readonly AppendedRecord[]): Promise<void> {
    if (this.#subscriptions.size === 0) return;
    // A cosignature changes what is witnessed: the page asks for proofs again, as for a checkpoint.
    const checkpoint = records.some((r) => r.type === 'checkpoint' || r.type === 'cosignature');
    const sessionsChanged = records.some((r) => r.type === 'session.opened' || r.type === 'session.closed');
    const bySession = new Map<string, AppendedRecord[]>();
    for (const r of records) {
      if (r.session === null) continue;
      let list = bySession.get(r.session);
      if (!list) bySession.set(r.session, (list = []));
      list.push(r);
    }
    const lines = new Map<string, RecordLine[]>();
    for (const [ws, sub] of this.#subscriptions) {
      if (sub.viewer.expiresAt <= Date.now()) {
        ws.close(4001, 'session expired');
        continue;
      }
      if (sub.session !== null && bySession.has(sub.session)) {
        let sent = lines.get(sub.session);
        if (!sent) lines.set(sub.session, (sent = await this.linesOf(bySession.get(sub.session) ?? [])));
        ws.send(JSON.stringify({ type: 'records', session: sub.session, records: sent }));
      }
      if (checkpoint && this.journal.checkpoint)
        ws.send(JSON.stringify({ type: 'checkpoint', seq: this.journal.checkpoint.seq }));
      if (sessionsChanged) ws.send(JSON.stringify({ type: 'sessions' }));
    }
  }

  private async linesOf(records: readonly AppendedRecord[]): Promise<RecordLine[]> {
    const out: RecordLine[] = [];
    for (const r of records) out.push({ seq: r.seq, line: (await this.journal.readLine(r.location)).toString('utf8') });
    return out;
  }

  /** Closes every socket. */
  close(): void {
    for (const ws of this.#subscriptions.keys()) ws.terminate();
    this.#wss.close();
  }
}
