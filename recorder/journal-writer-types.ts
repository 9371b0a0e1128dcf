/** The journal writer's interface and its options (journal-writer.ts opens one; group-commit-writer.ts is it). */
import type { FileHandle } from 'node:fs/promises';
import type { JournalConfig } from '../config/config.js';
import type { TrailEvent } from './events.js';
import type { JournalError } from './journal-error.js';
import type { SessionLeftOpen } from './sessions-left-open.js';
import type { SigningKey } from './signing-key.js';
import type { HoldRelease, LegalHold } from './format/hold-record.js';
import type { WitnessEndpoint, WitnessHooks, WitnessStats } from './witnessing/witness-client.js';

/** How to open a writer: the journal section of the config (keyFile may be left out), and optionally the key to sign with. */
export interface JournalWriterOptions extends Omit<JournalConfig, 'keyFile' | 'retention' | 'witnesses'> {
  /** Witnesses to send every durable checkpoint to (docs/witnesses.md); none by default. */
  readonly witnesses?: readonly WitnessEndpoint[];
  /** Where the witness client logs (pino's shape); silent by default. */
  readonly witnessLog?: WitnessHooks['log'];
  /** The signing key file; left out or null means the one locateSigningKey finds beside the journal. */
  readonly keyFile?: string | null;
  /** The signing key; by default the one locateSigningKey finds (`keyFile`, else beside the journal) is loaded. */
  readonly signingKey?: SigningKey;
  /** Told once when the writer fails closed (batched appends have no promise to reject). */
  readonly onFailure?: (error: JournalError) => void;
  /**
   * Opens segment files for appending; tests pass one that fails (ENOSPC, EIO) to check failing
   * closed. Its handles must make each write durable where segment-io.ts says segments do (O_DSYNC).
   */
  readonly openSegment?: (path: string, flags: 'a' | 'ax') => Promise<FileHandle>;
  /** Told the milliseconds of each durable write (the metrics endpoint's latency histogram). */
  readonly onDurableWrite?: (ms: number) => void;
  /**
   * Write each batch on the event loop's thread (segment-io.ts writeAllBlocking), blocking it until
   * the batch is durable, instead of through the thread pool: for a process with nothing else to do
   * meanwhile (the recorder service). Never for a proxy, whose sessions would wait behind the disk.
   */
  readonly blockingWrites?: boolean;
}

/** An open journal. One per directory (lock file); see the module comment for durability. */
export interface JournalWriter {
  readonly dir: string;
  readonly origin: string;
  /** The verifier key of the key in force. */
  readonly verifierKey: string;
  /** The journal's format (docs/journal-format.md §9): a journal keeps the format it started with. */
  readonly format: number;
  /** Records appended, durable or not. */
  readonly size: number;
  /** Records the journal held when this writer opened it (its size then). */
  readonly sizeAtOpen: number;
  /** Records known to be on disk. */
  readonly durableSize: number;
  /** Set once the writer has failed closed. */
  readonly failure: JournalError | null;
  /** Batches made durable so far, and the milliseconds their durable writes took (call to completion). */
  readonly durableWrites: { readonly count: number; readonly ms: number };
  /** Counters of each configured witness (docs/witnesses.md); empty without witnesses. */
  readonly witnessStats: readonly WitnessStats[];
  /** Events and markers waiting for the next batch (not yet encoded). */
  readonly queuedRecords: number;
  /**
   * What the journal held when this writer opened it: the sessions opened and never closed, and the
   * latest event time (sessions-left-open.ts). The in-process recorder closes those sessions.
   */
  readonly leftOpen: { readonly sessions: readonly SessionLeftOpen[]; readonly lastEventTs: number | null };
  /** Checkpoints written since this writer opened, and the tree size of the latest one durable. */
  readonly checkpoints: { readonly count: number; readonly lastSize: number };
  /**
   * Appends an event; the promise settles when its record is durable. The promise is shared by
   * every append of the same batch and is never an unhandled rejection when ignored.
   */
  append(event: TrailEvent): Promise<void>;
  /**
   * Appends an event without waiting (batched durability): null when queued (a later disk failure
   * goes to onFailure); the batch's promise, as append() returns it, when the JSON queued for the
   * next batch exceeds maxQueuedJsonBytes (the caller waits, which bounds the queue's memory when
   * the disk is slower than the events); or the rejection when the writer has failed or is closed.
   */
  appendWithoutWaiting(event: TrailEvent): Promise<void> | null;
  /**
   * Appends an event already serialised: json[start:end] is the UTF-8 of one line of JSON (an
   * object, no raw newline; the recorder service checks that), copied before this returns, as
   * append() does: the promise settles when its record is durable.
   */
  appendSerialized(json: Uint8Array, start: number, end: number): Promise<void>;
  /** Resolves when everything appended so far is durable. */
  flush(): Promise<void>;
  /** Appends a legal hold record or its release (docs/journal-format.md §11); resolves when it is durable. */
  appendHold(item: LegalHold | HoldRelease): Promise<void>;
  /** Appends a checkpoint now and resolves when it is durable and the latest-checkpoint file names it. */
  checkpoint(): Promise<void>;
  /** Hands over to `key` (same name): a key.rotated record signed by the current key, then a checkpoint signed by the new one. */
  rotateKey(key: SigningKey): Promise<void>;
  /** Writes a final checkpoint, waits for durability and releases the lock. */
  close(): Promise<void>;
}
