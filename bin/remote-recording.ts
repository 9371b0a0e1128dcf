/**
 * A proxy's remote journal from its configuration: `pgtrail start`'s recorder flags as config
 * overrides, and the recorder.* keys turned into what runProxy needs (the token and certificates read).
 */
import { readFileSync } from 'node:fs';
import type { Config } from '../config/config.js';
import type { Override } from '../config/load-config.js';
import { type CommandContext, UsageError } from './cli.js';
import type { RemoteRecording } from './run-proxy.js';

/** The recorder flags of `pgtrail start`, as parseArgs gives them. */
export interface RecorderFlagValues {
  readonly recorder?: string | undefined;
  readonly 'recorder-token-file'?: string | undefined;
  readonly spool?: string | undefined;
  readonly instance?: string | undefined;
  readonly 'recorder-ca'?: string | undefined;
  readonly 'recorder-cert'?: string | undefined;
  readonly 'recorder-key'?: string | undefined;
}

/** parseArgs options for the recorder flags. */
export const recorderFlags = {
  recorder: { type: 'string' },
  'recorder-token-file': { type: 'string' },
  spool: { type: 'string' },
  instance: { type: 'string' },
  'recorder-ca': { type: 'string' },
  'recorder-cert': { type: 'string' },
  'recorder-key': { type: 'string' },
} as const;

const flagKeys: readonly [keyof RecorderFlagValues, string][] = [
  ['recorder', 'recorder.url'],
  ['recorder-token-file', 'recorder.tokenFile'],
  ['spool', 'recorder.spoolDir'],
  ['instance', 'instance'],
  ['recorder-ca', 'recorder.tls.caFile'],
  ['recorder-cert', 'recorder.tls.certFile'],
  ['recorder-key', 'recorder.tls.keyFile'],
];

/** The config overrides the recorder flags stand for. */
export function recorderOverrides(values: RecorderFlagValues): Override[] {
  const out: Override[] = [];
  for (const [flag, key] of flagKeys) {
    const value = values[flag];
    if (value !== undefined) out.push({ key, value, source: `flag --${flag}` });
  }
  return out;
}

/** The remote recording the config asks for, or null for a local journal; UsageError when it is incomplete. */
export function remoteRecording(config: Config): RemoteRecording | null {
  const { recorder } = config;
  if (recorder.url === null) {
    if (recorder.tokenFile !== null || recorder.spoolDir !== null) {
      throw new UsageError(
        'recorder.tokenFile and recorder.spoolDir (--recorder-token-file, --spool) need a recorder url',
      );
    }
    return null;
  }
  if (recorder.tokenFile === null) throw new UsageError('a recorder url needs a token file (--recorder-token-file)');
  if (config.journal.durability === 'batched' && recorder.spoolDir === null) {
    throw new UsageError(
      'batched durability with a recorder needs a spool (--spool DIR): events wait there until acknowledged',
    );
  }
  const secure = new URL(recorder.url).protocol === 'wss:';
  const { caFile, certFile, keyFile } = recorder.tls;
  if ((certFile === null) !== (keyFile === null)) throw new UsageError('recorder.tls.certFile and keyFile go together');
  if (!secure && (caFile ?? certFile) !== null) throw new UsageError('recorder.tls.* needs a wss:// recorder url');
  return {
    url: recorder.url,
    token: firstToken(recorder.tokenFile),
    tls: secure
      ? {
          ca: caFile === null ? null : read(caFile),
          cert: certFile === null ? null : read(certFile),
          key: keyFile === null ? null : read(keyFile),
        }
      : null,
    spoolDir: recorder.spoolDir,
    spoolMaxBytes: recorder.spoolMaxBytes,
  };
}

function read(path: string): Buffer {
  try {
    return readFileSync(path);
  } catch {
    throw new UsageError(`cannot read ${path}`);
  }
}

function firstToken(path: string): string {
  const lines = read(path).toString('utf8').split('\n');
  const token = (lines.find((l) => l.trim() !== '' && !l.startsWith('#')) ?? '').trim();
  if (token === '') throw new UsageError(`the token file ${path} holds no token`);
  return token;
}

/** Says where a proxy records remotely, as which instance, and what its spool held at start. */
export function announceRemote(
  config: Config,
  ctx: CommandContext,
  remote: { readonly url: string; readonly instance: string; readonly spoolDir: string | null },
  spooledAtStart: number,
  onThread: boolean,
): void {
  const spool = remote.spoolDir === null ? '' : `, spool ${remote.spoolDir}`;
  const thread = onThread ? ', recorded on a worker thread' : '';
  ctx.stdout.write(
    `pgtrail: recording to ${remote.url} as instance ${remote.instance} (${config.journal.durability}${thread}${spool}, ${spooledAtStart} events spooled)\n`,
  );
}
