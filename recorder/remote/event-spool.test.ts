import { appendFile, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { EventSpool, spoolFileNames } from './event-spool.js';
import { RemoteRecorderError } from './remote-recorder-error.js';

let dir: string;
beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), 'pgtrail-spool-'));
});
afterEach(async () => {
  await rm(dir, { recursive: true, force: true });
});

const event = (seq: number) => ({ seq, bytes: Buffer.from(`{"n":${seq}}`) });

describe('event spool', () => {
  it('reads back what it appended, in order, and knows where numbering stands', async () => {
    const first = await EventSpool.open(dir);
    expect(first.events).toEqual([]);
    expect(first.nextSeq).toBeNull();
    await first.spool.append([event(5), event(6)]);
    await first.spool.append([event(7)]);
    await first.spool.close(8);
    const again = await EventSpool.open(dir);
    expect(again.events).toEqual([event(5), event(6), event(7)]);
    expect(again.nextSeq).toBe(8);
  });

  it('cuts an incomplete record at the end of the newest file (a torn write) and keeps the rest', async () => {
    const { spool } = await EventSpool.open(dir);
    await spool.append([event(1), event(2)]);
    await spool.close(3);
    const [name] = await spoolFileNames(dir);
    await appendFile(join(dir, name!), Buffer.from([0, 0, 0, 0, 0, 0, 0, 3, 0, 0, 0, 40, 0x7b]));
    const again = await EventSpool.open(dir);
    expect(again.events).toEqual([event(1), event(2)]);
    expect((await readFile(join(dir, name!))).length).toBe(8 + 2 * (12 + 7));
  });

  it('refuses a file that is not a spool file, or records out of sequence', async () => {
    await writeFile(join(dir, 'spool-0000000000000001.bin'), 'something else entirely');
    await expect(EventSpool.open(dir)).rejects.toThrow(RemoteRecorderError);
    await rm(join(dir, 'spool-0000000000000001.bin'));
    const { spool } = await EventSpool.open(dir);
    await spool.append([event(1)]);
    await spool.close(2);
    const [name] = await spoolFileNames(dir);
    const data = await readFile(join(dir, name!));
    data.writeUInt32BE(9, 12); // the record's sequence is no longer the file's first
    await writeFile(join(dir, name!), data);
    await expect(EventSpool.open(dir)).rejects.toMatchObject({ code: 'RECORDER_SPOOL_CORRUPT' });
  });

  it('deletes files whose events are all acknowledged, keeping an empty file that names the next sequence', async () => {
    const { spool } = await EventSpool.open(dir);
    const big = Array.from({ length: 60 }, (_, i) => ({ seq: i + 1, bytes: Buffer.alloc(20_000, 0x20) }));
    await spool.append(big);
    await spool.acknowledged(60, 61);
    await spool.close(61);
    expect(await spoolFileNames(dir)).toEqual(['spool-0000000000000061.bin']);
    const again = await EventSpool.open(dir);
    expect(again.events).toEqual([]);
    expect(again.nextSeq).toBe(61);
  });

  it('after a crash (left open) does not claim to know the numbering, and keeps the spooled events with their numbers and gaps', async () => {
    const { spool } = await EventSpool.open(dir);
    await spool.append([event(3), event(4)]);
    // 5 and 6 were acknowledged before they were spooled.
    await spool.append([event(7)]);
    // No close: the proxy was killed.
    const again = await EventSpool.open(dir);
    expect(again.events).toEqual([event(3), event(4), event(7)]);
    expect(again.nextSeq).toBeNull();
    // Opening marks it open again: a second crash is a crash too, and a clean close records where numbering stands.
    expect((await EventSpool.open(dir)).nextSeq).toBeNull();
    const third = await EventSpool.open(dir);
    await third.spool.close(12);
    expect((await EventSpool.open(dir)).nextSeq).toBe(12);
  });

  it('reads a spool from before spool-state as it was (its files held every number), and refuses a bad state', async () => {
    const { spool } = await EventSpool.open(dir);
    await spool.append([event(1), event(2)]);
    await spool.close(9);
    await rm(join(dir, 'spool-state'));
    expect((await EventSpool.open(dir)).nextSeq).toBe(3);
    await writeFile(join(dir, 'spool-state'), 'closed 2\n');
    await expect(EventSpool.open(dir)).rejects.toMatchObject({ code: 'RECORDER_SPOOL_CORRUPT' });
    await writeFile(join(dir, 'spool-state'), 'shut\n');
    await expect(EventSpool.open(dir)).rejects.toMatchObject({ code: 'RECORDER_SPOOL_CORRUPT' });
    await writeFile(join(dir, 'spool-state'), `closed 9\n${'x'.repeat(100_000)}`);
    await expect(EventSpool.open(dir)).rejects.toMatchObject({ code: 'RECORDER_SPOOL_CORRUPT' });
  });
});
