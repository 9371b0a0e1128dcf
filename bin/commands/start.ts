/** `pgtrail start`: run the proxy and its recorder in one process until SIGTERM or SIGINT. */
import { ExitCode, parseFlags, type Command, type CommandContext } from '../cli.js';
import { loadConfig, type Override } from '../../config/load-config.js';
import { listenOverrides, upstreamUrlOverrides } from '../../config/parse-upstream-url.js';
import { createRootLogger } from '../logger.js';
import { recorderFlags, recorderOverrides, remoteRecording } from '../remote-recording.js';
import { runProxy, untilSignal } from '../run-proxy.js';

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

async function run(ctx: CommandContext): Promise<ExitCode> {
  const { values } = parseFlags(ctx.argv, {
    config: { type: 'string' },
    listen: { type: 'string' },
    upstream: { type: 'string' },
    journal: { type: 'string' },
    durability: { type: 'string' },
    metrics: { type: 'string' },
    ...recorderFlags,
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
  flags.push(...recorderOverrides(values));
  const config = loadConfig({ file: values.config ?? null, env: ctx.env, flags });
  const remote = remoteRecording(config);
  const logger = createRootLogger(config.log);
  // Listen for signals before announcing the listener, so a SIGTERM right after it is not lost.
  const signalled = untilSignal();
  const running = await runProxy(config, logger, ctx, remote, config.instance);
  const signal = await signalled;
  logger.info({ signal }, 'shutting down');
  await running.stop();
  logger.flush();
  return ExitCode.ok;
}

/** The `start` command. */
export const startCommand: Command = { name: 'start', summary: 'run the proxy', usage, run };
