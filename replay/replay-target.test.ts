import { describe, expect, it } from 'vitest';
import { isRecordedUpstream, refuseRecordedCluster, targetAddress } from './replay-target.js';

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

describe('refuseRecordedCluster', () => {
  const base = { url: 'postgres://x@10.9.8.7:6432/scratch', recordedUpstream: '127.0.0.1:5544' };

  it('decides by the cluster identifier when the journal has it, whatever the address', async () => {
    const same = refuseRecordedCluster({ ...base, recordedSystemId: '7715', targetSystemId: '7715' });
    await expect(same).rejects.toMatchObject({ code: 'REPLAY_TARGET_IS_UPSTREAM' });
    const other = { ...base, url: 'postgres://x@127.0.0.1:5544/app', recordedSystemId: '7715', targetSystemId: '42' };
    expect(await refuseRecordedCluster(other)).toBeNull();
    const silent = refuseRecordedCluster({ ...base, recordedSystemId: '7715', targetSystemId: null });
    await expect(silent).rejects.toMatchObject({ code: 'REPLAY_TARGET_UNIDENTIFIED' });
  });

  it('falls back to the address for journals without the identifier, and says so', async () => {
    const old = { url: 'postgres://x@localhost:5544/app', recordedUpstream: '127.0.0.1:5544' };
    const refused = refuseRecordedCluster({ ...old, recordedSystemId: null, targetSystemId: '7715' });
    await expect(refused).rejects.toMatchObject({ code: 'REPLAY_TARGET_IS_UPSTREAM' });
    const elsewhere = { ...base, recordedSystemId: null, targetSystemId: '7715' };
    expect(await refuseRecordedCluster(elsewhere)).toMatch(/only the address was checked/);
  });
});
