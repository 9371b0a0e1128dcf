import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { loadConfig } from '../config/load-config.js';
import { UsageError } from './cli.js';
import { recorderOverrides, remoteRecording } from './remote-recording.js';

const dir = mkdtempSync(join(tmpdir(), 'pgtrail-remote-recording-'));
const tokenFile = join(dir, 'token');
writeFileSync(tokenFile, '# the recorder token\nsecret-token-0123456789\n');

function configFrom(flags: Record<string, string>) {
  return loadConfig({ file: null, env: {}, flags: recorderOverrides(flags) });
}

describe('remote recording from the config', () => {
  it('is null without a recorder url, and takes url, token, spool and instance from the flags', () => {
    expect(remoteRecording(configFrom({}))).toBeNull();
    const config = configFrom({
      recorder: 'ws://10.0.0.5:6433',
      'recorder-token-file': tokenFile,
      spool: join(dir, 'spool'),
      instance: 'eu-1',
    });
    expect(config.instance).toBe('eu-1');
    expect(remoteRecording(config)).toEqual({
      url: 'ws://10.0.0.5:6433',
      token: 'secret-token-0123456789',
      tls: null,
      spoolDir: join(dir, 'spool'),
      spoolMaxBytes: 256 * 1024 * 1024,
    });
  });

  it('refuses what is incomplete or contradictory', () => {
    expect(() => remoteRecording(configFrom({ recorder: 'ws://h:1' }))).toThrow(UsageError);
    expect(() => remoteRecording(configFrom({ spool: dir }))).toThrow(UsageError);
    expect(() =>
      remoteRecording(configFrom({ recorder: 'ws://h:1', 'recorder-token-file': tokenFile, 'recorder-ca': tokenFile })),
    ).toThrow(/wss/);
    const batched = loadConfig({
      file: null,
      env: {},
      flags: [
        ...recorderOverrides({ recorder: 'ws://h:1', 'recorder-token-file': tokenFile }),
        { key: 'journal.durability', value: 'batched', source: 'flag --durability' },
      ],
    });
    expect(() => remoteRecording(batched)).toThrow(/spool/);
    expect(() => configFrom({ recorder: 'http://h:1' })).toThrow(/ws:\/\/ or wss:\/\//);
    expect(() => configFrom({ instance: 'has space' })).toThrow(/instance/);
  });
});
