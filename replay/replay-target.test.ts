import { describe, expect, it } from 'vitest';
import { isRecordedUpstream, targetAddress } from './replay-target.js';

describe('replay target', () => {
  it('reads host and port with PostgreSQL defaults', () => {
    expect(targetAddress('postgres://u:p@db.internal:6543/app')).toEqual({ host: 'db.internal', port: 6543 });
    expect(targetAddress('postgresql:///app')).toEqual({ host: 'localhost', port: 5432 });
    expect(() => targetAddress('http://x')).toThrow(expect.objectContaining({ code: 'REPLAY_BAD_TARGET' }));
    expect(() => targetAddress('not a url')).toThrow(expect.objectContaining({ code: 'REPLAY_BAD_TARGET' }));
  });

  it('recognises the recorded upstream under another loopback name, and only on its port', async () => {
    expect(await isRecordedUpstream('postgres://x@localhost:5544/other', '127.0.0.1:5544')).toBe(true);
    expect(await isRecordedUpstream('postgres://x@127.0.0.2:5544/other', '127.0.0.1:5544')).toBe(true);
    expect(await isRecordedUpstream('postgres://x@127.0.0.1:5545/app', '127.0.0.1:5544')).toBe(false);
    expect(await isRecordedUpstream('postgres://x@10.1.2.3:5544/app', '127.0.0.1:5544')).toBe(false);
  });
});
