/**
 * The journal as the viewer serves it: the search index (search/trail-index.ts) kept up to date in
 * memory, every record's leaf hash for inclusion proofs, the latest checkpoint, key rotations, and
 * per session the records the index does not locate (role changes, cancels, notifications). It
 * follows the segment files as the writer appends (fs.watch, and a check every `checkEveryMs` for
 * file systems whose watch misses writes) and tells listeners what was appended, which is how live
 * sessions are pushed to browsers.
 */
import { EventEmitter } from 'node:events';
import { watch, type FSWatcher } from 'node:fs';
import { open, type FileHandle } from 'node:fs/promises';
import { join } from 'node:path';
import type { JournalEvent } from '../../recorder/events.js';
import { parseRecordEnvelope, RecordKind } from '../../recorder/format/record-line.js';
import type { RecordLocation } from '../../search/journal-source.js';
import { openIndex } from '../../search/open-index.js';
import { segmentSource } from '../../search/segment-source.js';
import { TrailIndex } from '../../search/trail-index.js';
import { CosignedCheckpoints } from './cosigned-checkpoints.js';
import { JournalTail, type TailLine } from './journal-tail.js';
import { LeafHashTree, recordLeafHash } from './leaf-hash-tree.js';

/** A record appended since the last refresh, as listeners are told of it. */
export interface AppendedRecord {
  readonly seq: number;
  /** The session the record belongs to, when it is a session's event. */
  readonly session: string | null;
  readonly type: string;
  readonly location: RecordLocation;
}

/** A record located by its journal index. */
export interface LocatedRecord {
  readonly seq: number;
  readonly location: RecordLocation;
}

/** A leaf not hashed yet (set by the next record or the end of the read). */
const unknownLeaf = new Uint8Array(32);

/** Event types shown on a session page that the search index does not locate. */
const extraTypes = new Set(['session.role_changed', 'statement.cancel_requested', 'session.notified']);

/** The followed journal; `open` reads it once, `follow` keeps it current. */
export class LiveJournal extends EventEmitter<{ appended: [readonly AppendedRecord[]] }> {
  readonly tree = new LeafHashTree();
  /** The latest checkpoint record: its index (the size of the tree it signs) and note. */
  checkpoint: { readonly seq: number; readonly note: string } | null = null;
  /** The latest checkpoint witnesses cosigned, with their cosignature lines. */
  readonly cosigned = new CosignedCheckpoints();
  /** key.rotated records in order, as their exact line text. */
  readonly rotations: { readonly seq: number; readonly line: string }[] = [];
  /** The verifier key the journal.started record names (shown, never trusted by the browser). */
  journalVkey: string | null = null;
  readonly #extras = new Map<string, LocatedRecord[]>();
  readonly #tail: JournalTail;
  readonly #files = new Map<string, FileHandle>();
  #watcher: FSWatcher | null = null;
  #timer: NodeJS.Timeout | null = null;
  #refreshing: Promise<void> | null = null;
  #again = false;
  /** The last line taken, until its successor gives its leaf hash (or the read ends and it is hashed here). */
  #last: Buffer | null = null;

  private constructor(
    readonly dir: string,
    readonly index: TrailIndex,
  ) {
    super();
    this.#tail = new JournalTail(dir);
  }

  /** Loads (or builds) the search index, reads every record once for its leaf hash, and hashes the signed tree. */
  static async open(dir: string): Promise<LiveJournal> {
    const source = segmentSource(dir);
    let index: TrailIndex;
    try {
      index = (await openIndex(source, { complete: true })).index;
    } finally {
      source.close();
    }
    const journal = new LiveJournal(dir, index.isComplete ? index : new TrailIndex());
    await journal.refresh();
    // Hash the signed tree's subtrees now (about one hash per record, remembered), so that the first
    // session a reviewer opens does not wait for them.
    if (journal.checkpoint !== null && journal.checkpoint.seq > 0) journal.tree.root(0, journal.checkpoint.seq);
    return journal;
  }

  /** Starts following the journal's growth; a failed read is reported to `onError` and tried again later. */
  follow(checkEveryMs: number, onError: (err: unknown) => void): void {
    const poke = () => void this.refresh().catch(onError);
    try {
      this.#watcher = watch(this.dir, poke);
      this.#watcher.on('error', () => undefined);
    } catch {
      // Watching is an optimisation; the timer below is enough.
    }
    this.#timer = setInterval(poke, checkEveryMs);
    this.#timer.unref();
  }

  /** Reads what was appended since the last refresh; concurrent calls share one read. */
  refresh(): Promise<void> {
    if (this.#refreshing) {
      this.#again = true;
      return this.#refreshing;
    }
    this.#refreshing = (async () => {
      do {
        this.#again = false;
        const appended: AppendedRecord[] = [];
        for await (const line of this.#tail.read()) {
          const record = this.take(line);
          if (record) appended.push(record);
        }
        this.hashLast();
        if (appended.length > 0) this.emit('appended', appended);
      } while (this.#again);
    })().finally(() => {
      this.#refreshing = null;
    });
    return this.#refreshing;
  }

  /** The records of a session the index does not locate (role changes, cancels, notifications). */
  extrasOf(session: string): readonly LocatedRecord[] {
    return this.#extras.get(session) ?? [];
  }

  /** The exact bytes of the record line at `location`, without its newline. */
  async readLine(location: RecordLocation): Promise<Buffer> {
    let file = this.#files.get(location.segment);
    if (!file) {
      file = await open(join(this.dir, location.segment), 'r');
      this.#files.set(location.segment, file);
    }
    const bytes = Buffer.alloc(location.length);
    const { bytesRead } = await file.read(bytes, 0, location.length, location.offset);
    return bytes.subarray(0, Math.max(0, Math.min(bytesRead, location.length - 1)));
  }

  /** Stops following and closes the files. */
  async close(): Promise<void> {
    this.#watcher?.close();
    if (this.#timer) clearInterval(this.#timer);
    await this.#refreshing?.catch(() => undefined);
    for (const file of this.#files.values()) await file.close();
    this.#files.clear();
  }

  private take(line: TailLine): AppendedRecord | null {
    const seq = this.tree.size;
    // Every line is a leaf, well-formed or not: a damaged record then fails its proof in the browser.
    // Its hash is set when the next record arrives (below) or the read ends (hashLast).
    this.tree.push(unknownLeaf);
    const previous = this.#last;
    this.#last = line.bytes;
    const text = line.bytes.toString('utf8');
    const head = parseRecordEnvelope(text);
    // The chain says what the previous record's leaf hash was when the next one was written. Proofs
    // built from it let the browser check each record on its own: an edited record fails, and only
    // it, instead of spoiling the proofs of every record near it. (Hashes from an untrusted server
    // either way: the browser recomputes each leaf from the line it shows.) It also saves hashing
    // every line here: only a line without a readable successor is hashed.
    const prev = head === null || head.index !== seq || seq === 0 ? null : Buffer.from(head.prev, 'base64');
    if (prev !== null && prev.length === 32) this.tree.set(seq - 1, prev);
    else if (previous !== null) this.tree.set(seq - 1, recordLeafHash(previous));
    if (head === null || head.index !== seq) return null;
    const location = { segment: line.segment, offset: line.offset, length: line.length };
    const indexed = this.index.position === null || seq >= this.index.position.nextIndex;
    if (head.kind !== RecordKind.event) {
      this.takeOwnRecord(head.kind, seq, text);
      if (indexed) this.index.add({ index: seq, line: line.line, event: null, ...location });
      return { seq, session: null, type: head.kind, location };
    }
    // Parsing every event is needed only for what the index has not taken, and for the few extras.
    const typeAt = text.indexOf('"type":"', head.length);
    const type = typeAt < 0 ? '' : text.slice(typeAt + 8, text.indexOf('"', typeAt + 8));
    if (!indexed && !extraTypes.has(type)) return { seq, session: null, type, location };
    let event: JournalEvent;
    try {
      event = (JSON.parse(text) as { event: JournalEvent }).event;
    } catch {
      return null;
    }
    if (typeof event !== 'object' || event === null || typeof event.type !== 'string') return null;
    if (indexed) this.index.add({ index: seq, line: line.line, event, ...location });
    const session = 'session' in event && typeof event.session === 'string' ? event.session : null;
    if (session !== null && extraTypes.has(event.type)) {
      let list = this.#extras.get(session);
      if (!list) this.#extras.set(session, (list = []));
      list.push({ seq, location });
    }
    return { seq, session, type: event.type, location };
  }

  /** Hashes the last line read, which no successor vouches for yet. */
  private hashLast(): void {
    if (this.#last !== null) this.tree.set(this.tree.size - 1, recordLeafHash(this.#last));
    this.#last = null;
  }

  private takeOwnRecord(kind: string, seq: number, text: string): void {
    if (kind === RecordKind.checkpoint || kind === RecordKind.journalStarted || kind === RecordKind.cosignature) {
      let body: { note?: unknown; vkey?: unknown; size?: unknown; cosignature?: unknown };
      try {
        body = JSON.parse(text) as typeof body;
      } catch {
        return;
      }
      if (kind === RecordKind.checkpoint && typeof body.note === 'string') {
        this.checkpoint = { seq, note: body.note };
        this.cosigned.checkpoint(seq, body.note);
      }
      if (kind === RecordKind.journalStarted && typeof body.vkey === 'string') this.journalVkey = body.vkey;
      if (kind === RecordKind.cosignature && typeof body.size === 'number' && typeof body.cosignature === 'string')
        this.cosigned.cosignature(body.size, body.cosignature);
    } else if (kind === RecordKind.keyRotated) {
      this.rotations.push({ seq, line: text });
    }
  }
}
