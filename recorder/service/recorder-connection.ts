/**
 * One proxy's WebSocket connection to the recorder service, already authenticated on its HTTP
 * upgrade (recorder-service.ts). The proxy sends Hello, is told the last durable sequence number of
 * its instance (Welcome), then sends Batches; each Batch is appended to the journal and acknowledged
 * once durable (Ack). Rules (docs/recorder-protocol.md):
 * - the first Batch of a connection may start at or before the next expected number: events the
 *   journal already holds are duplicates (a resend after a reconnect) and are dropped;
 * - every later Batch must start exactly where the previous one ended: an earlier start is a replay,
 *   a later one a gap, and either is refused with a Refusal frame and the connection closed;
 * - any frame out of place, malformed, or an event that is not a well-formed event, is refused the same way.
 * A Batch is checked in full before any of it is appended, so a refused Batch leaves no trace.
 */
import type { Logger } from 'pino';
import type { WebSocket } from 'ws';
import type { StatementRecorded } from '../events.js';
import type { JournalWriter } from '../journal-writer.js';
import { finishedOf, startedOf, statementRecordFormat } from '../statement-record.js';
import { decodeFrame, encodeAck, encodeRefusal, encodeWelcome, type Batch } from '../wire/recorder-frames.js';
import { WireError } from '../wire/wire-error.js';
import type { RecorderServiceCounters } from './recorder-service-counters.js';
import { RecorderServiceError, RecorderServiceErrorCode } from './recorder-service-error.js';
import { checkRelayedEvent, relayedEventExtraBytes, relayPrefixOf, writeRelayedEvent } from './relayed-event.js';

/** What the service knows of one instance name, across its connections. */
export interface InstanceState {
  /** Highest sequence number appended to the writer (durable or about to be). */
  accepted: number;
  /** Highest sequence number acknowledged to the proxy as durable (at start: the journal's last). */
  acknowledged: number;
  /**
   * Among the instances that said Hello since the service started, this one's place (0, 1, …), or
   * null when none has: the metrics give their own label to the first few only.
   */
  helloOrder: number | null;
  /** The connection currently speaking for this instance. */
  connection: RecorderConnection | null;
}

/** What every connection shares. */
export interface ConnectionDeps {
  readonly writer: JournalWriter;
  readonly instances: Map<string, InstanceState>;
  readonly logger: Logger;
  readonly helloTimeoutMs: number;
  readonly counters: RecorderServiceCounters;
  /** Instances that said Hello since the service started. */
  helloInstances: number;
}

/** WebSocket close code sent with a Refusal (4000-4999 are for applications). */
export const refusalCloseCode = 4000;
// Appended bytes not yet acknowledged beyond which the connection stops reading (the disk is behind).
const maxUnackedBytes = 32 * 1024 * 1024;

/** The protocol state of one connection (see the file comment). */
export class RecorderConnection {
  #state: 'hello' | 'welcoming' | 'open' | 'closed' = 'hello';
  #instanceName = '';
  #instance: InstanceState | null = null;
  // Where this connection's next Batch must start; null until its first Batch.
  #expect: number | null = null;
  #unackedBytes = 0;
  #paused = false;
  // The relay member's text up to the sequence number, for this connection's instance (set at Hello).
  #relayPrefix: Buffer = Buffer.alloc(0);
  // One relayed line at a time is composed here and copied by the writer: no buffer per event.
  #line: Buffer = Buffer.allocUnsafe(4096);
  readonly #helloTimer: NodeJS.Timeout;

  constructor(
    private readonly socket: WebSocket,
    private readonly deps: ConnectionDeps,
    private readonly log: Logger,
  ) {
    this.#helloTimer = setTimeout(
      () => this.refuse(new RecorderServiceError(RecorderServiceErrorCode.helloTimeout, 'no hello in time')),
      deps.helloTimeoutMs,
    );
    socket.on('message', (data, isBinary) => this.#onMessage(data, isBinary));
    socket.on('close', () => this.#closed());
    socket.on('error', () => this.#closed());
  }

  /** The instance this connection speaks for ('' before Hello). */
  get instance(): string {
    return this.#instanceName;
  }

  /** Sends a Refusal with the error's code and closes the connection. */
  refuse(error: { readonly code: string; readonly message: string }): void {
    if (this.#state === 'closed') return;
    this.deps.counters.refused(error.code);
    this.log.warn({ code: error.code, instance: this.#instanceName || null }, 'recorder connection refused');
    if (this.socket.readyState === this.socket.OPEN) {
      this.socket.send(encodeRefusal(error.code, error.message));
      this.socket.close(refusalCloseCode, error.code);
    }
    this.#closed();
    setTimeout(() => this.socket.terminate(), 2_000).unref();
  }

  #onMessage(data: unknown, isBinary: boolean): void {
    if (this.#state === 'closed') return;
    if (!isBinary || !Buffer.isBuffer(data)) {
      this.refuse(unexpected('only binary frames are accepted'));
      return;
    }
    try {
      const frame = decodeFrame(data);
      if (frame.type === 'hello' && this.#state === 'hello') void this.#hello(frame.instance);
      else if (frame.type === 'batch' && this.#state === 'open') this.#batch(frame, data.length);
      else throw unexpected(`a ${frame.type} frame is not expected now`);
    } catch (err) {
      if (err instanceof RecorderServiceError || err instanceof WireError) this.refuse(err);
      else throw err;
    }
  }

  async #hello(instance: string): Promise<void> {
    clearTimeout(this.#helloTimer);
    this.#state = 'welcoming';
    this.#instanceName = instance;
    this.#relayPrefix = relayPrefixOf(instance);
    let state = this.deps.instances.get(instance);
    if (state === undefined) {
      state = { accepted: 0, acknowledged: 0, connection: null, helloOrder: null };
      this.deps.instances.set(instance, state);
    }
    state.helloOrder ??= this.deps.helloInstances++;
    const previous = state.connection;
    state.connection = this;
    previous?.refuse(new RecorderServiceError(RecorderServiceErrorCode.replaced, 'a new connection took over'));
    // What was appended for this instance must be durable before the proxy is told where it stands.
    try {
      await this.deps.writer.flush();
    } catch {
      this.refuse(new RecorderServiceError(RecorderServiceErrorCode.journalFailed, 'the journal failed closed'));
      return;
    }
    if (this.#state !== 'welcoming' || state.connection !== this) return;
    // Everything accepted so far is durable now (the flush above).
    if (state.accepted > state.acknowledged) state.acknowledged = state.accepted;
    this.#instance = state;
    this.#state = 'open';
    this.log.info({ instance, durableSeq: state.accepted }, 'recorder connection opened');
    this.socket.send(encodeWelcome(state.accepted));
  }

  /**
   * Appends a `statement` event as its statement.started and statement.finished records, each with
   * the relay member of the sequence number it came with (the rare path: a journal before format 4).
   */
  #appendSplit(bytes: Buffer, seq: number): Promise<void> {
    const record = JSON.parse(bytes.toString('utf8')) as StatementRecorded;
    let durable: Promise<void> = Promise.resolve();
    for (const event of [startedOf(record), finishedOf(record)]) {
      const json = Buffer.from(JSON.stringify(event), 'utf8');
      const line = Buffer.allocUnsafe(json.length + relayedEventExtraBytes(this.#relayPrefix));
      durable = this.deps.writer.appendSerialized(line, 0, writeRelayedEvent(json, this.#relayPrefix, seq, line));
    }
    return durable;
  }

  #batch(batch: Batch, frameBytes: number): void {
    const state = this.#instance!;
    const first = batch.firstSeq;
    if (this.#expect !== null && first !== this.#expect) {
      throw first < this.#expect
        ? new RecorderServiceError(
            RecorderServiceErrorCode.sequenceReplayed,
            `batch starts at ${first}, expected ${this.#expect}`,
          )
        : new RecorderServiceError(
            RecorderServiceErrorCode.sequenceGap,
            `batch starts at ${first}, expected ${this.#expect}`,
          );
    }
    if (first > state.accepted + 1) {
      throw new RecorderServiceError(
        RecorderServiceErrorCode.sequenceGap,
        `batch starts at ${first}, expected ${state.accepted + 1}`,
      );
    }
    const last = first + batch.events.length - 1;
    this.#expect = last + 1;
    // Events the journal holds already (a resend after a reconnect) are dropped by sequence number.
    const skip = Math.min(batch.events.length, state.accepted + 1 - first);
    // Every event is checked before any is appended: a refused Batch leaves no trace.
    // A journal begun before format 4 has no `statement` records: such an event is written as its two.
    const splitStatements = this.deps.writer.format < statementRecordFormat;
    let split: number[] | null = null;
    for (let i = skip; i < batch.events.length; i++) {
      if (checkRelayedEvent(batch.events[i]!, this.#instanceName) && splitStatements) (split ??= []).push(i);
    }
    const counters = this.deps.counters;
    counters.batches++;
    counters.events += batch.events.length - skip;
    counters.duplicates += skip;
    const writer = this.deps.writer;
    let durable: Promise<void> = writer.flush();
    for (let i = skip; i < batch.events.length; i++) {
      if (split?.includes(i) === true) {
        durable = this.#appendSplit(batch.events[i]!, first + i);
        continue;
      }
      const event = batch.events[i]!;
      const room = event.length + relayedEventExtraBytes(this.#relayPrefix);
      if (room > this.#line.length) this.#line = Buffer.allocUnsafe(Math.max(room, this.#line.length * 2));
      durable = writer.appendSerialized(
        this.#line,
        0,
        writeRelayedEvent(event, this.#relayPrefix, first + i, this.#line),
      );
    }
    if (last > state.accepted) state.accepted = last;
    this.#unackedBytes += frameBytes;
    if (this.#unackedBytes > maxUnackedBytes && !this.#paused) {
      this.#paused = true;
      this.socket.pause();
    }
    durable.then(
      () => {
        if (last > state.acknowledged) state.acknowledged = last;
        this.#acknowledge(last, frameBytes);
      },
      () => this.refuse(new RecorderServiceError(RecorderServiceErrorCode.journalFailed, 'the journal failed closed')),
    );
  }

  #acknowledge(seq: number, frameBytes: number): void {
    this.#unackedBytes -= frameBytes;
    if (this.#paused && this.#unackedBytes <= maxUnackedBytes / 2) {
      this.#paused = false;
      this.socket.resume();
    }
    if (this.#state === 'open' && this.socket.readyState === this.socket.OPEN) this.socket.send(encodeAck(seq));
  }

  #closed(): void {
    if (this.#state === 'closed') return;
    this.#state = 'closed';
    clearTimeout(this.#helloTimer);
    const state = this.deps.instances.get(this.#instanceName);
    if (state !== undefined && state.connection === this) state.connection = null;
    if (this.#instanceName !== '') this.log.info({ instance: this.#instanceName }, 'recorder connection closed');
  }
}

function unexpected(message: string): RecorderServiceError {
  return new RecorderServiceError(RecorderServiceErrorCode.unexpectedFrame, message);
}
