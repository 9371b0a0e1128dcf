/**
 * Recording off the forwarding thread (recording.thread, batched durability; docs/recording-thread.md):
 * the forwarding thread forwards, checks headers and the client's message layouts (tap-guard.ts),
 * and copies each chunk, stamped with its arrival time, into a ring in shared memory
 * (chunk-ring.ts); a worker thread (recording-thread.ts) owns the journal and runs the statement
 * observer, redaction, encoding and the writer. The events the forwarding thread records itself
 * (session.opened and .closed, startup refusals) go through the same ring, so each reaches the
 * journal in the order it happened. Once the journal has failed closed, the sink and the guard
 * refuse what comes next, as the journal's own sink does on the forwarding thread. With a remote
 * journal the thread publishes a gate (remote-gate.ts): each session's guard refuses or holds new
 * statements by it, per chunk, and the sink new sessions; the thread refuses the same statements.
 */
import { Worker } from 'node:worker_threads';
import type { Logger } from 'pino';
import type { Config } from '../../config/config.js';
import type { EventSink, TrailEvent } from '../../recorder/events.js';
import { JournalError, type JournalErrorCode } from '../../recorder/journal-error.js';
import { rejected } from '../../recorder/waiter.js';
import { RemoteRecorderError, type RemoteRecorderErrorCode } from '../../recorder/remote/remote-recorder-error.js';
import type { TapFactory, TrafficTap, TappedSession } from '../traffic-tap.js';
import { ChunkRingProducer, createChunkRingMemory } from './chunk-ring.js';
import type {
  OpenedJournal,
  RecordingThreadAnswer,
  RecordingThreadData,
  RecordingThreadReply,
  RecordingThreadRequest,
  ThreadRemoteRecording,
  WriterCounters,
} from './recording-thread-messages.js';
import {
  createRemoteGateMemory,
  gateRefusal,
  RemoteGate,
  RemoteGateState,
  type RemoteLinkStatus,
} from './remote-gate.js';
import { TapGuard } from './tap-guard.js';
import { TapKind, tapTag } from './tap-records.js';

/** The ring's size: what the recording thread may fall behind by before forwarding waits for it. */
const RING_BYTES = 16 * 1024 * 1024;

/** A running recording thread and the faces the proxy needs of it. */
export interface OffThreadRecording {
  /** The local journal as the thread opened it; null when it records into a remote recorder. */
  readonly journal: OpenedJournal | null;
  /** With a remote journal: events the spool held at start, and the link's state (for the metrics endpoint). */
  readonly remote: { readonly spooledAtStart: number; status(): RemoteLinkStatus } | null;
  /** Each session's tap (the proxy's `tap` option). */
  readonly tap: TapFactory;
  /** Where the proxy records its own events. */
  readonly sink: EventSink;
  /** Appends an event outside any session (the viewer's viewings); resolves once it is durable. */
  append(event: TrailEvent): Promise<void>;
  /** The text of the thread's metrics (events, statements, journal, witnesses); empty with metrics off. */
  metricsText(): Promise<string>;
  /** The journal writer's counts (for the benchmarks). */
  writerCounters(): Promise<WriterCounters>;
  /** Times forwarding waited for the thread: it was a batch window behind (lag), or the ring was full. */
  readonly waits: { readonly lag: number; readonly full: number };
  /** Waits until the thread has read every record, closed the journal and ended. */
  close(): Promise<void>;
}

const arrival = (): number => performance.timeOrigin + performance.now();
const json = (value: unknown): Buffer => Buffer.from(JSON.stringify(value), 'utf8');

/** The thread's module, built beside this one. */
const threadUrl = new URL('./recording-thread.js', import.meta.url);

/** A remote journal for the thread: where, as whom, and the spool (the gate is made here). */
export type OffThreadRemote = Omit<ThreadRemoteRecording, 'gate'>;

/** The error the thread reported as a failure: the remote sink's, or the journal's. */
function failureOf(code: string, message: string): Error {
  return code.startsWith('RECORDER_')
    ? new RemoteRecorderError(code as RemoteRecorderErrorCode, message)
    : new JournalError(code as JournalErrorCode, message);
}

/**
 * Starts the thread and waits until it has opened the journal, or its spool with a remote one
 * (throws what stopped it). `moduleUrl` is for tests that run this file from its TypeScript
 * source: the thread runs the built module.
 */
export async function startOffThreadRecording(
  config: Config,
  logger: Logger,
  remote: OffThreadRemote | null = null,
  moduleUrl: URL = threadUrl,
): Promise<OffThreadRecording> {
  const memory = createChunkRingMemory(RING_BYTES);
  // The thread may fall at most a batch window behind: a crash loses at most the window, as on the forwarding thread.
  const ring = new ChunkRingProducer(memory, config.journal.batchWindowMs);
  const gateMemory = remote === null ? null : createRemoteGateMemory();
  const gate = gateMemory === null ? null : new RemoteGate(gateMemory);
  const workerData: RecordingThreadData = {
    config,
    memory,
    remote: remote === null || gateMemory === null ? null : { ...remote, gate: gateMemory },
  };
  const worker = new Worker(moduleUrl, { workerData });
  let failure: Error | null = null;
  let closed: (() => void) | null = null;
  const asked = new Asked(worker);
  const opened = new Promise<{ journal: OpenedJournal | null; spooledAtStart: number }>((resolve, reject) => {
    worker.on('message', (message: RecordingThreadReply) => {
      switch (message.type) {
        case 'metrics':
        case 'appended':
        case 'writer-counters':
          asked.answered(message);
          return;
        case 'ready':
          resolve({ journal: message.journal, spooledAtStart: message.spooledAtStart });
          return;
        case 'not-opened':
          reject(new Error(message.message));
          return;
        case 'failed':
          failure ??= failureOf(message.code, message.message);
          logger.error(
            { code: message.code },
            remote === null ? 'journal failed closed' : 'remote recording failed closed',
          );
          return;
        case 'internal-error':
          logger.error({ err: message.name }, 'statement observer failed');
          return;
        case 'closed':
          closed?.();
          return;
      }
    });
    worker.on('error', (err) => {
      failure ??= err;
      logger.error({ err: err.name }, 'recording thread failed');
      reject(err);
    });
  });
  const { journal, spooledAtStart } = await opened;

  const failed = (): Error | null => failure;
  const sharedGuard = gate === null ? new TapGuard(failed) : null;
  // A chunk larger than a ring record goes in pieces: the thread's frame readers take any split.
  const pushChunk = (tag: number, chunk: Buffer): void => {
    const ts = arrival();
    for (let at = 0; at < chunk.length; at += ring.maxPayload)
      ring.push(tag, ts, chunk.length <= ring.maxPayload ? chunk : chunk.subarray(at, at + ring.maxPayload));
  };
  const free: number[] = [];
  let nextSlot = 0;
  const tap: TapFactory = (session: TappedSession): TrafficTap => {
    const slot = free.pop() ?? nextSlot++;
    ring.push(tapTag(slot, TapKind.Open), arrival(), json({ ...session, serverParams: [...session.serverParams] }));
    const clientTag = tapTag(slot, TapKind.Client);
    const serverTag = tapTag(slot, TapKind.Server);
    if (gate === null) {
      return {
        guard: sharedGuard!,
        clientChunk: (chunk) => pushChunk(clientTag, chunk),
        serverChunk: (chunk) => pushChunk(serverTag, chunk),
        cancelRequested: (client) => ring.push(tapTag(slot, TapKind.Cancel), arrival(), json(client)),
        sessionEnded: (reason) => {
          ring.push(tapTag(slot, TapKind.End), arrival(), Buffer.from(reason));
          free.push(slot);
        },
      };
    }
    // A remote journal: each client chunk goes with the gate's state as read now; the guard decides by it.
    const guard = new TapGuard(failed, {
      gate,
      refusalAnswered: (error, status) =>
        ring.push(tapTag(slot, TapKind.RefusalAnswered), arrival(), json({ error, status })),
    });
    const unreachableTag = tapTag(slot, TapKind.ClientUnreachable);
    const spoolFullTag = tapTag(slot, TapKind.ClientSpoolFull);
    return {
      guard,
      clientChunk: (chunk) => {
        const state = gate.state;
        guard.chunkGate = state;
        pushChunk(
          state === RemoteGateState.unreachable
            ? unreachableTag
            : state === RemoteGateState.spoolFull
              ? spoolFullTag
              : clientTag,
          chunk,
        );
      },
      serverChunk: (chunk) => pushChunk(serverTag, chunk),
      cancelRequested: (client) => ring.push(tapTag(slot, TapKind.Cancel), arrival(), json(client)),
      sessionEnded: (reason) => {
        ring.push(tapTag(slot, TapKind.End), arrival(), Buffer.from(reason));
        free.push(slot);
      },
    };
  };
  const sink: EventSink = {
    record: (event: TrailEvent) => {
      if (failure !== null) return rejected(failure);
      // A session opens only as a statement would go: the remote gate refuses it, or it waits for room.
      const state = gate !== null && event.type === 'session.opened' ? gate.state : RemoteGateState.open;
      const refusal = gateRefusal(state);
      if (refusal !== null) return rejected(refusal);
      ring.push(tapTag(0, TapKind.Event), arrival(), json(event));
      return state === RemoteGateState.wait ? gate!.waitWhileFull() : null;
    },
  };
  return {
    journal,
    remote: gate === null ? null : { spooledAtStart, status: () => gate.status() },
    tap,
    sink,
    append: async (event) => {
      const answer = await asked.ask({ type: 'append', event });
      if (answer.type !== 'appended' || answer.error === null) return;
      const { code, message } = answer.error;
      throw code === null ? new Error(message) : new JournalError(code as JournalErrorCode, message);
    },
    metricsText: async () => {
      const answer = await asked.ask({ type: 'metrics' });
      if (answer.type !== 'metrics' || answer.text === null)
        throw new Error('the recording thread could not collect its metrics');
      return answer.text;
    },
    get waits() {
      return { lag: ring.lagWaits, full: ring.waits };
    },
    writerCounters: async () => {
      const answer = await asked.ask({ type: 'writer-counters' });
      if (answer.type !== 'writer-counters') throw new Error('the recording thread answered another question');
      return answer.counters;
    },
    close: async () => {
      const done = new Promise<void>((resolve) => {
        closed = resolve;
        worker.once('exit', () => resolve());
      });
      worker.postMessage({ type: 'close' } satisfies RecordingThreadRequest);
      await done;
      await worker.terminate();
    },
  };
}

/** A request the thread answers, without its id: the id is Asked's. */
type Question<R = Extract<RecordingThreadRequest, { id: number }>> = R extends unknown ? Omit<R, 'id'> : never;

/** The requests sent to the thread and not yet answered; all fail once the thread has ended. */
class Asked {
  readonly #waiting = new Map<number, { resolve: (a: RecordingThreadAnswer) => void; reject: (e: Error) => void }>();
  #nextId = 1;
  #ended: Error | null = null;

  constructor(private readonly worker: Worker) {
    worker.once('exit', () => {
      this.#ended = new Error('the recording thread has ended');
      for (const { reject } of this.#waiting.values()) reject(this.#ended);
      this.#waiting.clear();
    });
  }

  ask(question: Question): Promise<RecordingThreadAnswer> {
    if (this.#ended !== null) return Promise.reject(this.#ended);
    const id = this.#nextId++;
    return new Promise((resolve, reject) => {
      this.#waiting.set(id, { resolve, reject });
      this.worker.postMessage({ ...question, id });
    });
  }

  answered(answer: RecordingThreadAnswer): void {
    const waiting = this.#waiting.get(answer.id);
    this.#waiting.delete(answer.id);
    waiting?.resolve(answer);
  }
}
