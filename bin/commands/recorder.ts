/** `pgtrail recorder`: the journal writer as a service that proxies stream their events to (docs/recorder-service.md). */
import { readFileSync } from 'node:fs';
import { ExitCode, parseFlags, UsageError, type Command, type CommandContext } from '../cli.js';
import { loadConfig, type Override } from '../../config/load-config.js';
import { listenOverrides } from '../../config/parse-upstream-url.js';
import { openJournalWriter } from '../../recorder/journal-writer.js';
import { parseAccessTokens } from '../../recorder/service/access-tokens.js';
import { readInstanceSequences } from '../../recorder/service/instance-sequences.js';
import { RecorderServiceError, RecorderServiceErrorCode } from '../../recorder/service/recorder-service-error.js';
import { startRecorderService, type RecorderTls } from '../../recorder/service/recorder-service.js';
import { ensureSigningKey, insideJournalWarning, locateSigningKey } from '../../recorder/signing-key.js';
import { createRootLogger } from '../logger.js';
import { untilSignal } from '../run-proxy.js';
import { startRetention } from '../../retention/retention-schedule.js';
import type { RunningViewer } from '../../web/server/viewer-server.js';
import { runViewer } from '../run-viewer.js';
import { createRecorderMetrics, type RecorderMetrics } from '../../metrics/recorder-service-metrics.js';
import { startMetricsServer, type MetricsServer } from '../../metrics/metrics-server.js';

const usage = `usage: pgtrail recorder --listen H:P --journal DIR --token-file F [--config F] [--tls-cert F --tls-key F [--tls-client-ca F]] [--metrics H:P]

Runs the journal writer as a service: proxies started with --recorder ws[s]://H:P stream their events
to it over WebSocket; each is durable in the journal before the proxy is told so.
  --listen H:P         address to listen on (default 127.0.0.1:6433; port 0 takes any free port,
                       printed on the 'recorder listening on' line)
  --journal DIR        journal directory (default ./pgtrail-journal)
  --token-file F       accepted bearer tokens, one per line (at least 16 characters each)
  --config F           YAML configuration file (journal.* and recorderService.* keys; docs/configuration.md)
  --tls-cert F, --tls-key F   serve wss:// with this certificate and key (PEM)
  --tls-client-ca F    also require a client certificate signed by this CA (PEM)
  --metrics H:P        serve Prometheus metrics on http://H:P/metrics (metrics.enabled; docs/metrics.md)
SIGTERM or SIGINT closes every connection, writes a final checkpoint and exits 0.
`;

async function run(ctx: CommandContext): Promise<ExitCode> {
  const { values } = parseFlags(ctx.argv, {
    config: { type: 'string' },
    listen: { type: 'string' },
    journal: { type: 'string' },
    'token-file': { type: 'string' },
    'tls-cert': { type: 'string' },
    'tls-key': { type: 'string' },
    'tls-client-ca': { type: 'string' },
    metrics: { type: 'string' },
  });
  const flags: Override[] = [];
  if (values.journal !== undefined) flags.push({ key: 'journal.dir', value: values.journal, source: 'flag --journal' });
  if (values.listen !== undefined) flags.push(...listenOverrides(values.listen, 'recorderService.listen', '--listen'));
  if (values.metrics !== undefined) {
    flags.push({ key: 'metrics.enabled', value: true, source: 'flag --metrics' });
    flags.push(...listenOverrides(values.metrics, 'metrics.listen', '--metrics'));
  }
  for (const [flag, key] of [
    ['token-file', 'recorderService.tokenFile'],
    ['tls-cert', 'recorderService.tls.certFile'],
    ['tls-key', 'recorderService.tls.keyFile'],
    ['tls-client-ca', 'recorderService.tls.clientCaFile'],
  ] as const) {
    const value = values[flag];
    if (value !== undefined) flags.push({ key, value, source: `flag --${flag}` });
  }
  const config = loadConfig({ file: values.config ?? null, env: ctx.env, flags });
  const service = config.recorderService;
  if (service.tokenFile === null) throw new UsageError('--token-file (recorderService.tokenFile) is required');
  const tokens = parseAccessTokens(readTokenFile(service.tokenFile));
  const tls = serviceTls(service.tls.certFile, service.tls.keyFile, service.tls.clientCaFile);
  const { host, port } = service.listen;
  const logger = createRootLogger(config.log);
  const journal = config.journal;
  const key = await locateSigningKey(journal.dir, journal.keyFile);
  const keyFile = key.path;
  if (key.insideJournal) ctx.stderr.write(`pgtrail: ${insideJournalWarning(journal.dir, keyFile)}\n`);
  const verifierKey = await ensureSigningKey(journal.dir, keyFile);
  const metrics: RecorderMetrics | null = config.metrics.enabled
    ? createRecorderMetrics(service.maxInstanceLabels)
    : null;
  let failed: (code: string) => void = () => {};
  const failure = new Promise<string>((resolve) => {
    failed = resolve;
  });
  // The service acknowledges only what is durable: its writer is strict whatever journal.durability says.
  // Its event loop has nothing to do while a batch is written but wait for it: it blocks on the write
  // rather than pay a thread-pool round trip per batch.
  const writer = await openJournalWriter({
    ...journal,
    durability: 'strict',
    blockingWrites: true,
    keyFile,
    witnessLog: logger.child({ component: 'witness' }),
    ...(metrics === null ? {} : { onDurableWrite: metrics.observeDurableWrite }),
    onFailure: (error) => {
      logger.error({ code: error.code }, 'journal failed closed');
      failed(error.code);
    },
  });
  let running: Awaited<ReturnType<typeof startRecorderService>>;
  let metricsServer: MetricsServer | null = null;
  try {
    const sequences = await readInstanceSequences(journal.dir);
    running = await startRecorderService({ host, port, writer, tokens, tls, sequences, logger });
    if (metrics !== null) {
      metrics.sources.writer = writer;
      metrics.sources.service = running;
      const onFailure = (err: Error): void => logger.error({ err: err.message }, 'metrics listener failed');
      metricsServer = await startMetricsServer(config.metrics.listen, metrics.registry, onFailure).catch(
        async (err: unknown) => {
          await running.close();
          throw err;
        },
      );
    }
  } catch (err) {
    await writer.close();
    throw err;
  }
  // Scheduled pruning and legal holds placed while running, as in `pgtrail start` (docs/retention.md).
  const retention = startRetention(writer, journal.retention, logger.child({ component: 'retention' }));
  // The viewer of the recorder's own journal (viewer.enabled) records its viewings through this
  // process's writer, as inside `pgtrail start`: one writer per journal.
  let viewer: RunningViewer | null = null;
  if (config.viewer.enabled) {
    try {
      viewer = await runViewer(config, journal.dir, (event) => writer.append(event), logger, ctx);
    } catch (err) {
      await metricsServer?.close();
      await running.close();
      await retention.stop();
      await writer.close();
      throw err;
    }
  }
  const signalled = untilSignal();
  const scheme = tls === null ? 'ws' : 'wss';
  const bound = running.address.host.includes(':') ? `[${running.address.host}]` : running.address.host;
  ctx.stdout.write(`pgtrail: journal ${journal.dir}, verifier key ${verifierKey}\n`);
  if (metricsServer !== null) {
    const at = metricsServer.address;
    ctx.stdout.write(
      `pgtrail: metrics on http://${at.host.includes(':') ? `[${at.host}]` : at.host}:${at.port}/metrics\n`,
    );
  }
  ctx.stdout.write(
    `pgtrail: recorder listening on ${scheme}://${bound}:${running.address.port} (${tokens.count} token${tokens.count === 1 ? '' : 's'}${tls?.ca ? ', client certificates required' : ''})\n`,
  );
  const ended = await Promise.race([signalled.then((signal) => ({ signal })), failure.then((code) => ({ code }))]);
  logger.info(ended, 'recorder shutting down');
  await viewer?.close();
  await metricsServer?.close();
  await running.close();
  await retention.stop();
  await writer.close();
  logger.flush();
  if ('code' in ended) {
    ctx.stderr.write(`pgtrail recorder: the journal failed closed [${ended.code}]\n`);
    return ExitCode.usage;
  }
  return ExitCode.ok;
}

function readTokenFile(path: string): Buffer {
  try {
    return readFileSync(path);
  } catch (err) {
    throw new RecorderServiceError(RecorderServiceErrorCode.tokenFileInvalid, 'cannot read the token file', {
      cause: err,
    });
  }
}

function serviceTls(cert: string | null, key: string | null, clientCa: string | null): RecorderTls | null {
  if (cert === null && key === null) {
    if (clientCa !== null) throw new UsageError('--tls-client-ca needs --tls-cert and --tls-key');
    return null;
  }
  if (cert === null || key === null) throw new UsageError('--tls-cert and --tls-key go together');
  try {
    return {
      cert: readFileSync(cert),
      key: readFileSync(key),
      ca: clientCa === null ? null : readFileSync(clientCa),
    };
  } catch (err) {
    throw new RecorderServiceError(
      RecorderServiceErrorCode.tlsFilesUnreadable,
      'the recorder tls certificate, key or ca cannot be read',
      { cause: err },
    );
  }
}

/** The `recorder` command. */
export const recorderCommand: Command = {
  name: 'recorder',
  summary: 'run the journal writer as a service',
  usage,
  run,
};
