import type { Config } from '../../config/config.js';
import type { TrailEvent } from '../../recorder/events.js';
import type { JournalWriter } from '../../recorder/journal-writer-types.js';
import type { Recorder } from '../../recorder/recorder.js';
import type { ChunkRingMemory } from './chunk-ring.js';

/** A remote journal the recording thread records into (start --recorder; docs/recording-thread.md). */
export interface ThreadRemoteRecording {
  readonly url: string;
  readonly token: string;
  readonly instance: string;
  /** TLS towards the recorder (buffers arrive as Uint8Array: structured clone). */
  readonly tls: {
    readonly ca: Uint8Array | null;
    readonly cert: Uint8Array | null;
    readonly key: Uint8Array | null;
  } | null;
  readonly spoolDir: string | null;
  readonly spoolMaxBytes: number;
  /** The gate both threads share (remote-gate.ts). */
  readonly gate: SharedArrayBuffer;
}

/** What the recording thread starts with: the local journal of `config`, or `remote`. */
export interface RecordingThreadData {
  readonly config: Config;
  readonly memory: ChunkRingMemory;
  readonly remote: ThreadRemoteRecording | null;
}

/** The journal writer's own counts, for the benchmarks: durable writes, their time, records in the journal. */
export interface WriterCounters {
  readonly syncs: number;
  readonly syncMs: number;
  readonly records: number;
}

/**
 * From the forwarding thread: close once every record in the ring is read; the text of the
 * thread's metrics (empty when metrics are off); append an event and answer once it is durable
 * (the viewer's viewings, which do not belong to a session's traffic); the writer's counts.
 */
export type RecordingThreadRequest =
  | { readonly type: 'close' }
  | { readonly type: 'metrics'; readonly id: number }
  | { readonly type: 'append'; readonly id: number; readonly event: TrailEvent }
  | { readonly type: 'writer-counters'; readonly id: number };

/** What the forwarding thread announces of the journal it opened (as run-proxy.ts does for its own). */
export interface OpenedJournal {
  readonly verifierKey: string;
  readonly keyCreated: boolean;
  readonly keyPath: string;
  readonly keyInsideJournal: boolean;
  readonly closedLeftOpen: number;
}

/** What opening `recorder` found, as either thread announces it. */
export function openedJournal(recorder: Recorder): OpenedJournal {
  return {
    verifierKey: recorder.verifierKey,
    keyCreated: recorder.keyCreated,
    keyPath: recorder.key.path,
    keyInsideJournal: recorder.key.insideJournal,
    closedLeftOpen: recorder.closedLeftOpen,
  };
}

/** The writer's counts as the benchmarks read them. */
export function writerCounters(writer: JournalWriter): WriterCounters {
  const { count, ms } = writer.durableWrites;
  return { syncs: count, syncMs: ms, records: writer.size };
}

/** The answer to a request with an id. */
export type RecordingThreadAnswer =
  /** The text of the thread's metrics; null when collecting them failed. */
  | { readonly type: 'metrics'; readonly id: number; readonly text: string | null }
  | { readonly type: 'appended'; readonly id: number; readonly error: { code: string | null; message: string } | null }
  | { readonly type: 'writer-counters'; readonly id: number; readonly counters: WriterCounters };

/** From the recording thread. */
export type RecordingThreadReply =
  /** The journal is open: the local one as opened, or the remote one (null) with the events its spool held. */
  | { readonly type: 'ready'; readonly journal: OpenedJournal | null; readonly spooledAtStart: number }
  | { readonly type: 'not-opened'; readonly message: string }
  | { readonly type: 'failed'; readonly code: string; readonly message: string }
  | { readonly type: 'internal-error'; readonly name: string }
  | { readonly type: 'closed' }
  | RecordingThreadAnswer;
