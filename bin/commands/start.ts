/** `pgtrail start`: run the proxy and its recorder in one process until SIGTERM or SIGINT. */
import { readFileSync } from 'node:fs';
import { ExitCode, parseFlags, UsageError, type Command, type CommandContext } from '../cli.js';
import { loadConfig, type Override } from '../../config/load-config.js';
import { listenOverrides, upstreamUrlOverrides } from '../../config/parse-upstream-url.js';
import { isInstanceName } from '../../recorder/wire/recorder-frames.js';
import { createRootLogger } from '../logger.js';
import { runProxy, untilSignal, type RemoteRecording } from '../run-proxy.js';

const usage = `usage: pgtrail start [--config F] [--listen H:P] [--upstream URL] [--journal DIR] [--durability strict|batched]
                     [--recorder ws[s]://H:P --recorder-token-file F [--spool DIR] [--instance NAME]
                      [--recorder-ca F] [--recorder-cert F --recorder-key F]]

Runs the proxy: clients connect to --listen as they would to PostgreSQL; pgtrail forwards to --upstream.
  --config F         YAML configuration file (docs/configuration.md)
  --listen H:P       address to listen on (default 127.0.0.1:6432)
  --upstream URL     postgres://host:port/?sslmode=...&sslrootcert=... (default from PGHOST/PGPORT, else 127.0.0.1:5432)
  --journal DIR      journal directory (default ./pgtrail-journal)
  --durability M     strict (default): a statement is on disk before it runs; batched: within journal.batchWindowMs
  --metrics H:P      serve Prometheus metrics on http://H:P/metrics (metrics.enabled; docs/metrics.md)
Recording to a recorder service (pgtrail recorder) instead of a local journal (docs/recorder-service.md):
  --recorder URL            ws://H:P or wss://H:P of the recorder service
  --recorder-token-file F   file whose first line is the bearer token
  --spool DIR               spool of unacknowledged events (required with --durability batched)
  --instance NAME           this proxy's name in session records (default the --listen host:port)
  --recorder-ca F           CA that signed the recorder's certificate (wss)
  --recorder-cert F, --recorder-key F   client certificate for a recorder that requires one
SIGTERM or SIGINT drains sessions for limits.shutdownGraceMs, ends the rest with 57P01 and exits 0.
`;

/** Unacknowledged events a proxy keeps at most (spool or memory) before it waits for the recorder as strict does. */
const spoolMaxBytes = 256 * 1024 * 1024;

async function run(ctx: CommandContext): Promise<ExitCode> {
  const { values } = parseFlags(ctx.argv, {
    config: { type: 'string' },
    listen: { type: 'string' },
    upstream: { type: 'string' },
    journal: { type: 'string' },
    durability: { type: 'string' },
    metrics: { type: 'string' },
    recorder: { type: 'string' },
    'recorder-token-file': { type: 'string' },
    spool: { type: 'string' },
    instance: { type: 'string' },
    'recorder-ca': { type: 'string' },
    'recorder-cert': { type: 'string' },
    'recorder-key': { type: 'string' },
  });
  const flags: Override[] = [];
  if (values.upstream !== undefined) flags.push(...upstreamUrlOverrides(values.upstream));
  if (values.listen !== undefined) flags.push(...listenOverrides(values.listen, 'listen', '--listen'));
  if (values.journal !== undefined) flags.push({ key: 'journal.dir', value: values.journal, source: 'flag --journal' });
  if (values.durability !== undefined)
    flags.push({ key: 'journal.durability', value: values.durability, source: 'flag --durability' });
  if (values.metrics !== undefined) {
    flags.push({ key: 'metrics.enabled', value: true, source: 'flag --metrics' });
    flags.push(...listenOverrides(values.metrics, 'metrics.listen', '--metrics'));
  }
  const config = loadConfig({ file: values.config ?? null, env: ctx.env, flags });
  const remote = remoteRecording(values);
  if (remote !== null && config.journal.durability === 'batched' && remote.spoolDir === null) {
    throw new UsageError(
      '--durability batched with --recorder needs --spool DIR (events are spooled until acknowledged)',
    );
  }
  if (values.instance !== undefined && !isInstanceName(values.instance)) {
    throw new UsageError('--instance must be 1 to 128 characters of A-Z a-z 0-9 . _ : @ -');
  }
  const logger = createRootLogger(config.log);
  // Listen for signals before announcing the listener, so a SIGTERM right after it is not lost.
  const signalled = untilSignal();
  const running = await runProxy(config, logger, ctx, remote, values.instance ?? null);
  const signal = await signalled;
  logger.info({ signal }, 'shutting down');
  await running.stop();
  logger.flush();
  return ExitCode.ok;
}

function remoteRecording(values: {
  recorder?: string | undefined;
  'recorder-token-file'?: string | undefined;
  spool?: string | undefined;
  'recorder-ca'?: string | undefined;
  'recorder-cert'?: string | undefined;
  'recorder-key'?: string | undefined;
}): RemoteRecording | null {
  const url = values.recorder;
  if (url === undefined) {
    if (values['recorder-token-file'] !== undefined || values.spool !== undefined) {
      throw new UsageError('--recorder-token-file and --spool go with --recorder');
    }
    return null;
  }
  if (!URL.canParse(url) || !/^wss?:$/.test(new URL(url).protocol)) {
    throw new UsageError('--recorder must be a ws:// or wss:// URL');
  }
  const tokenFile = values['recorder-token-file'];
  if (tokenFile === undefined) throw new UsageError('--recorder needs --recorder-token-file');
  const token = readFirstLine(tokenFile, '--recorder-token-file');
  const secure = new URL(url).protocol === 'wss:';
  const ca = values['recorder-ca'];
  const cert = values['recorder-cert'];
  const key = values['recorder-key'];
  if ((cert === undefined) !== (key === undefined))
    throw new UsageError('--recorder-cert and --recorder-key go together');
  if (!secure && (ca ?? cert) !== undefined)
    throw new UsageError('--recorder-ca and --recorder-cert need a wss:// URL');
  return {
    url,
    token,
    tls: secure
      ? {
          ca: ca === undefined ? null : readFile(ca, '--recorder-ca'),
          cert: cert === undefined ? null : readFile(cert, '--recorder-cert'),
          key: key === undefined ? null : readFile(key, '--recorder-key'),
        }
      : null,
    spoolDir: values.spool ?? null,
    spoolMaxBytes,
  };
}

function readFile(path: string, flag: string): Buffer {
  try {
    return readFileSync(path);
  } catch {
    throw new UsageError(`${flag}: cannot read ${path}`);
  }
}

function readFirstLine(path: string, flag: string): string {
  const line = (
    readFile(path, flag)
      .toString('utf8')
      .split('\n')
      .find((l) => l.trim() !== '' && !l.startsWith('#')) ?? ''
  ).trim();
  if (line === '') throw new UsageError(`${flag}: the file holds no token`);
  return line;
}

/** The `start` command. */
export const startCommand: Command = { name: 'start', summary: 'run the proxy', usage, run };
