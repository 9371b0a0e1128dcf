/** `pgtrail start`: run the proxy and its recorder in one process until SIGTERM or SIGINT. */
import { ExitCode, parseFlags, type Command, type CommandContext } from '../cli.js';
import { loadConfig, type Override } from '../../config/load-config.js';
import { listenOverrides, upstreamUrlOverrides } from '../../config/parse-upstream-url.js';
import { readFileSync } from 'node:fs';
import { ManagedIdentity } from '../../proxy/identity/managed-identity.js';
import { identityStrategySelector } from '../../proxy/identity/managed-auth-strategy.js';
import { startProxy } from '../../proxy/server.js';
import { createStatementObserver, systemClock } from '../../proxy/statements/statement-observer.js';
import { openRecorder } from '../../recorder/recorder.js';
import { createRootLogger } from '../logger.js';

const usage = `usage: pgtrail start [--config F] [--listen H:P] [--upstream URL] [--journal DIR] [--durability strict|batched]

Runs the proxy: clients connect to --listen as they would to PostgreSQL; pgtrail forwards to --upstream.
  --config F         YAML configuration file (docs/configuration.md)
  --listen H:P       address to listen on (default 127.0.0.1:6432)
  --upstream URL     postgres://host:port/?sslmode=...&sslrootcert=... (default from PGHOST/PGPORT, else 127.0.0.1:5432)
  --journal DIR      journal directory (default ./pgtrail-journal)
  --durability M     strict (default): a statement is on disk before it runs; batched: within journal.batchWindowMs
SIGTERM or SIGINT drains sessions for limits.shutdownGraceMs, ends the rest with 57P01 and exits 0.
`;

async function run(ctx: CommandContext): Promise<ExitCode> {
  const { values } = parseFlags(ctx.argv, {
    config: { type: 'string' },
    listen: { type: 'string' },
    upstream: { type: 'string' },
    journal: { type: 'string' },
    durability: { type: 'string' },
  });
  const flags: Override[] = [];
  if (values.upstream !== undefined) flags.push(...upstreamUrlOverrides(values.upstream));
  if (values.listen !== undefined) flags.push(...listenOverrides(values.listen, 'listen', '--listen'));
  if (values.journal !== undefined) flags.push({ key: 'journal.dir', value: values.journal, source: 'flag --journal' });
  if (values.durability !== undefined) flags.push({ key: 'journal.durability', value: values.durability, source: 'flag --durability' });
  const config = loadConfig({ file: values.config ?? null, env: ctx.env, flags });
  const logger = createRootLogger(config.log);
  const recorder = await openRecorder(config.journal, config.recording, (error) => {
    logger.error({ code: error.code }, 'journal failed closed');
  });
  if (recorder.keyCreated) ctx.stdout.write(`pgtrail: created a signing key for ${config.journal.dir}\n`);
  ctx.stdout.write(`pgtrail: journal ${config.journal.dir} (${config.journal.durability}), verifier key ${recorder.verifierKey}\n`);
  const sink = recorder.sink;
  const observe = createStatementObserver({
    recording: config.recording,
    clock: systemClock,
    onInternalError: (err) => logger.error({ err: err instanceof Error ? err.name : 'unknown' }, 'statement observer failed'),
  });
  // Proxy-managed identity when the config's identity section enables a method, else passthrough.
  const selectStrategy = identityStrategySelector(ManagedIdentity.fromConfig(config, { readFile: (path) => readFileSync(path), env: ctx.env }));
  const proxy = await startProxy({ config, logger, sink, observe, selectStrategy });
  ctx.stdout.write(`pgtrail: listening on ${proxy.address.host}:${proxy.address.port}, forwarding to ${config.upstream.host}:${config.upstream.port}\n`);
  const signal = await new Promise<NodeJS.Signals>((resolve) => {
    process.once('SIGTERM', () => resolve('SIGTERM'));
    process.once('SIGINT', () => resolve('SIGINT'));
  });
  logger.info({ signal }, 'shutting down');
  await proxy.close();
  await recorder.close();
  logger.flush();
  return ExitCode.ok;
}

/** The `start` command. */
export const startCommand: Command = { name: 'start', summary: 'run the proxy', usage, run };
