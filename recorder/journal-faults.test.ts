// When the disk fails the writer fails closed: the caller gets the error, nothing more is written,
// and what was sealed stays intact (a torn write is cut on reopen).
import { mkdtemp, rm, type FileHandle } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, expect, test } from 'vitest';
import type { JournalConfig } from '../config/config.js';
import { readJournal } from './journal-reader.js';
import { JournalError } from './journal-error.js';
import { openJournalWriter } from './journal-writer.js';
import { createSigningKey } from './signing-key.js';
import { statementStarted } from './testing/sample-events.js';
import { verifyJournalDir } from './verify-journal-dir.js';
import { openSegmentFile } from './segment-io.js';

let dir: string;
let vkey: string;
beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), 'pgtrail-faults-'));
  vkey = await createSigningKey(dir);
});
afterEach(async () => {
  await rm(dir, { recursive: true, force: true });
  await rm(`${dir}.signing-key`, { force: true });
});

const config = (): JournalConfig => ({
  dir,
  retention: { keepDays: 0, everyMinutes: 60, keepSessionsOpen: true },
  durability: 'strict',
  batchWindowMs: 10,
  checkpointEveryRecords: 1000,
  checkpointEveryMs: 600_000,
  segmentMaxBytes: 1 << 20,
  keyFile: null,
  witnesses: [],
});

function errno(code: 'ENOSPC' | 'EIO'): NodeJS.ErrnoException {
  return Object.assign(new Error(`${code}: simulated`), { code });
}

/** A segment opener whose handles fail every writev after the first `okWrites` (process-wide count). */
function failingAfter(okWrites: number, code: 'ENOSPC' | 'EIO', tearHalf: boolean) {
  let writes = 0;
  return async (path: string, flags: 'a' | 'ax'): Promise<FileHandle> => {
    const real = await openSegmentFile(path, flags);
    return new Proxy(real, {
      get(target, prop) {
        if (prop === 'writev') {
          return async (buffers: Buffer[]) => {
            if (++writes <= okWrites) return target.writev(buffers);
            // A torn write: part of the first record reaches the file before the error.
            if (tearHalf) await target.write(buffers[0]!.subarray(0, Math.floor(buffers[0]!.length / 2)));
            throw errno(code);
          };
        }
        const value: unknown = Reflect.get(target, prop);
        return typeof value === 'function' ? (value as (...args: unknown[]) => unknown).bind(target) : value;
      },
    });
  };
}

test.each([
  ['ENOSPC', false],
  ['EIO', true],
] as const)(
  '%s: the failing append and every later one are rejected; reopening recovers an intact journal',
  async (code, tearHalf) => {
    const failures: JournalError[] = [];
    const writer = await openJournalWriter({
      ...config(),
      openSegment: failingAfter(4, code, tearHalf),
      onFailure: (e) => failures.push(e),
    });
    // Writes 1 and 2 were journal.started and the first checkpoint.
    await writer.append(statementStarted('f', 1));
    await writer.append(statementStarted('f', 2));
    const failed = writer.append(statementStarted('f', 3));
    await expect(failed).rejects.toMatchObject({
      code: 'JOURNAL_WRITE_FAILED',
      cause: expect.objectContaining({ code }),
    });
    await expect(writer.append(statementStarted('f', 4))).rejects.toBeInstanceOf(JournalError);
    writer.appendWithoutWaiting(statementStarted('f', 5));
    expect(writer.failure?.code).toBe('JOURNAL_WRITE_FAILED');
    expect(failures).toHaveLength(1);
    await writer.close();

    const reopened = await openJournalWriter(config());
    await reopened.close();
    const statements: number[] = [];
    for await (const e of readJournal(dir))
      if (e.event?.type === 'statement.started') statements.push(e.event.statement);
    expect(statements).toEqual([1, 2]);
    const report = await verifyJournalDir(dir, { pinnedKeys: [vkey], stateFile: null });
    expect(report.findings).toEqual([]);
    expect(report.recoveries).toBe(tearHalf ? 1 : 0);
  },
);
