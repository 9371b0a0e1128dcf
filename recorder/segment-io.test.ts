import { constants, readFileSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, test } from 'vitest';
import { openSegmentFile, segmentWritesAreDurable } from './segment-io.js';

let dir: string;
beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), 'pgtrail-segment-io-'));
});
afterEach(async () => {
  await rm(dir, { recursive: true, force: true });
});

/** The open flags of one of this process's file descriptors, as Linux reports them (octal). */
function openFlags(fd: number): number {
  const match = /^flags:\s+([0-7]+)$/m.exec(readFileSync(`/proc/self/fdinfo/${fd}`, 'utf8'));
  if (!match?.[1]) throw new Error('no flags line in fdinfo');
  return Number.parseInt(match[1], 8);
}

describe('segment files', () => {
  // The writer skips fdatasync when segments are O_DSYNC: without the flag, nothing would be durable.
  test.runIf(process.platform === 'linux')('are opened O_DSYNC and O_APPEND, created exclusively with ax', async () => {
    expect(segmentWritesAreDurable).toBe(true);
    const path = join(dir, 'segment');
    const created = await openSegmentFile(path, 'ax');
    try {
      const flags = openFlags(created.fd);
      expect(flags & constants.O_DSYNC).toBe(constants.O_DSYNC);
      expect(flags & constants.O_APPEND).toBe(constants.O_APPEND);
      expect(flags & 0o3).toBe(constants.O_WRONLY); // O_ACCMODE on Linux
    } finally {
      await created.close();
    }
    await expect(openSegmentFile(path, 'ax')).rejects.toMatchObject({ code: 'EEXIST' });
    const reopened = await openSegmentFile(path, 'a');
    try {
      expect(openFlags(reopened.fd) & constants.O_DSYNC).toBe(constants.O_DSYNC);
      await reopened.write(Buffer.from('x\n'));
    } finally {
      await reopened.close();
    }
    expect(readFileSync(path, 'utf8')).toBe('x\n');
  });
});
