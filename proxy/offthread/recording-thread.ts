/**
 * The recording thread of a proxy that records off its forwarding thread (offthread-recording.ts):
 * it owns the journal, reads the chunk ring, and runs for each session the same frame readers and
 * statement observer the forwarding thread runs otherwise, with the clock set to each chunk's
 * arrival time, so the records are the ones an observer on the forwarding thread would write.
 * Retention (pruning, legal holds) runs here too: it belongs to whoever writes the journal, and so
 * do the metrics of the events and the journal (the forwarding thread serves their text with its own).
 * With a remote journal this thread holds the recorder service's sink, spool and link instead,
 * publishes their gate to the forwarding thread, and refuses the statements it refused
 * (refusal-mirror.ts).
 */
import { getPriority, setPriority } from 'node:os';
import { parentPort, workerData } from 'node:worker_threads';
import { pino } from 'pino';
import type { Config } from '../../config/config.js';
import type { CloseReason, EventSink, Peer, TrailEvent } from '../../recorder/events.js';
import { JournalError } from '../../recorder/journal-error.js';
import { RemoteRecorderError, RemoteRecorderErrorCode } from '../../recorder/remote/remote-recorder-error.js';
import { gateRefusal, RemoteGateState } from './remote-gate.js';
import { rejected } from '../../recorder/waiter.js';
import { createRecordingMetrics } from '../../metrics/metrics-registry.js';
import type { BackendError } from '../backend-error.js';
import { ClientFrameReader } from '../protocol/client-frame-reader.js';
import { ServerFrameReader } from '../protocol/server-frame-reader.js';
import { SessionObserver } from '../statements/session-observer.js';
import type { TappedSession } from '../traffic-tap.js';
import type { TrafficObserver } from '../traffic-observer.js';
import { ChunkRingConsumer } from './chunk-ring.js';
import {
  writerCounters,
  type RecordingThreadData,
  type RecordingThreadReply,
  type RecordingThreadRequest,
} from './recording-thread-messages.js';
import { RefusalMirror } from './refusal-mirror.js';
import { openThreadJournal, type ThreadJournal } from './thread-journal.js';
import { TapKind, tapKindOf, tapSlotOf } from './tap-records.js';
import { wireRefusal } from './wire-bound.js';

/** One session as the recording thread follows it. */
interface TappedSessionState {
  readonly session: string;
  readonly observer: SessionObserver;
  readonly client: ClientFrameReader;
  /** With a remote journal: the client side read with the forwarding thread's refusals. */
  readonly mirror: RefusalMirror | null;
  readonly server: ServerFrameReader;
  /** A reader threw (the forwarding thread ended the session over the same bytes): the rest is not read. */
  broken: boolean;
}

/** A TappedSession as the ring carries it: serverParams as entries. */
type OpenPayload = Omit<TappedSession, 'serverParams'> & { readonly serverParams: [string, string][] };

const data = workerData as RecordingThreadData;
const config: Config = data.config;
const port = parentPort;
if (port === null) throw new Error('recording-thread.js runs as a worker thread');
const reply = (message: RecordingThreadReply): void => port.postMessage(message);
const logger = pino({ level: config.log.level }, pino.destination(2)).child({ component: 'recording-thread' });

// Linux applies a thread id's nice value to that thread alone, and 0 names the calling thread: this
// one, not the forwarding thread (docs/recording-thread.md, "Scheduling priority"). Only ever raised:
// an unprivileged process may not lower it.
try {
  if (config.recording.threadNice > getPriority(0)) setPriority(0, config.recording.threadNice);
} catch (err) {
  logger.warn(
    { err: err instanceof Error ? err.message : String(err) },
    'could not set the recording thread nice value',
  );
}

let now = 0;
/** The observer's clock: the arrival time of the chunk being read. */
const clock = (): number => now;
const sessions = new Map<number, TappedSessionState>();
/** Statement counts of sessions that ended, until their session.closed arrives (it follows at once). */
const endedCounts = new Map<string, number>();
/** The sink asked to wait (the disk is behind): the ring is not read until this settles. */
let behind: Promise<void> | null = null;
let closing = false;

const onInternalError = (err: unknown): void =>
  reply({ type: 'internal-error', name: err instanceof Error ? err.name : 'unknown' });

/** The events' and the journal's metrics, counted here where every event passes (metrics.enabled). */
const metrics = config.metrics.enabled ? createRecordingMetrics(config.metrics.maxUserLabels) : null;

let journal: ThreadJournal;
try {
  journal = await openThreadJournal(
    config,
    data.remote,
    logger,
    (error) => reply({ type: 'failed', code: error.code, message: error.message }),
    metrics?.observeDurableWrite,
  );
} catch (err) {
  reply({ type: 'not-opened', message: err instanceof Error ? err.message : String(err) });
  process.exit(0);
}
if (metrics !== null) metrics.sources.writer = journal.writer;
/** A remote record was refused in this read: the refusal settles (microtasks) before the ring is read on. */
let settleRefusal = false;
let stoppedForRefusal = false;

/** Gives the journal an event; a returned promise (the disk is behind, or the journal failed) pauses reading. */
function record(event: TrailEvent): void {
  metrics?.events.observe(event);
  const waiting = journal.sink.record(event);
  if (waiting === null) return;
  const settled = waiting.then(
    () => {},
    (err: unknown) => {
      // A remote sink that failed closed has said so ('failed'): its refusals of each event are not news.
      if (!(err instanceof RemoteRecorderError) || err.code === RemoteRecorderErrorCode.eventTooLarge)
        onInternalError(err);
    },
  );
  behind = behind === null ? settled : Promise.all([behind, settled]).then(() => {});
}

const noUpstream = (): void => {};
const observerSink = {
  record: (event: TrailEvent): null => {
    record(event);
    return null;
  },
};

/** The gate's state a client chunk came with, by its kind. */
const chunkGates: Partial<Record<number, RemoteGateState>> = {
  [TapKind.ClientUnreachable]: RemoteGateState.unreachable,
  [TapKind.ClientSpoolFull]: RemoteGateState.spoolFull,
};

/**
 * The observer as the client's reader sees it with a remote journal: a message whose record could
 * not cross the wire ends the reading of the session, as the forwarding thread ended the session.
 */
function boundedByWire(observer: TrafficObserver): TrafficObserver {
  return {
    get statementCount() {
      return observer.statementCount;
    },
    clientMessage: (code, body) => {
      const refusal: BackendError | null = wireRefusal(code, body);
      if (refusal !== null) throw refusal;
      return observer.clientMessage(code, body);
    },
    clientCopyData: (piece) => observer.clientCopyData(piece),
    serverMessage: (code, body) => observer.serverMessage(code, body),
    serverDataPiece: (code, piece, first, last) => observer.serverDataPiece(code, piece, first, last),
    cancelRequested: (client) => observer.cancelRequested(client),
    batchRefused: (error, status) => observer.batchRefused(error, status),
    sessionEnded: (reason) => observer.sessionEnded(reason),
  };
}

function open(slot: number, payload: Buffer): void {
  const tapped = JSON.parse(payload.toString('utf8')) as OpenPayload;
  const max = config.limits.maxMessageBytes;
  let mirror: RefusalMirror | null = null;
  // With a remote journal a statement of a chunk read while the gate refused is recorded, and refused.
  const sink: EventSink =
    data.remote === null
      ? observerSink
      : {
          record: (event) => {
            const refusal = mirror?.refusalOf(event.type) ?? null;
            record(event);
            return refusal === null ? null : rejected(refusal);
          },
        };
  const observer = new SessionObserver(
    { ...tapped, serverParams: new Map(tapped.serverParams), sink },
    { recording: config.recording, clock, onInternalError },
  );
  const client = new ClientFrameReader(max, data.remote === null ? observer : boundedByWire(observer), noUpstream);
  if (data.remote !== null)
    mirror = new RefusalMirror(client, () => {
      settleRefusal = true;
    });
  sessions.set(slot, {
    session: tapped.session,
    observer,
    client,
    mirror,
    server: new ServerFrameReader(max, observer),
    broken: false,
  });
}

/** Reads one ring record (a record refused here sets settleRefusal: reading stops until it settles). */
function handle(tag: number, ts: number, payload: Buffer): void {
  now = ts;
  const slot = tapSlotOf(tag);
  const kind = tapKindOf(tag);
  switch (kind) {
    case TapKind.Open:
      open(slot, payload);
      break;
    case TapKind.Client:
    case TapKind.ClientUnreachable:
    case TapKind.ClientSpoolFull:
    case TapKind.Server: {
      const s = sessions.get(slot);
      if (s === undefined || s.broken) break;
      try {
        if (kind === TapKind.Server) s.server.push(payload);
        else if (s.mirror !== null) s.mirror.push(payload, gateRefusal(chunkGates[kind] ?? RemoteGateState.open));
        else s.client.push(payload);
      } catch {
        s.broken = true;
      }
      break;
    }
    case TapKind.RefusalAnswered: {
      const s = sessions.get(slot);
      if (s === undefined || s.broken) break;
      const { error, status } = JSON.parse(payload.toString('utf8')) as {
        error: { code: string; message: string };
        status: 'I' | 'T' | 'E' | null;
      };
      s.observer.batchRefused(error, status);
      try {
        s.mirror?.answered(status);
      } catch {
        s.broken = true;
      }
      break;
    }
    case TapKind.Cancel:
      sessions.get(slot)?.observer.cancelRequested(JSON.parse(payload.toString('utf8')) as Peer);
      break;
    case TapKind.End: {
      const s = sessions.get(slot);
      if (s === undefined) break;
      sessions.delete(slot);
      s.observer.sessionEnded(payload.toString('utf8') as CloseReason);
      endedCounts.set(s.session, s.observer.statementCount);
      break;
    }
    case TapKind.Event: {
      const event = JSON.parse(payload.toString('utf8')) as TrailEvent;
      if (event.type !== 'session.closed') {
        record(event);
        break;
      }
      const count = endedCounts.get(event.session);
      endedCounts.delete(event.session);
      record(count === undefined ? event : { ...event, statements: count });
      break;
    }
  }
}

const ring = new ChunkRingConsumer(data.memory);
port.on('message', (request: RecordingThreadRequest) => {
  switch (request.type) {
    case 'close':
      closing = true;
      ring.wake();
      return;
    case 'metrics': {
      const { id } = request;
      if (metrics === null) reply({ type: 'metrics', id, text: '' });
      else
        metrics.registry.metrics().then(
          (text) => reply({ type: 'metrics', id, text }),
          () => reply({ type: 'metrics', id, text: null }),
        );
      return;
    }
    case 'append': {
      const { id } = request;
      const writer = journal.writer;
      if (writer === null) {
        reply({
          type: 'appended',
          id,
          error: { code: null, message: 'the journal is remote: nothing is appended here' },
        });
        return;
      }
      writer.append(request.event).then(
        () => reply({ type: 'appended', id, error: null }),
        (err: unknown) => {
          const code = err instanceof JournalError ? err.code : null;
          reply({ type: 'appended', id, error: { code, message: err instanceof Error ? err.message : String(err) } });
        },
      );
      return;
    }
    case 'writer-counters': {
      const writer = journal.writer;
      const counters = writer === null ? { syncs: 0, syncMs: 0, records: 0 } : writerCounters(writer);
      reply({ type: 'writer-counters', id: request.id, counters });
      return;
    }
  }
});
reply({ type: 'ready', ...journal.opened });

/**
 * While records keep coming, the ring is read every half batch window and a journal batch starts
 * right after: a record is durable within half a window plus the write, as on the forwarding
 * thread, and this thread works in few, large runs (on a shared machine many small runs cost far
 * more CPU per record: docs/recording-thread.md).
 */
const pollMs = Math.max(1, Math.floor(config.journal.batchWindowMs / 2));
for (;;) {
  const read = ring.drain((tag, ts, payload) => {
    handle(tag, ts, payload);
    stoppedForRefusal = settleRefusal;
    settleRefusal = false;
    return stoppedForRefusal;
  });
  if (closing && read === 0) break;
  if (read > 0) journal.afterRead();
  if (behind !== null) {
    await behind;
    behind = null;
  }
  if (stoppedForRefusal) await new Promise<void>((resolve) => setImmediate(resolve));
  else if (read > 0) await new Promise<void>((resolve) => setTimeout(resolve, pollMs));
  else if (!closing) await ring.sleep();
}
await journal.close();
reply({ type: 'closed' });
port.close();
