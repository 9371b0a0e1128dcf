/**
 * The proxy's spool: events not yet acknowledged durable by the recorder service, kept in local
 * files so that a proxy that crashes (or a recorder that is down) loses nothing: on restart they are
 * read back and resent in order. In batched durability the sink spools only what is still
 * unacknowledged a quarter window after it was sent (remote-sink.ts), so on a healthy link most
 * events never reach the spool; in strict durability every event is spooled as it is sent.
 *
 * Files `spool-<16-digit sequence>.bin` in one directory; the number is the sequence of the file's
 * first record, or of the next record when the file is empty. A file is the 8-byte magic
 * `pgtspl1\n`, then records: sequence (u64 big-endian), length (u32), the event's JSON bytes, with
 * consecutive sequence numbers; the next file may skip numbers (events acknowledged before they were
 * spooled), never go back. Appends are O_DSYNC writes (segment-io.ts). A file whose records are all
 * acknowledged is deleted once it is not the one being appended to; the current file is replaced
 * by an empty one when it is fully acknowledged and larger than `rotateBytes`. An incomplete record
 * at the end of the newest file (a torn write) is cut on open; any other damage refuses to open
 * (REMOTE_SPOOL_CORRUPT), it is never repaired.
 *
 * Since the files no longer hold every number, `spool-state` says where numbering stands: `open`
 * while a proxy has the spool open, `closed <next sequence>` after a clean close. A spool found
 * `open` was left by a crash: the proxy may have numbered events it never spooled, so it numbers new
 * events only after the recorder's Welcome says what it holds (nextSeq null), keeping the spooled
 * events' own numbers. A spool without the file (written before it existed) held every event, so its
 * files tell.
 */
import { open, readdir, readFile, truncate, unlink, writeFile, type FileHandle } from 'node:fs/promises';
import { join } from 'node:path';
import { makeDirectory } from '../make-directory.js';
import { replaceFileDurably } from '../replace-file.js';
import { fsyncDir, openSegmentFile, segmentWritesAreDurable, writeAll } from '../segment-io.js';
import { RemoteRecorderError, RemoteRecorderErrorCode } from './remote-recorder-error.js';

/** One spooled event. */
export interface SpooledEvent {
  readonly seq: number;
  readonly bytes: Buffer;
}

const magic = Buffer.from('pgtspl1\n', 'latin1');
const recordHeaderBytes = 12;
const namePattern = /^spool-(\d{16})\.bin$/;
const stateName = 'spool-state';
const statePattern = /^(?:open|closed (\d{1,16}))\n$/;
// Longer than any state: a file this long is not one.
const stateMaxBytes = 64;
/** The current file is replaced once fully acknowledged and at least this large. */
const rotateBytes = 1024 * 1024;

interface SpoolFile {
  readonly name: string;
  /** Sequence of its first record, or of the next one when it has none. */
  readonly firstSeq: number;
  /** Sequence of its last record, or firstSeq - 1 when empty. */
  lastSeq: number;
  bytes: number;
}

/** An open spool directory. */
export class EventSpool {
  readonly #files: SpoolFile[];
  #handle: FileHandle | null = null;
  // One file operation at a time, in order.
  #chain: Promise<void> = Promise.resolve();

  private constructor(
    readonly dir: string,
    files: SpoolFile[],
  ) {
    this.#files = files;
  }

  /** Opens (creating) the spool in `dir`; returns it with the events it holds and the next sequence, if known. */
  static async open(dir: string): Promise<{ spool: EventSpool; events: SpooledEvent[]; nextSeq: number | null }> {
    await makeDirectory(dir, 0o700);
    const names = (await readdir(dir)).filter((n) => namePattern.test(n)).sort();
    const files: SpoolFile[] = [];
    const events: SpooledEvent[] = [];
    for (const [i, name] of names.entries()) {
      const firstSeq = Number(namePattern.exec(name)![1]);
      const data = await readFile(join(dir, name)).catch((err: unknown) => {
        throw new RemoteRecorderError(RemoteRecorderErrorCode.spoolFailed, 'cannot read a spool file', { cause: err });
      });
      const isNewest = i === names.length - 1;
      const { records, goodBytes } = parseSpoolFile(data, firstSeq, name, isNewest);
      if (goodBytes < magic.length) await writeFile(join(dir, name), magic);
      else if (goodBytes < data.length) await truncate(join(dir, name), goodBytes);
      const previous = events.at(-1);
      // Files may skip numbers (events acknowledged before they were spooled), never go back.
      if (previous !== undefined && records.length > 0 && records[0]!.seq <= previous.seq) {
        throw corrupt(`${name} goes back in sequence`);
      }
      events.push(...records);
      files.push({
        name,
        firstSeq,
        lastSeq: records.at(-1)?.seq ?? firstSeq - 1,
        bytes: Math.max(goodBytes, magic.length),
      });
    }
    const newest = files.at(-1);
    const fromFiles = newest === undefined ? null : Math.max(newest.firstSeq, newest.lastSeq + 1);
    const nextSeq = numberingOf(await readState(dir), fromFiles, events.at(-1)?.seq ?? 0);
    // From here on events may be numbered and not spooled: a crash must be seen as one.
    await writeState(dir, 'open\n');
    return { spool: new EventSpool(dir, files), events, nextSeq };
  }

  /** Bytes on disk of the spool files (acknowledged records included until their file goes). */
  get bytes(): number {
    return this.#files.reduce((n, f) => n + f.bytes, 0);
  }

  /** Appends events (consecutive sequence numbers); resolves once they are durable. */
  append(events: readonly SpooledEvent[]): Promise<void> {
    return this.#then(async () => {
      if (events.length === 0) return;
      const current = await this.#current(events[0]!.seq);
      // One buffer per append: a header and the bytes of each event, written with one O_DSYNC write.
      let size = 0;
      for (const e of events) size += recordHeaderBytes + e.bytes.length;
      const out = Buffer.allocUnsafe(size);
      let at = 0;
      for (const e of events) {
        out.writeUInt32BE(Math.floor(e.seq / 0x1_0000_0000), at);
        out.writeUInt32BE(e.seq >>> 0, at + 4);
        out.writeUInt32BE(e.bytes.length, at + 8);
        out.set(e.bytes, at + recordHeaderBytes);
        at += recordHeaderBytes + e.bytes.length;
      }
      await writeAll(this.#handle!, [out]);
      if (!segmentWritesAreDurable) await this.#handle!.datasync();
      current.bytes += size;
      current.lastSeq = events.at(-1)!.seq;
    });
  }

  /** Every event up to `seq` is durable at the recorder: files holding only such events go. */
  acknowledged(seq: number, nextSeq: number): Promise<void> {
    return this.#then(async () => {
      const current = this.#files.at(-1);
      if (current !== undefined && current.lastSeq <= seq && current.bytes >= rotateBytes) {
        await this.#startFile(nextSeq);
      }
      while (this.#files.length > 1 && this.#files[0]!.lastSeq <= seq) {
        const gone = this.#files.shift()!;
        await unlink(join(this.dir, gone.name));
      }
    });
  }

  /**
   * Closes the current file and, when `nextSeq` is known, records it as where numbering stands (a
   * clean close); null leaves the spool marked open, so the next start waits for the recorder.
   */
  close(nextSeq: number | null): Promise<void> {
    return this.#then(async () => {
      await this.#handle?.close();
      this.#handle = null;
      if (nextSeq !== null) await writeState(this.dir, `closed ${nextSeq}\n`);
    });
  }

  #then(work: () => Promise<void>): Promise<void> {
    const next = this.#chain.then(work).catch((err: unknown) => {
      throw err instanceof RemoteRecorderError
        ? err
        : new RemoteRecorderError(RemoteRecorderErrorCode.spoolFailed, 'writing the spool failed', { cause: err });
    });
    this.#chain = next.catch(() => undefined);
    return next;
  }

  /** The file to append `seq` to, opened. */
  async #current(seq: number): Promise<SpoolFile> {
    const last = this.#files.at(-1);
    if (last === undefined || last.lastSeq + 1 !== seq) return this.#startFile(seq);
    if (this.#handle === null) this.#handle = await openSegmentFile(join(this.dir, last.name), 'a');
    return last;
  }

  async #startFile(firstSeq: number): Promise<SpoolFile> {
    const name = `spool-${String(firstSeq).padStart(16, '0')}.bin`;
    await this.#handle?.close();
    this.#handle = null;
    const existing = this.#files.at(-1);
    if (existing?.name === name) {
      // Only an empty file can have the name of the next record.
      this.#handle = await openSegmentFile(join(this.dir, name), 'a');
      return existing;
    }
    const handle = await openSegmentFile(join(this.dir, name), 'ax');
    await writeAll(handle, [magic]);
    if (!segmentWritesAreDurable) await handle.datasync();
    await fsyncDir(this.dir);
    this.#handle = handle;
    const file: SpoolFile = { name, firstSeq, lastSeq: firstSeq - 1, bytes: magic.length };
    this.#files.push(file);
    return file;
  }
}

/** The records of one spool file; an incomplete record at the end is allowed only in the newest file. */
function parseSpoolFile(
  data: Buffer,
  firstSeq: number,
  name: string,
  isNewest: boolean,
): { records: SpooledEvent[]; goodBytes: number } {
  if (data.length < magic.length) {
    if (isNewest && magic.subarray(0, data.length).equals(data)) return { records: [], goodBytes: 0 };
    throw corrupt(`${name} is not a spool file`);
  }
  if (!data.subarray(0, magic.length).equals(magic)) throw corrupt(`${name} is not a spool file`);
  const records: SpooledEvent[] = [];
  let at = magic.length;
  let expected = firstSeq;
  while (at < data.length) {
    if (at + recordHeaderBytes > data.length) break;
    const seq = data.readUInt32BE(at) * 0x1_0000_0000 + data.readUInt32BE(at + 4);
    const length = data.readUInt32BE(at + 8);
    if (seq !== expected || length < 2 || length > 16 * 1024 * 1024) throw corrupt(`${name} has a bad record`);
    if (at + recordHeaderBytes + length > data.length) break;
    records.push({ seq, bytes: Buffer.from(data.subarray(at + recordHeaderBytes, at + recordHeaderBytes + length)) });
    at += recordHeaderBytes + length;
    expected++;
  }
  if (at < data.length && !isNewest) throw corrupt(`${name} ends inside a record`);
  return { records, goodBytes: at };
}

/** The content of spool-state (at most its first 64 bytes), or null when there is none (a spool written before it existed). */
async function readState(dir: string): Promise<string | null> {
  let handle: FileHandle;
  try {
    handle = await open(join(dir, stateName), 'r');
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return null;
    throw new RemoteRecorderError(RemoteRecorderErrorCode.spoolFailed, 'cannot read the spool state', { cause: err });
  }
  try {
    const buffer = Buffer.alloc(stateMaxBytes);
    const { bytesRead } = await handle.read(buffer, 0, stateMaxBytes, 0);
    return buffer.toString('latin1', 0, bytesRead);
  } finally {
    await handle.close();
  }
}

function writeState(dir: string, state: string): Promise<void> {
  return replaceFileDurably(join(dir, stateName), state).catch((err: unknown) => {
    throw new RemoteRecorderError(RemoteRecorderErrorCode.spoolFailed, 'cannot write the spool state', { cause: err });
  });
}

/**
 * Where numbering stands, from spool-state (see the file comment): the number a clean close wrote,
 * null after a crash, the files' own when there is no state file.
 */
function numberingOf(state: string | null, fromFiles: number | null, lastSpooled: number): number | null {
  if (state === null) return fromFiles;
  const match = statePattern.exec(state);
  if (match === null) throw corrupt(`${stateName} is neither "open" nor "closed <sequence>"`);
  if (match[1] === undefined) return null;
  const next = Number(match[1]);
  if (next <= lastSpooled) throw corrupt(`${stateName} says ${next}, the spool holds ${lastSpooled}`);
  return next;
}

function corrupt(message: string): RemoteRecorderError {
  return new RemoteRecorderError(RemoteRecorderErrorCode.spoolCorrupt, message);
}

/** The spool files in `dir`, oldest first. */
export async function spoolFileNames(dir: string): Promise<string[]> {
  return (await readdir(dir)).filter((n) => namePattern.test(n)).sort();
}
