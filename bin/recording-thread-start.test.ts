import { describe, expect, it } from 'vitest';
import { loadConfig } from '../config/load-config.js';
import { UsageError } from './cli.js';
import { recordsOnThread } from './recording-thread-start.js';

function configWith(thread: string | null, durability: 'strict' | 'batched') {
  const flags: { key: string; value: string; source: string }[] = [
    { key: 'journal.durability', value: durability, source: 'flag --durability' },
  ];
  if (thread !== null) flags.push({ key: 'recording.thread', value: thread, source: 'env PGTRAIL_RECORDING_THREAD' });
  return loadConfig({ file: null, env: {}, flags });
}

describe('recording.thread', () => {
  it('is auto by default: a recording thread with batched durability, the forwarding thread with strict', () => {
    expect(configWith(null, 'batched').recording.thread).toBe('auto');
    expect(recordsOnThread(configWith(null, 'batched'))).toBe(true);
    expect(recordsOnThread(configWith(null, 'strict'))).toBe(false);
    expect(recordsOnThread(configWith('auto', 'strict'))).toBe(false);
  });

  it('false records on the forwarding thread; true is refused with strict durability', () => {
    expect(recordsOnThread(configWith('false', 'batched'))).toBe(false);
    expect(recordsOnThread(configWith('true', 'batched'))).toBe(true);
    expect(() => recordsOnThread(configWith('true', 'strict'))).toThrow(
      new UsageError('recording.thread needs batched durability (--durability batched)'),
    );
  });

  it('takes nothing but true, false and auto', () => {
    expect(() => configWith('yes', 'batched')).toThrow(/recording\.thread must be true, false or auto/);
  });
});
