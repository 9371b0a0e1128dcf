/** The one live socket of the page: it subscribes to a session and hands pushed messages to the page shown. */
import type { RecordLine } from './session-model.js';

/** A message the server pushes. */
export type LiveMessage =
  | { readonly type: 'records'; readonly session: string; readonly records: readonly RecordLine[] }
  | { readonly type: 'checkpoint'; readonly seq: number }
  | { readonly type: 'sessions' };

let socket: WebSocket | null = null;
let subscribed: string | null = null;
let handler: ((message: LiveMessage) => void) | null = null;

function connect(): void {
  const ws = new WebSocket(`${location.protocol === 'https:' ? 'wss' : 'ws'}://${location.host}/api/live`);
  socket = ws;
  ws.addEventListener('open', () => ws.send(JSON.stringify({ subscribe: subscribed })));
  ws.addEventListener('message', (e) => {
    try {
      handler?.(JSON.parse(String(e.data)) as LiveMessage);
    } catch {
      // A message the page cannot read is dropped; the next one may be fine.
    }
  });
  ws.addEventListener('close', () => {
    if (socket === ws) socket = null;
    // Reconnect later (after a restart of the server, or a new login).
    setTimeout(() => socket === null && connect(), 2000);
  });
}

/** Receives live messages for `session` (or only list changes with null) until the next call. */
export function listen(session: string | null, onMessage: (message: LiveMessage) => void): void {
  subscribed = session;
  handler = onMessage;
  if (socket === null) connect();
  else if (socket.readyState === WebSocket.OPEN) socket.send(JSON.stringify({ subscribe: session }));
}
