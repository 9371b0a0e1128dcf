/**
 * The recording thread of a proxy that records off its forwarding thread (offthread-recording.ts):
 * it owns the journal, reads the chunk ring, and runs for each session the same frame readers and
 * statement observer the forwarding thread runs otherwise, with the clock set to each chunk's
 * arrival time, so the records are the ones an observer on the forwarding thread would write.
 * Retention (pruning, legal holds) runs here too: it belongs to whoever writes the journal, and so
 * do the metrics of the events and the journal (the forwarding thread serves their text with its own).
 */
import { getPriority, setPriority } from 'node:os';
import { parentPort, workerData } from 'node:worker_threads';
import { pino } from 'pino';
import type { Config } from '../../config/config.js';
import type { CloseReason, Peer, TrailEvent } from '../../recorder/events.js';
import { JournalError } from '../../recorder/journal-error.js';
import { openRecorder, type Recorder } from '../../recorder/recorder.js';
import { createRecordingMetrics } from '../../metrics/metrics-registry.js';
import { startRetention } from '../../retention/retention-schedule.js';
import { ClientFrameReader } from '../protocol/client-frame-reader.js';
import { ServerFrameReader } from '../protocol/server-frame-reader.js';
import { SessionObserver } from '../statements/session-observer.js';
import type { TappedSession } from '../traffic-tap.js';
import { ChunkRingConsumer } from './chunk-ring.js';
import {
  openedJournal,
  writerCounters,
  type RecordingThreadData,
  type RecordingThreadReply,
  type RecordingThreadRequest,
} from './recording-thread-messages.js';
import { TapKind, tapKindOf, tapSlotOf } from './tap-records.js';

/** One session as the recording thread follows it. */
interface TappedSessionState {
  readonly session: string;
  readonly observer: SessionObserver;
  readonly client: ClientFrameReader;
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

let recorder: Recorder;
try {
  recorder = await openRecorder(
    config.journal,
    config.recording,
    (error) => reply({ type: 'failed', code: error.code, message: error.message }),
    metrics?.observeDurableWrite,
    logger.child({ component: 'witness' }),
  );
} catch (err) {
  reply({ type: 'not-opened', message: err instanceof Error ? err.message : String(err) });
  process.exit(0);
}
if (metrics !== null) metrics.sources.writer = recorder.writer;
const retention = startRetention(recorder.writer, config.journal.retention, logger.child({ component: 'retention' }));

/** Gives the journal an event; a returned promise (the disk is behind, or the journal failed) pauses reading. */
function record(event: TrailEvent): void {
  metrics?.events.observe(event);
  const waiting = recorder.sink.record(event);
  if (waiting === null) return;
  const settled = waiting.then(
    () => {},
    (err: unknown) => onInternalError(err),
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

function open(slot: number, payload: Buffer): void {
  const tapped = JSON.parse(payload.toString('utf8')) as OpenPayload;
  const observer = new SessionObserver(
    { ...tapped, serverParams: new Map(tapped.serverParams), sink: observerSink },
    { recording: config.recording, clock, onInternalError },
  );
  const max = config.limits.maxMessageBytes;
  sessions.set(slot, {
    session: tapped.session,
    observer,
    client: new ClientFrameReader(max, observer, noUpstream),
    server: new ServerFrameReader(max, observer),
    broken: false,
  });
}

function handle(tag: number, ts: number, payload: Buffer): void {
  now = ts;
  const slot = tapSlotOf(tag);
  const kind = tapKindOf(tag);
  switch (kind) {
    case TapKind.Open:
      open(slot, payload);
      return;
    case TapKind.Client:
    case TapKind.Server: {
      const s = sessions.get(slot);
      if (s === undefined || s.broken) return;
      try {
        if (kind === TapKind.Client) s.client.push(payload);
        else s.server.push(payload);
      } catch {
        s.broken = true;
      }
      return;
    }
    case TapKind.Cancel:
      sessions.get(slot)?.observer.cancelRequested(JSON.parse(payload.toString('utf8')) as Peer);
      return;
    case TapKind.End: {
      const s = sessions.get(slot);
      if (s === undefined) return;
      sessions.delete(slot);
      s.observer.sessionEnded(payload.toString('utf8') as CloseReason);
      endedCounts.set(s.session, s.observer.statementCount);
      return;
    }
    case TapKind.Event: {
      const event = JSON.parse(payload.toString('utf8')) as TrailEvent;
      if (event.type !== 'session.closed') {
        record(event);
        return;
      }
      const count = endedCounts.get(event.session);
      endedCounts.delete(event.session);
      record(count === undefined ? event : { ...event, statements: count });
      return;
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
      recorder.writer.append(request.event).then(
        () => reply({ type: 'appended', id, error: null }),
        (err: unknown) => {
          const code = err instanceof JournalError ? err.code : null;
          reply({ type: 'appended', id, error: { code, message: err instanceof Error ? err.message : String(err) } });
        },
      );
      return;
    }
    case 'writer-counters':
      reply({ type: 'writer-counters', id: request.id, counters: writerCounters(recorder.writer) });
      return;
  }
});
reply({ type: 'ready', ...openedJournal(recorder) });

/**
 * While records keep coming, the ring is read every half batch window and a journal batch starts
 * right after: a record is durable within half a window plus the write, as on the forwarding
 * thread, and this thread works in few, large runs (on a shared machine many small runs cost far
 * more CPU per record: docs/recording-thread.md).
 */
const pollMs = Math.max(1, Math.floor(config.journal.batchWindowMs / 2));
for (;;) {
  const read = ring.drain(handle);
  if (closing && read === 0) break;
  if (read > 0) recorder.writer.flush().catch(() => {});
  if (behind !== null) {
    await behind;
    behind = null;
  }
  if (read > 0) await new Promise<void>((resolve) => setTimeout(resolve, pollMs));
  else if (!closing) await ring.sleep();
}
await retention.stop();
await recorder.close();
reply({ type: 'closed' });
port.close();
